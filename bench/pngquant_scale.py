"""Calibrates `--quality pngquant:Q` against libimagequant itself (the `imagequant`
package of the bench extra): for each photo and Q, libimagequant's result at
``--quality 0-Q`` without dithering, its sRGB PSNR, and the gap to the PSNR of
libimagequant's own target error for Q (quantize.metrics.pngquant's formula without
the offset).  Results that used all 256 colours did not reach their target and are
left out of the gap.  Writes bench/results/pngquant_scale.md.

    python bench/pngquant_scale.py [--images ../shared/images]
"""

import argparse
import statistics
from pathlib import Path

import imagequant
import numpy as np
from PIL import Image

from quantize.metrics import psnr
from quantize.metrics.pngquant import libimagequant_psnr

ROOT = Path(__file__).resolve().parent.parent
QUALITIES = (20, 30, 40, 50, 60, 70, 80, 90)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=Path, default=ROOT.parent / "shared" / "images")
    args = parser.parse_args()
    paths = sorted(p for p in [*args.images.glob("*"), *(ROOT / "images").glob("*")] if p.suffix in (".jpg", ".png"))
    rows = []
    for path in paths:
        image = Image.open(path).convert("RGBA")
        if image.width * image.height > 6e6:  # the 20 MP photo at half size: the same scene, quicker
            image = image.resize((image.width // 2, image.height // 2))
        pixels = np.asarray(image)
        if pixels[..., 3].min() < 255:
            continue  # PSNR over RGB needs opaque images
        for q in QUALITIES:
            out = imagequant.quantize_pil_image(
                image, dithering_level=0.0, max_colors=256, min_quality=0, max_quality=q
            )
            colours = len(out.getcolors(1 << 24))
            measured = psnr(pixels[..., :3], np.asarray(out.convert("RGB")))
            rows.append((path.name, q, colours, measured, libimagequant_psnr(q) - measured))
            print(*rows[-1], flush=True)
    gaps = [gap for _, _, colours, _, gap in rows if colours < 256]
    lines = [
        "# pngquant's quality scale in sRGB PSNR",
        "",
        "`python bench/pngquant_scale.py`: libimagequant at `--quality 0-Q`, no dithering; the gap is the PSNR of",
        "libimagequant's target error for Q minus the sRGB PSNR its result measures (results at 256 colours,",
        "which stopped short of the target, left out).",
        "",
        f"Gap over {len(gaps)} results: median {statistics.median(gaps):.2f} dB, "
        f"range {min(gaps):.2f} to {max(gaps):.2f} dB.",
        "",
        "| photo | Q | colours | PSNR dB | gap dB |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {n} | {q} | {c} | {p:.2f} | {g:.2f} |" for n, q, c, p, g in rows]
    (ROOT / "bench" / "results" / "pngquant_scale.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
