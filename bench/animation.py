"""Animated GIFs: quantize against gifsicle and ffmpeg's two-pass palettegen/paletteuse.

    apt-get install gifsicle ffmpeg
    python bench/animation.py [--k 16 64 256] [--frames 100] [--size 480x270] [--runs 3]

Each test animation is generated here: a photo of ../shared/images (else images/),
centre-cropped and resized to --size, with shapes moving over it (a disc, a square, a
bar sweeping across) and a slow pan of the photo in half of them; 100 frames, 40 ms
each.  It is written as a GIF by Pillow (256 colours per frame, local colour tables,
no dithering) - the input every tool gets.  Then, at each k:

- quantize: ``quantize compress in.gif -k K -o out.gif`` (one palette for all frames);
- gifsicle: ``gifsicle -O3 --colors K in.gif -o out.gif``;
- ffmpeg: ``palettegen=max_colors=K:stats_mode=full`` then ``paletteuse`` on the
  same input, once with ffmpeg's default dithering (sierra2_4a) and once with
  ``dither=none``;
- after each peer, quantize at that peer's quality: ``--max-delta-e`` set to the
  peer's measured mean ΔE00 (at most K colours), so that bytes compare at equal or
  better quality.

Every output is decoded frame by frame (Pillow, composited) and compared with the
input's frames: mean CIEDE2000 over all pixels of all frames and PSNR.  Times are
wall-clock medians of --runs runs of the whole command (start-up included).
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _images import default_images, downscale  # noqa: E402

from quantize.metrics.image import delta_e_2000  # noqa: E402


def make_animation(photo, path, *, frames, size, pan):
    """Shapes moving over a photo (and, with ``pan``, the photo panning)."""
    width, height = size
    wide = downscale(photo[..., :3], (width + frames, height))
    images = []
    for i in range(frames):
        shift = i if pan else frames // 2
        image = Image.fromarray(np.ascontiguousarray(wide[:, shift : shift + width]))
        draw = ImageDraw.Draw(image)
        t = i / max(frames - 1, 1)
        x = int(t * (width - 60))
        draw.ellipse([x, height // 5, x + 60, height // 5 + 60], fill=(230, 40, 40))
        draw.rectangle([width - x - 50, height // 2, width - x, height // 2 + 50], fill=(30, 190, 80))
        draw.rectangle([0, height - 20, int(t * width), height - 8], fill=(250, 220, 40))
        images.append(image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    images[0].save(path, save_all=True, append_images=images[1:], duration=40, loop=0)


def frames_of(path):
    with Image.open(path) as image:
        out = []
        for i in range(image.n_frames):
            image.seek(i)
            out.append(np.asarray(image.convert("RGB")))
        return out


def measure(reference, output):
    frames = frames_of(output)
    if len(frames) != len(reference):  # identical frames merged: expand by duration is not needed here
        raise SystemExit(f"{output}: {len(frames)} frames, not {len(reference)}")
    a = np.concatenate([f.reshape(-1, 3) for f in reference])
    b = np.concatenate([f.reshape(-1, 3) for f in frames])
    # CIEDE2000 over the distinct (input colour, output colour) pairs, weighted: exact, and fast
    codes = np.zeros(len(a), np.int64)
    for channel, shift in zip(np.hstack([a, b]).T, (40, 32, 24, 16, 8, 0)):
        codes |= channel.astype(np.int64) << shift
    pairs, counts = np.unique(codes, return_counts=True)
    ref = np.stack([(pairs >> 40) & 255, (pairs >> 32) & 255, (pairs >> 24) & 255], axis=1).astype(np.uint8)
    out = np.stack([(pairs >> 16) & 255, (pairs >> 8) & 255, pairs & 255], axis=1).astype(np.uint8)
    delta_e = delta_e_2000(ref, out, sample_weight=counts)[0]
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return delta_e, 10 * np.log10(255**2 / mse) if mse else float("inf")


def timed(command, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tools(source, out, k):
    palette = out.with_suffix(".palette.png")
    return {
        "quantize": [
            [sys.executable, "-m", "quantize", "compress", str(source), "-k", str(k), "-o", str(out), "--force", "-q"]
        ],
        "gifsicle -O3": [["gifsicle", "-O3", "--colors", str(k), str(source), "-o", str(out)]],
        "ffmpeg (sierra2_4a)": [
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(source),
                "-vf",
                f"palettegen=max_colors={k}:stats_mode=full",
                str(palette),
            ],
            ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-i", str(palette), "-lavfi", "paletteuse", str(out)],
        ],
        "ffmpeg (no dither)": [
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(source),
                "-vf",
                f"palettegen=max_colors={k}:stats_mode=full",
                str(palette),
            ],
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(source),
                "-i",
                str(palette),
                "-lavfi",
                "paletteuse=dither=none",
                str(out),
            ],
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--k", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--size", default="480x270")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=3, help="how many photos (the first ones)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    photos = (args.images or default_images())[: args.count]
    print(f"{args.frames} frames {size[0]}x{size[1]}, median of {args.runs} runs\n")
    print("| animation | k | tool | bytes | vs quantize | mean ΔE00 | PSNR dB | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for number, photo in enumerate(photos):
            pixels = np.asarray(Image.open(photo).convert("RGB"))
            pan = number % 2 == 1
            source = folder / f"{photo.stem}.gif"
            make_animation(pixels, source, frames=args.frames, size=size, pan=pan)
            reference = frames_of(source)
            label = f"{photo.stem}{' (pan)' if pan else ''}, {source.stat().st_size:,} B"
            for k in args.k:
                ours = None
                out = folder / "out.gif"
                for tool, commands in tools(source, out, k).items():
                    seconds = sum(timed(command, args.runs) for command in commands)
                    size_bytes = out.stat().st_size
                    delta_e, psnr = measure(reference, out)
                    ours = ours or size_bytes
                    print(
                        f"| {label} | {k} | {tool} | {size_bytes:,} | {size_bytes / ours:.3f} | {delta_e:.3f} | "
                        f"{psnr:.2f} | {seconds:.2f} |",
                        flush=True,
                    )
                    if tool.startswith("quantize") or delta_e < 1e-3:  # lossless: nothing to match
                        continue
                    # quantize at their quality: the fewest colours (at most k) whose mean ΔE00 is no worse
                    matched = [
                        sys.executable,
                        "-m",
                        "quantize",
                        "compress",
                        str(source),
                        "-k",
                        str(k),
                        "-o",
                        str(out),
                        "--force",
                        "-q",
                        "--max-delta-e",
                        f"{delta_e:.4f}",
                    ]
                    seconds = timed(matched, args.runs)
                    theirs = size_bytes
                    size_bytes = out.stat().st_size
                    delta_e, psnr = measure(reference, out)
                    print(
                        f"| {label} | {k} | quantize at {tool}'s ΔE | {size_bytes:,} | {size_bytes / theirs:.3f} "
                        f"of {tool} | {delta_e:.3f} | {psnr:.2f} | {seconds:.2f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
