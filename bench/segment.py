"""Segmentation with default flags: quality on generated scenes with a known answer,
region counts and speed on the shared photos.

    python bench/segment.py [--size 240 320] [--seeds 3] [--family-seeds 2] [--runs 3] [--no-photos]

Scene families: ``quantize.datasets.make_scene`` with every colour family (random, close
hues, dark, pastel) and layout (even, one dominant region, very different sizes), k = 3..10
regions, noise σ = 10 and 25, --family-seeds scenes each (384 by default), all drawn from
one generator seeded 0.  Columns: ``segment_image`` with default flags (DIN99o), in CIELAB, sRGB
and OKLab, and ``effort="thorough"``; the worst, median and count below 0.95 per column,
and the scenes where thorough falls below normal.

Old scenes: the adjusted Rand index (ARI) against the true regions of two generators,
``quantize.datasets.make_shapes`` (flat shapes of random colours, sharp edges) and
``make_regions`` (non-convex regions, blurred by 1 px), each with k = 4, 6, 8 regions
and Gaussian noise σ = 10 and 25 per channel, over --seeds images each.  Columns:
``segment_image`` with default flags (DIN99o), in CIELAB, sRGB and OKLab; the
same with ``sigma=0, min_region=0`` (colour-only k-means, the behaviour before the
defaults); and a SLIC baseline (``skimage.segmentation.slic``, 400 superpixels,
sigma 1, their mean colours clustered by k-means in CIELAB).  Cells are "mean (min)".

Photos: ``quantize segment -k 6`` with default flags on every photo in
../shared/images: the smoothing and smallest region it chose, the regions it found,
and its time against ``quantize compress -k 6`` of the same photo (end to end, new
processes, median of --runs), with peak memory.  Prints markdown.
"""

import argparse
import json
import platform
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _child import run_quantize
from skimage.color import rgb2lab
from skimage.segmentation import slic

from quantize import KMeans, segment_image
from quantize.datasets import SCENE_COLORS, SCENE_LAYOUTS, make_regions, make_scene, make_shapes
from quantize.metrics import adjusted_rand_index

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "images"
GENERATORS = {"shapes": make_shapes, "make_regions": make_regions}
KS = (4, 6, 8)
NOISES = (10.0, 25.0)


def slic_kmeans(image, k, seed):
    """SLIC superpixels, their mean colours clustered into k by k-means in CIELAB."""
    superpixels = slic(image, n_segments=400, sigma=1, start_label=0)
    n = superpixels.max() + 1
    counts = np.bincount(superpixels.ravel(), minlength=n)
    means = (
        np.stack([np.bincount(superpixels.ravel(), weights=image[..., c].ravel(), minlength=n) for c in range(3)], 1)
        / np.maximum(counts, 1)[:, None]
    )
    lab = rgb2lab(means[None].astype(np.float64) / 255)[0]
    labels = KMeans(k, random_state=seed).fit(lab[counts > 0]).predict(lab)
    return labels[superpixels]


METHODS = {
    "defaults (din99o)": lambda image, k, seed: segment_image(image, k, random_state=seed).clusters,
    "defaults, lab": lambda image, k, seed: segment_image(image, k, colorspace="lab", random_state=seed).clusters,
    "defaults, rgb": lambda image, k, seed: segment_image(image, k, colorspace="rgb", random_state=seed).clusters,
    "defaults, oklab": lambda image, k, seed: segment_image(image, k, colorspace="oklab", random_state=seed).clusters,
    "sigma 0, min-region 0, lab": lambda image, k, seed: (
        segment_image(image, k, sigma=0, min_region=0, colorspace="lab", random_state=seed).clusters
    ),
    "sigma 0, min-region 0, rgb": lambda image, k, seed: (
        segment_image(image, k, sigma=0, min_region=0, colorspace="rgb", random_state=seed).clusters
    ),
    "SLIC(400, sigma 1) + k-means": slic_kmeans,
}


def quality(size, seeds):
    scores = {}
    for generator_name, generate in GENERATORS.items():
        for k in KS:
            for noise in NOISES:
                for seed in range(seeds):
                    image, truth = generate(size, k, noise=noise, random_state=seed)
                    for name, method in METHODS.items():
                        ari = adjusted_rand_index(truth.ravel(), method(image, k, seed).ravel())
                        scores.setdefault((generator_name, k, noise, name), []).append(ari)
    print(f"## ARI against the true regions ({size[1]}x{size[0]}, {seeds} seeds, mean (min))\n")
    print("| scene, k, noise σ | " + " | ".join(METHODS) + " |")
    print("|---|" + "---|" * len(METHODS))
    for generator_name in GENERATORS:
        for k in KS:
            for noise in NOISES:
                cells = [scores[(generator_name, k, noise, name)] for name in METHODS]
                print(
                    f"| {generator_name}, {k}, {noise:g} | "
                    + " | ".join(f"{np.mean(c):.3f} ({np.min(c):.3f})" for c in cells)
                    + " |"
                )
    worst = {name: min(min(v) for key, v in scores.items() if key[3] == name) for name in METHODS}
    print("| **worst image** | " + " | ".join(f"**{worst[name]:.3f}**" for name in METHODS) + " |")
    return worst


FAMILY_METHODS = {
    "defaults (din99o)": {},
    "lab": {"colorspace": "lab"},
    "rgb": {"colorspace": "rgb"},
    "oklab": {"colorspace": "oklab"},
    "thorough": {"effort": "thorough"},
}


def families(size, seeds):
    rng = np.random.default_rng(0)
    scores = {name: [] for name in FAMILY_METHODS}
    scenes = []
    for colors in SCENE_COLORS:
        for layout in SCENE_LAYOUTS:
            for k in range(3, 11):
                for noise in NOISES:
                    for _ in range(seeds):
                        image, truth = make_scene(size, k, colors=colors, layout=layout, noise=noise, random_state=rng)
                        seed = len(scenes)
                        for name, options in FAMILY_METHODS.items():
                            result = segment_image(image, k, random_state=seed, **options)
                            scores[name].append(adjusted_rand_index(truth.ravel(), result.clusters.ravel()))
                        scenes.append(f"{colors}, {layout}, k {k}, σ {noise:g}")
    print(f"## Scene families: ARI against the true regions ({size[1]}x{size[0]}, {len(scenes)} scenes)\n")
    print("| | " + " | ".join(FAMILY_METHODS) + " |")
    print("|---|" + "---|" * len(FAMILY_METHODS))
    for label, figure in (("worst", np.min), ("median", np.median), ("below 0.95", lambda v: np.sum(v < 0.95))):
        print(
            f"| {label} | "
            + " | ".join(
                f"{figure(np.array(v)):.3f}".rstrip("0").rstrip(".")
                if label != "below 0.95"
                else str(figure(np.array(v)))
                for v in scores.values()
            )
            + " |"
        )
    normal, thorough = np.array(scores["defaults (din99o)"]), np.array(scores["thorough"])
    print("\nScenes below 0.95 in any column (ARI per column):\n")
    for i, name in enumerate(scenes):
        row = [scores[method][i] for method in FAMILY_METHODS]
        if min(row) < 0.95:
            print(f"- {name}: " + ", ".join(f"{a:.3f}" for a in row))
    worse = np.flatnonzero(thorough < normal - 0.001)
    print(
        f"\nThorough below normal (by more than 0.001): {len(worse)} scenes"
        + "".join(f"\n- {scenes[i]}: {normal[i]:.3f} -> {thorough[i]:.3f}" for i in worse)
    )
    print()


def photos(runs):
    paths = sorted(p for p in SHARED.glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if not paths:
        print("\n(no photos in ../shared/images: photos skipped)")
        return
    print(f"\n## Default `segment -k 6` on the shared photos (end to end, new processes, median of {runs})\n")
    print(
        "| photo | size | sigma | min-region | regions | segment s | compress s | × compress | "
        "segment peak MB | compress peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:

            def median(args):
                results = [run_quantize([*args, "--force"]) for _ in range(runs)]
                middle = statistics.median(r[0] for r in results)
                return middle, max(r[1] for r in results), results[-1][2]

            compress = median(["compress", path, "-k", "6", "-o", f"{tmp}/out.png"])
            segment = median(["segment", path, "-k", "6", "-o", f"{tmp}/seg", "--json"])
            data = json.loads(segment[2])
            ratio = segment[0] / compress[0]
            ratios.append(ratio)
            print(
                f"| {path.name} | {data['width']}x{data['height']} | {data['sigma']:g} | {data['min_region']} | "
                f"{data['n_regions']} | {segment[0]:.2f} | {compress[0]:.2f} | {ratio:.2f} | "
                f"{segment[1] / 2**20:.0f} | {compress[1] / 2**20:.0f} |"
            )
    print(f"\nWorst × compress: {max(ratios):.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, nargs=2, default=(240, 320), metavar=("H", "W"))
    parser.add_argument("--seeds", type=int, default=3, help="images per old scene")
    parser.add_argument("--family-seeds", type=int, default=2, help="scenes per family, k and noise")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-photos", action="store_true", help="skip the photos")
    args = parser.parse_args()
    print(f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}\n")
    families(tuple(args.size), args.family_seeds)
    quality(tuple(args.size), args.seeds)
    if not args.no_photos:
        photos(args.runs)


if __name__ == "__main__":
    main()
