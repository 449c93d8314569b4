"""Dithering against pngquant's: time, outliers, PSNR and bytes, and crops to look at.

    python bench/dither.py [IMAGE ...] [--k 16 64 256] [--runs 3] [--no-crops]

For each photo (../shared/images, else images/) and k, on the same decoded pixels:
quantize's default call (CIELAB) undithered, with Floyd–Steinberg and with ordered
dithering, and in sRGB (``colorspace="rgb"``, the PSNR mode) undithered and with
Floyd–Steinberg (time: median of --runs; a dithered call's time over the undithered
one in its space), and
`pngquant K` (its default Floyd–Steinberg) and `pngquant --nofs K` on a lossless PNG
of the image (a new process each, as users run it).  For each result: PSNR against
the input, the share of pixels with a channel more than 100 off ("outliers": the
dots of runaway error diffusion) and the PNG bytes (ours as compress writes them).
Writes bench/results/dither.md and, unless --no-crops, docs/dither-vs-pngquant.png:
200x140 crops at 1:1 (enlarged 2x) of the input, pngquant's and ours where
pngquant's result has the most outliers.
"""

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _images import default_images  # noqa: E402
from _timing import timed  # noqa: E402

from quantize import encode, load_image, quantize_image  # noqa: E402

#: Our calls: (dither, colour space); the default space, and sRGB (the PSNR mode).
OURS = [("none", "lab"), ("floyd-steinberg", "lab"), ("ordered", "lab"), ("none", "rgb"), ("floyd-steinberg", "rgb")]


def _name(method, space):
    return method if space == "lab" else f"{method}, rgb"


def _psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _outliers(a, b):
    return float((np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > 100).mean())


def _pngquant(png, k, dithered, folder):
    out = Path(folder) / f"pq-{k}-{int(dithered)}.png"
    out.unlink(missing_ok=True)
    command = ["pngquant", str(k), "--force", "--output", str(out), str(png)]
    if not dithered:
        command.insert(1, "--nofs")
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    with Image.open(out) as image:
        return seconds, np.asarray(image.convert("RGB")), out.stat().st_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--k", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-crops", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "dither.md")
    args = parser.parse_args()
    paths = args.images or [p for p in default_images() if p.suffix.lower() in {".jpg", ".jpeg"}]
    have_pngquant = shutil.which("pngquant") is not None
    rows, worst = [], None
    with tempfile.TemporaryDirectory() as folder:
        for path in paths:
            pixels = load_image(path, max_pixels=None).pixels[..., :3]
            png = Path(folder) / "input.png"
            Image.fromarray(pixels).save(png, compress_level=1)
            for k in args.k:
                line = {"image": f"{path.name} ({pixels.shape[1]}x{pixels.shape[0]})", "k": k}
                plain_seconds = {}
                for method, space in OURS:
                    seconds, result = timed(
                        lambda: quantize_image(pixels, k, random_state=0, dither=method, colorspace=space), args.runs
                    )
                    data = encode(result, "PNG").data
                    plain_seconds.setdefault(space, seconds)
                    line[_name(method, space)] = (
                        seconds,
                        seconds / plain_seconds[space],
                        _psnr(result.image[..., :3], pixels),
                        _outliers(result.image[..., :3], pixels),
                        len(data),
                    )
                    if (method, space) == ("floyd-steinberg", "lab"):
                        ours = result.image[..., :3]
                if have_pngquant:
                    for dithered, name in ((True, "pngquant"), (False, "pngquant --nofs")):
                        seconds, image, size = _pngquant(png, k, dithered, folder)
                        line[name] = (seconds, None, _psnr(image, pixels), _outliers(image, pixels), size)
                        if dithered and (worst is None or line[name][3] > worst[0]):
                            worst = (line[name][3], pixels, image, ours, path.name, k)
                rows.append(line)
                print(line, flush=True)
    methods = [_name(*m) for m in OURS] + (["pngquant", "pngquant --nofs"] if have_pngquant else [])
    pngquant_version = (
        "pngquant " + subprocess.run(["pngquant", "--version"], capture_output=True, text=True).stdout.strip()
        if have_pngquant
        else "no pngquant"
    )
    out = [
        "# Dithering against pngquant",
        "",
        f"`python bench/dither.py --k {' '.join(map(str, args.k))} --runs {args.runs}` "
        f"({pngquant_version}). "
        "quantize: the default call (CIELAB) on the decoded pixels; pngquant: a new process on a lossless PNG. "
        "Outliers: pixels with a channel more than 100 off. Bytes: the PNG as written.",
        "",
        "| image | k | method | seconds | x undithered | PSNR dB | outliers % | bytes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for line in rows:
        for method in methods:
            seconds, ratio, psnr, outliers, size = line[method]
            out.append(
                f"| {line['image']} | {line['k']} | {method} | {seconds:.2f} | "
                f"{'' if ratio is None else f'{ratio:.2f}'} | {psnr:.2f} | {100 * outliers:.4f} | {size:,} |"
            )
    args.out.write_text("\n".join(out) + "\n")
    print("\n".join(out))
    if worst is not None and not args.no_crops:
        _crops(*worst)


def _crops(_, pixels, theirs, ours, name, k, size=(200, 140), scale=2):
    """Input, pngquant and ours side by side where pngquant's outliers are densest."""
    bad = (np.abs(theirs.astype(np.int16) - pixels.astype(np.int16)).max(axis=2) > 100).astype(np.float64)
    height, width = size[1], size[0]
    sums = bad.cumsum(0).cumsum(1)
    window = sums[height:, width:] - sums[:-height, width:] - sums[height:, :-width] + sums[:-height, :-width]
    y, x = np.unravel_index(np.argmax(window), window.shape)
    panels = [("input", pixels), (f"pngquant {k}", theirs), (f"quantize -k {k} --dither floyd-steinberg", ours)]
    sheet = Image.new("RGB", (len(panels) * width * scale, height * scale + 18), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (title, image) in enumerate(panels):
        tile = Image.fromarray(image[y : y + height, x : x + width]).resize(
            (width * scale, height * scale), Image.Resampling.NEAREST
        )
        sheet.paste(tile, (i * width * scale, 18))
        draw.text((i * width * scale + 4, 3), f"{title} ({name})", fill="black")
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG", optimize=True)
    (ROOT / "docs" / "dither-vs-pngquant.png").write_bytes(buffer.getvalue())


if __name__ == "__main__":
    main()
