"""Segmentation quality on generated images with a known answer, and speed on a photo.

    python bench/segment.py [--size 384 512] [--seeds 3] [--no-photo]

Quality: images from ``quantize.datasets.make_regions`` (piecewise-constant colour
regions of different sizes and non-convex shapes, a Gaussian blur of 1 px, noise of
σ = 25 per channel) with 4, 5, 6 and 8 regions.  For each, the adjusted Rand index
(ARI) against the truth of: k-means on colour alone (``segment_image`` with no option,
in CIELAB and in RGB); ours with smoothing, spatial weighting and min-region cleanup;
and ``skimage.segmentation.slic`` with n_segments = k.  Mean over --seeds images.

Speed: ``quantize segment`` and ``quantize compress`` end to end (new processes, median
of 3) on the largest photo in ../shared/images at k = 6, with the peak resident memory
of each.
Prints markdown.
"""

import argparse
import platform
import tempfile
from pathlib import Path

import numpy as np
from skimage.segmentation import slic

from _child import run_quantize
from quantize.datasets import make_regions
from quantize.metrics import adjusted_rand_index
from quantize import segment_image

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "images"
OURS = {"sigma": 1.0, "min_region": 64}
METHODS = {
    "k-means, colour only (Lab)": lambda image, k, seed: segment_image(image, k, random_state=seed).clusters,
    "k-means, colour only (RGB)": lambda image, k, seed: segment_image(
        image, k, colorspace="rgb", random_state=seed).clusters,
    "ours: sigma 1, min-region 64 (Lab)": lambda image, k, seed: segment_image(
        image, k, random_state=seed, **OURS).clusters,
    "ours: sigma 1, spatial 3, min-region 64 (Lab)": lambda image, k, seed: segment_image(
        image, k, spatial=3.0, random_state=seed, **OURS).clusters,
    "ours: sigma 1, min-region 64 (RGB)": lambda image, k, seed: segment_image(
        image, k, colorspace="rgb", random_state=seed, **OURS).clusters,
    "ours: sigma 1, spatial 3, min-region 64 (RGB)": lambda image, k, seed: segment_image(
        image, k, spatial=3.0, colorspace="rgb", random_state=seed, **OURS).clusters,
    "skimage slic, n_segments = k": lambda image, k, seed: slic(image, n_segments=k, start_label=0),
}


def quality(size, seeds):
    ks = (4, 5, 6, 8)
    print(f"## ARI against the truth ({size[1]}x{size[0]}, mean of {seeds} images)\n")
    print("| method | " + " | ".join(f"{k} regions" for k in ks) + " |")
    print("|---|" + "---|" * len(ks))
    for name, method in METHODS.items():
        cells = []
        for k in ks:
            scores = []
            for seed in range(seeds):
                image, truth = make_regions(size, k, random_state=seed)
                scores.append(adjusted_rand_index(truth.ravel(), method(image, k, seed).ravel()))
            cells.append(f"{np.mean(scores):.3f} (min {np.min(scores):.3f})")
        print(f"| {name} | " + " | ".join(cells) + " |")


def speed():
    photos = sorted(SHARED.glob("*.jp*g")) + sorted(SHARED.glob("*.png")) if SHARED.is_dir() else []
    if not photos:
        print("\n(no photos in ../shared/images: speed skipped)")
        return
    photo = max(photos, key=lambda p: p.stat().st_size)
    def median_run(args):
        runs = sorted(run_quantize([*args, "--force"]) for _ in range(3))
        return runs[1]

    with tempfile.TemporaryDirectory() as tmp:
        compress = median_run(["compress", str(photo), "-k", "6", "-o", f"{tmp}/out.png"])
        segment = median_run(["segment", str(photo), "-k", "6", "-o", f"{tmp}/seg"])
        cleaned = median_run(
            ["segment", str(photo), "-k", "6", "--sigma", "1", "--min-region", "500", "-o", f"{tmp}/seg2"]
        )
    print(f"\n## Speed on {photo.name}, k = 6 (end to end, new processes, median of 3)\n")
    print("| command | seconds | × compress | peak RSS MB |")
    print("|---|---|---|---|")
    for name, (seconds, peak, _) in (
        ("quantize compress", compress), ("quantize segment", segment),
        ("quantize segment --sigma 1 --min-region 500", cleaned),
    ):
        print(f"| {name} | {seconds:.2f} | {seconds / compress[0]:.2f} | {peak / 2**20:.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, nargs=2, default=(384, 512), metavar=("H", "W"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-photo", action="store_true", help="skip the speed measurement")
    args = parser.parse_args()
    print(f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}\n")
    quality(tuple(args.size), args.seeds)
    if not args.no_photo:
        speed()


if __name__ == "__main__":
    main()
