"""quantize against its peers, on the same decoded images, in one process.

    pip install -e .[bench]          # scikit-learn and imagequant; pngquant: apt install pngquant
    python bench/peers.py [IMAGE ...] [--k 16 64 256] [--runs 3] [--no-small] [--no-table] [--no-e2e] [--no-big]

Default images: the photos in ../shared/images when that folder exists, else images/;
each is also run as a 768x512 downscale (centre crop to 3:2, Lanczos), the size of the
standard colour-quantisation test images, unless --no-small.

For each image and k it times, on the same decoded pixels (median of --runs runs):

- the default ``quantize_image`` call (seed 0, report included: PSNR and CIEDE2000)
  in its default space, CIELAB, and in sRGB (``colorspace="rgb"``), the mode the PSNR
  target is checked on;
- scikit-learn KMeans(n_init=1) fitted on 10,000 random pixels, then ``predict`` on all;
- scikit-learn MiniBatchKMeans fitted on 100,000 random pixels (float32), then ``predict``
  on all (fitting every pixel costs minutes: see ``sklearn_minibatch``);
- Pillow ``Image.quantize`` with MEDIANCUT (RGB only) and FASTOCTREE;
- libimagequant (PyPI ``imagequant``) without dithering;

(a peer whose first run takes over 20 s is timed once, and its row says "1 run"), and
two limits that are not quantisers: one decode of the file (Pillow), and one NumPy
pass over the pixels (``np.bincount`` of 15-bit packed colours). PSNR compares each
result with the decoded image (premultiplied RGBA for images with transparency, as
quantize's report does); mean ΔE00 is the CIEDE2000 difference on the same 2^18 pixels
drawn at random for every method (their premultiplied RGB with transparency).
"ours/theirs" is the time of quantize's default call over theirs (below 1: we are
faster); "Δ dB" is the PSNR of quantize in sRGB minus theirs (a difference of decibels
is a ratio of errors).  The targets table compares, at every k: the default call's
time with the scikit-learn recipe's and libimagequant's (and one decode's), the sRGB
mode's PSNR with the best peer's, and the default's mean ΔE00 with the best peer's.

It then times ``quantize compress`` end to end (a new process: start-up, decode, quantise,
measure, encode, write), by default and with ``--colorspace rgb``, against
``pngquant --nofs`` on the same lossless PNG of each image, with PSNR, mean ΔE00 and
output bytes; measures the peak memory of the default call (tracemalloc, over the
decoded pixels it is given); and runs a generated 100-megapixel image through
``quantize compress`` in a child process, reporting its peak resident memory.

A missing peer is skipped with a line saying so. Prints markdown.
"""

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from _child import run_quantize
from _images import cases, default_images
from PIL import Image

import quantize as quantize_package
from quantize import quantize_image
from quantize.color.alpha import premultiply, to_palette
from quantize.color.spaces import DEFAULT_SPACE
from quantize.metrics import delta_e_2000, psnr

SAMPLE = 10_000
MINIBATCH_SAMPLE = 100_000
DELTA_E_SAMPLE = 1 << 18


SLOW = 20.0  # seconds: a peer slower than this is timed once, and the table says so


def timed(function, runs):
    """Median wall time of ``runs`` calls, the last result, and how many runs were made
    (one only when the first took more than SLOW seconds)."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
        if seconds[0] > SLOW:
            break
    return statistics.median(seconds), result, len(seconds)


def version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


# ---- the quantisers: each returns (palette in the image's channels, labels) ------------


def _palette_and_labels(result):
    return result.palette, result.labels


def ours_rgb(pixels, k):
    return _palette_and_labels(quantize_image(pixels, k, colorspace="rgb", random_state=0))


def ours_default(pixels, k):
    return _palette_and_labels(quantize_image(pixels, k, random_state=0))


def sklearn_sample(pixels, k):
    from sklearn.cluster import KMeans

    space = premultiply(pixels) if pixels.shape[2] == 4 else pixels
    flat = space.reshape(-1, space.shape[2]).astype(np.float64)
    rng = np.random.default_rng(0)
    sample = flat[rng.choice(len(flat), size=min(SAMPLE, len(flat)), replace=False)]
    model = KMeans(n_clusters=k, n_init=1, random_state=0).fit(sample)
    labels = model.predict(flat).reshape(pixels.shape[:2])
    return to_palette(model.cluster_centers_, pixels.shape[2] == 4), labels


def sklearn_minibatch(pixels, k):
    from sklearn.cluster import MiniBatchKMeans

    space = premultiply(pixels) if pixels.shape[2] == 4 else pixels
    flat = space.reshape(-1, space.shape[2]).astype(np.float32)
    # Fitted on a sample of MINIBATCH_SAMPLE pixels: each mini-batch step of
    # scikit-learn 1.x costs time in proportion to the whole data set (measured: 5 ms a
    # step on 0.4 MP, 48 ms on 4 MP), so fitting all pixels of a 4 MP photo took 60 to
    # 100 s, and a 20 MP one far longer.
    rng = np.random.default_rng(0)
    sample = flat[rng.choice(len(flat), size=min(MINIBATCH_SAMPLE, len(flat)), replace=False)]
    model = MiniBatchKMeans(n_clusters=k, random_state=0).fit(sample)
    labels = model.predict(flat).reshape(pixels.shape[:2])
    return to_palette(model.cluster_centers_, pixels.shape[2] == 4), labels


def _from_pil(image, channels):
    """Palette and labels of a mode "P" image from Pillow or libimagequant."""
    rgba = np.asarray(image.convert("RGBA"))
    flat = rgba.reshape(-1, 4)[:, :channels]
    palette, labels = np.unique(flat, axis=0, return_inverse=True)
    return palette, labels.reshape(rgba.shape[:2])


def pillow(method):
    def run(pixels, k):
        return Image.fromarray(pixels).quantize(k, method=method, dither=Image.Dither.NONE)

    return run


def libimagequant(pixels, k):
    import imagequant

    rgba = pixels if pixels.shape[2] == 4 else np.dstack([pixels, np.full(pixels.shape[:2], 255, np.uint8)])
    return imagequant.quantize_pil_image(
        Image.fromarray(rgba), dithering_level=0.0, max_colors=k, min_quality=0, max_quality=100
    )


OURS = (f"quantize, default ({DEFAULT_SPACE})", "quantize, rgb")
PEERS = [
    (OURS[0], ours_default, None),
    (OURS[1], ours_rgb, None),
    ("sklearn KMeans, 10k sample + predict", sklearn_sample, "scikit-learn"),
    ("sklearn MiniBatchKMeans, 100k sample + predict", sklearn_minibatch, "scikit-learn"),
    ("Pillow MEDIANCUT", pillow(Image.Quantize.MEDIANCUT), "pillow"),
    ("Pillow FASTOCTREE", pillow(Image.Quantize.FASTOCTREE), "pillow"),
    ("libimagequant", libimagequant, "imagequant"),
]


def rebuild(result, pixels):
    """The image a quantiser's result shows, in the space PSNR compares."""
    channels = pixels.shape[2]
    if isinstance(result, Image.Image):
        palette, labels = _from_pil(result, channels)
    else:
        palette, labels = result
    table = np.zeros((len(palette) + 1, channels), np.uint8)
    table[: len(palette)] = palette
    image = table[labels]  # label -1 (transparent) takes the zero row
    used = len(np.unique(labels[labels >= 0]))
    return (premultiply(image) if channels == 4 else image), used


def numpy_pass(pixels):
    """The one-pass limit: a bincount of 15-bit packed colours."""
    flat = pixels.reshape(-1, pixels.shape[2])
    codes = (flat[:, 0] >> 3).astype(np.uint16) << 10
    codes |= (flat[:, 1] >> 3).astype(np.uint16) << 5
    codes |= flat[:, 2] >> 3
    return np.bincount(codes, minlength=1 << 15)


class DeltaE:
    """Mean CIEDE2000 against the decoded image on one fixed sample of its pixels."""

    def __init__(self, reference):
        flat = reference.reshape(-1, reference.shape[2])
        size = min(DELTA_E_SAMPLE, len(flat))
        self.index = np.random.default_rng(0).choice(len(flat), size, replace=False)
        self.reference = flat[self.index, :3]

    def __call__(self, shown):
        return delta_e_2000(self.reference, shown.reshape(-1, shown.shape[2])[self.index, :3])[0]


def db_difference(ours, theirs):
    """Our PSNR minus theirs; "0 (both exact)" when both are lossless (infinite)."""
    if ours == theirs == float("inf"):
        return "0 (both exact)"
    return f"{ours - theirs:+.2f}"


def decode(path):
    with Image.open(path) as image:
        image.load()
        return image


def peak_memory(pixels, k):
    """Peak bytes the default call allocates on top of the pixels it is given."""
    tracemalloc.start()
    quantize_image(pixels, k, random_state=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


# ---- end to end ---------------------------------------------------------------------


def run_process(command):
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()}")
    return time.perf_counter() - start


def end_to_end(source_png, reference, k, runs, folder):
    """quantize compress (by default, and in sRGB) and pngquant --nofs on the same PNG:
    seconds, PSNR, mean ΔE00, bytes."""
    rows = []
    theirs_out = folder / "pngquant.png"
    compress = [sys.executable, "-m", "quantize", "compress", str(source_png), "-k", str(k), "--force", "-o"]
    commands = [
        (
            f"quantize compress (default: {DEFAULT_SPACE})",
            [*compress, str(folder / "default.png")],
            folder / "default.png",
        ),
        (
            "quantize compress --colorspace rgb",
            [*compress, str(folder / "rgb.png"), "--colorspace", "rgb"],
            folder / "rgb.png",
        ),
    ]
    if shutil.which("pngquant"):
        commands.append(
            (
                "pngquant --nofs",
                ["pngquant", "--nofs", "--force", "--output", str(theirs_out), str(k), str(source_png)],
                theirs_out,
            )
        )
    delta_e = DeltaE(reference)
    for name, command, output in commands:
        seconds = statistics.median(run_process(command) for _ in range(runs))
        written = np.asarray(Image.open(output).convert("RGBA" if reference.shape[2] == 4 else "RGB"))
        shown = premultiply(written) if reference.shape[2] == 4 else written
        rows.append((name, seconds, psnr(reference, shown), delta_e(shown), output.stat().st_size))
    return rows


def big_image(folder, megapixels=100):
    """Peak resident memory of ``quantize compress`` on a generated image."""
    side = int(np.sqrt(megapixels * 1e6))
    path = folder / "big.bmp"  # BMP: quick to write and to read, no compression
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    rng = np.random.default_rng(0)
    image = np.empty((side, side, 3), np.uint8)
    for channel, (fx, fy) in enumerate([(3, 1), (1, 4), (2, 2)]):
        wave = 127.5 + 100 * np.sin(2 * np.pi * (fx * x + fy * y) + channel)
        image[..., channel] = np.clip(wave + rng.normal(0, 6, wave.shape), 0, 255)
    del y, x
    Image.fromarray(image).save(path)
    del image
    seconds, peak, stdout = run_quantize(
        [
            "compress",
            path,
            "-k",
            "64",
            "-o",
            folder / "big-q64.png",
            "--max-pixels",
            "200000000",
            "--force",
            "--json",
        ]
    )
    return side, seconds, peak, json.loads(stdout)


def print_targets(summary_rows):
    """The default call's time against the peers', our PSNR in sRGB against the best
    peer's, the default's mean ΔE00 against the best peer's."""
    print("\n## Against the targets\n")
    print(
        "| image | k | ours (default) s | ÷ sklearn recipe | ÷ libimagequant "
        "| ÷ one decode | rgb: dB over the best peer (≥ 0) | default: ΔE00 − the best peer's (≤ 0) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, k, rows, decode_s in summary_rows:
        times = {name: seconds for name, seconds, _, _, _ in rows}
        ours_s = times[OURS[0]]
        rgb_psnr = next(row[2] for row in rows if row[0] == OURS[1])
        peers = [row for row in rows if row[0] not in OURS]
        best_peer = max(row[2] for row in peers) if peers else float("nan")
        ours_delta_e = next(row[3] for row in rows if row[0] == OURS[0])
        best_delta_e = min(row[3] for row in peers) if peers else float("nan")

        def share(prefix):
            seconds = next((t for name, t in times.items() if name.startswith(prefix)), None)
            return "skipped" if seconds is None else f"{ours_s / seconds:.2f}"

        print(
            f"| {label} | {k} | {ours_s:.3f} | {share('sklearn KMeans')} | {share('libimagequant')} "
            f"| {ours_s / decode_s:.1f} | {db_difference(rgb_psnr, best_peer)} | {ours_delta_e - best_delta_e:+.2f} |"
        )
    print_sums(summary_rows)


def print_sums(summary_rows):
    """Issue 25's time targets: per size and k, the default call's time summed over the
    images over the peer's summed the same way (≤ 1.0 for the scikit-learn recipe,
    ≤ 0.5 for libimagequant), and the median over the images of the call over one
    decode (≤ 4 at k = 16)."""
    print(
        "\nSummed over the images (time targets: ÷ sklearn recipe ≤ 1.0, ÷ libimagequant ≤ 0.5; "
        "median ÷ one decode ≤ 4 at k = 16):\n"
    )
    print("| size | k | ours s | ÷ sklearn recipe | ÷ libimagequant | median ÷ one decode |")
    print("|---|---|---|---|---|---|")
    groups = {}
    for label, k, rows, decode_s in summary_rows:
        size = "768x512" if "(768x512" in label else "full size"
        groups.setdefault((size, k), []).append(({name: seconds for name, seconds, _, _, _ in rows}, decode_s))
    for (size, k), runs in groups.items():
        ours = sum(times[OURS[0]] for times, _ in runs)

        def summed(prefix):
            seconds = [next((t for name, t in times.items() if name.startswith(prefix)), None) for times, _ in runs]
            return "skipped" if None in seconds else f"{ours / sum(seconds):.2f}"

        decodes = statistics.median(times[OURS[0]] / decode_s for times, decode_s in runs)
        print(f"| {size} | {k} | {ours:.3f} | {summed('sklearn KMeans')} | {summed('libimagequant')} | {decodes:.1f} |")


def quantisation_tables(images, peers, args, folder):
    """Every quantiser on the same decoded pixels; then the targets and our peak memory."""
    print("\n## Quantisation (the default call, report included, against the peers)\n")
    print("| image | k | method | seconds | PSNR dB | mean ΔE00 | colours | ours/theirs | Δ dB |")
    print("|---|---|---|---|---|---|---|---|---|")
    memory_rows, summary_rows = [], []
    for label, pixels, source in cases(images, not args.no_small, folder):
        reference = premultiply(pixels) if pixels.shape[2] == 4 else pixels
        delta_e = DeltaE(reference)
        decode_s = timed(lambda: decode(source), args.runs)[0]
        pass_s = timed(lambda: numpy_pass(pixels), args.runs)[0]
        for k in args.k:
            rows = []
            for name, function in peers:
                if name == "Pillow MEDIANCUT" and pixels.shape[2] == 4:
                    continue  # Pillow's median cut takes RGB only
                seconds, result, n_runs = timed(lambda: function(pixels, k), args.runs)
                shown, used = rebuild(result, pixels)
                name += "" if n_runs == args.runs else f" ({n_runs} run)"
                rows.append((name, seconds, psnr(reference, shown), delta_e(shown), used))
            our_s, our_psnr = rows[0][1], rows[1][2]  # time of the default, PSNR of the sRGB mode
            for name, seconds, quality, difference, used in rows:
                ratio = "" if name == OURS[0] else f"{our_s / seconds:.2f}"
                delta = "" if name == OURS[1] else db_difference(our_psnr, quality)
                print(
                    f"| {label} | {k} | {name} | {seconds:.3f} | {quality:.2f} | {difference:.2f} | {used} "
                    f"| {ratio} | {delta} |"
                )
            print(f"| {label} | {k} | limit: one decode | {decode_s:.3f} |  |  |  | {our_s / decode_s:.2f} |  |")
            print(
                f"| {label} | {k} | limit: one NumPy pass | {pass_s:.3f} |  |  |  | {our_s / pass_s:.2f} |  |",
                flush=True,
            )
            memory_rows.append((label, k, peak_memory(pixels, k), pixels.shape[0] * pixels.shape[1] * 3))
            summary_rows.append((label, k, rows, decode_s))

    print_targets(summary_rows)

    print("\n## Peak memory of the default call (tracemalloc, on top of the decoded pixels)\n")
    print("| image | k | peak MB | × decoded RGB |")
    print("|---|---|---|---|")
    for label, k, peak, rgb in memory_rows:
        print(f"| {label} | {k} | {peak / 1e6:.0f} | {peak / rgb:.2f} |")


def end_to_end_table(images, args, folder):
    print("\n## End to end on the same PNG: `quantize compress` vs `pngquant --nofs`\n")
    print(
        "Target (issue 25): at k = 256 on 4-20 MP photos, ≥ 2 times faster (ours/theirs time ≤ 0.5) with bytes "
        "≤ pngquant's.  The package's bytecode is compiled first, as an installation compiles it.\n"
    )
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(quantize_package.__file__).parent)],
        check=True,
        capture_output=True,
    )
    print(
        "| image | k | command | seconds | PSNR dB | mean ΔE00 | bytes | ours/theirs time | ΔE00 − theirs "
        "| ours/theirs bytes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, pixels, _ in cases(images, not args.no_small, folder):
        source = folder / "source.png"
        Image.fromarray(pixels).save(source, compress_level=1)
        reference = premultiply(pixels) if pixels.shape[2] == 4 else pixels
        for k in args.k:
            rows = end_to_end(source, reference, k, args.runs, folder)
            theirs = next((row for row in rows if row[0].startswith("pngquant")), None)
            for name, seconds, quality, difference, size in rows:
                compare = " |  | "
                if theirs is not None and name.startswith("quantize"):
                    compare = f"{seconds / theirs[1]:.2f} | {difference - theirs[3]:+.2f} | {size / theirs[4]:.3f}"
                print(
                    f"| {label} | {k} | {name} | {seconds:.2f} | {quality:.2f} | {difference:.2f} "
                    f"| {size:,} | {compare} |",
                    flush=True,
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--k", nargs="+", type=int, default=[16, 64, 256])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-small", action="store_true", help="skip the 768x512 downscales")
    parser.add_argument("--no-e2e", action="store_true", help="skip quantize compress vs pngquant")
    parser.add_argument("--no-big", action="store_true", help="skip the 100-megapixel image")
    parser.add_argument("--no-table", action="store_true", help="skip the quantisation tables")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # peers and we warn on images with few colours

    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}; numpy {version('numpy')}, Pillow {version('pillow')}, "
        f"scikit-learn {version('scikit-learn')}, imagequant {version('imagequant')}, "
        f"quantize {version('quantize')}."
    )
    peers = []
    for name, function, package in PEERS:
        if package and version(package) is None:
            print(f"\nSkipped {name}: the package {package} is not installed.")
        else:
            peers.append((name, function))
    if not shutil.which("pngquant") and not args.no_e2e:
        print("\nSkipped pngquant in the end-to-end table: the pngquant command is not installed.")

    # One untimed call each on a small image, so imports and first-call set-up are
    # not timed as part of the first image.
    warm = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    for _, function in peers:
        function(warm, 4)

    images = args.images or default_images()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.no_table:
            quantisation_tables(images, peers, args, folder)
        if not args.no_e2e:
            end_to_end_table(images, args, folder)
        if not args.no_big:
            side, seconds, peak, report = big_image(folder)
            print(f"\n## A generated {side}x{side} image ({side * side / 1e6:.0f} megapixels)\n")
            print(
                f"`quantize compress -k 64` finished in {seconds:.1f} s with a peak resident memory of "
                f"{peak / 2**30:.2f} GiB (PSNR {report['psnr']:.2f} dB)."
            )


if __name__ == "__main__":
    main()
