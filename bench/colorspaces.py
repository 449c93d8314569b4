"""Which colour space gives the lowest mean CIEDE2000 at the same k?

    python bench/colorspaces.py [IMAGE ...] [--k 16 64]

For every photo in ../shared/images (else images/) and k, quantises in every space
(sRGB, CIELAB, OKLab, DIN99o; seed 0) and reports the mean and 95th-percentile CIEDE2000 over the pixels and
the PSNR.  Prints markdown, with a count of the wins.
"""

import argparse
from collections import Counter
from pathlib import Path

from quantize import load_image, quantize_image
from quantize.color import CLUSTER_SPACES

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "images"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--k", nargs="+", type=int, default=[16, 64])
    args = parser.parse_args()
    folder = SHARED if SHARED.is_dir() else ROOT / "images"
    images = args.images or sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    print("| image | k | " + " | ".join(f"{s}: mean ΔE / p95 / PSNR" for s in CLUSTER_SPACES) + " | lowest mean ΔE |")
    print("|---|---|" + "---|" * (len(CLUSTER_SPACES) + 1))
    wins = Counter()
    for path in images:
        loaded = load_image(path, max_pixels=None)
        for k in args.k:
            reports = {s: quantize_image(loaded, k, random_state=0, colorspace=s).report for s in CLUSTER_SPACES}
            best = min(CLUSTER_SPACES, key=lambda s: reports[s].delta_e)
            wins[best] += 1
            cells = " | ".join(
                f"{r.delta_e:.2f} / {r.delta_e_p95:.2f} / {r.psnr:.2f}"
                + ("" if r.colorspace == s else f" (ran in {r.colorspace})")
                for s, r in reports.items()
            )
            print(f"| {path.name} | {k} | {cells} | {best} |", flush=True)
    print(
        "\nLowest mean ΔE2000: "
        + ", ".join(f"{s} {wins[s]}" for s in CLUSTER_SPACES)
        + f" of {sum(wins.values())} cases."
    )


if __name__ == "__main__":
    main()
