"""Time and quality of each ``effort`` of the default call, on the photos and their
768x512 downscales.

    python bench/effort.py [IMAGE ...] [--k 16 64 256] [--runs 3] [--no-small]

For each image, k and effort it times ``quantize_image(pixels, k, effort=...)`` (the
default call otherwise: CIELAB, report included; median of --runs runs, one run for
"thorough") and gives its mean CIEDE2000 and PSNR, and the PSNR of the same effort
in sRGB (``colorspace="rgb"``, what the PSNR comparisons use).  A summary gives, per
effort, the median time relative to "normal" and the median and worst change of
mean ΔE00 and of sRGB PSNR against "normal".  Prints markdown.
"""

import argparse
import math
import statistics
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _images import cases, default_images
from _timing import timed

from quantize import quantize_image

EFFORTS = ("fast", "normal", "thorough")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--k", nargs="+", type=int, default=[16, 64, 256])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-small", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    warm = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    quantize_image(warm, 4)  # first-call set-up, untimed

    print("| image | k | effort | seconds | mean ΔE00 | PSNR dB | sRGB: seconds | sRGB: PSNR dB |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label, pixels, _ in cases(args.images or default_images(), not args.no_small, folder):
            for k in args.k:
                for effort in EFFORTS:
                    runs = 1 if effort == "thorough" else args.runs
                    seconds, lab = timed(lambda: quantize_image(pixels, k, effort=effort, random_state=0), runs)
                    rgb_seconds, rgb = timed(
                        lambda: quantize_image(pixels, k, effort=effort, colorspace="rgb", random_state=0), runs
                    )
                    report = lab.report
                    rows.append((label, k, effort, seconds, report.delta_e, rgb.report.psnr))
                    print(
                        f"| {label} | {k} | {effort} | {seconds:.3f} | {report.delta_e:.3f} | {report.psnr:.2f} "
                        f"| {rgb_seconds:.3f} | {rgb.report.psnr:.2f} |",
                        flush=True,
                    )

    normal = {
        (label, k): (seconds, delta_e, psnr) for label, k, effort, seconds, delta_e, psnr in rows if effort == "normal"
    }
    print(
        "\n| effort | time ÷ normal (median) | mean ΔE00 − normal's: median, worst | "
        "sRGB PSNR − normal's dB: median, worst |"
    )
    print("|---|---|---|---|")
    for effort in EFFORTS:
        mine = [
            (seconds / normal[(label, k)][0], delta_e - normal[(label, k)][1], psnr - normal[(label, k)][2])
            for label, k, e, seconds, delta_e, psnr in rows
            if e == effort and math.isfinite(psnr) and math.isfinite(normal[(label, k)][2])
        ]  # lossless: inf
        ratios, delta_es, psnrs = zip(*mine)
        print(
            f"| {effort} | {statistics.median(ratios):.2f} | {statistics.median(delta_es):+.3f}, "
            f"{max(delta_es):+.3f} | {statistics.median(psnrs):+.3f}, {min(psnrs):+.3f} |"
        )


if __name__ == "__main__":
    main()
