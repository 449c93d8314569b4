"""Peak memory of each command on the worst case the bomb guard lets through: a
9000x9000 (81-megapixel) one-colour PNG of 258 KB; ``--side 10000`` makes it
100 megapixels (the commands are then given ``--max-pixels``).

    python bench/memory.py [--side 9000]

Each command runs in a new process; its peak resident set size comes from
getrusage(RUSAGE_CHILDREN).  Writes bench/results/memory.md.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from quantize.datasets import make_shapes

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "compress -k 16": ["compress", "{input}", "-k", "16", "-o", "{out}/q.png"],
    "compress -k 256 --dither floyd-steinberg": [
        "compress",
        "{input}",
        "-k",
        "256",
        "--dither",
        "floyd-steinberg",
        "-o",
        "{out}/fs.png",
    ],
    "segment -k 4": ["segment", "{input}", "-k", "4", "-o", "{out}/seg"],
    "palette -k 8": ["palette", "{input}", "-k", "8"],
    "apply --palette": ["apply", "{input}", "--palette", "{out}/palette.gpl", "-o", "{out}/applied.png"],
}


_CHILD = """
import resource, sys
from quantize.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    if e.code:
        raise
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def peak_of(args):
    """Peak RSS (bytes) and seconds of one command in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, *args], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return int(done.stderr.split()[-1]) * 1024, seconds


def noisy_shapes(path, side):
    """side x side flat shapes with noise of σ 12 (which segment smooths), as a PNG."""
    tile, _ = make_shapes((side // 10, side // 10), 6, noise=0.0, random_state=0)
    image = np.tile(tile, (10, 10, 1))
    rng = np.random.default_rng(0)
    for rows in range(0, side, 500):  # in bands: a float copy of 81 MP would be 1.9 GB
        band = image[rows : rows + 500]
        noisy = band.astype(np.float32) + rng.normal(0, 12, band.shape).astype(np.float32)
        image[rows : rows + 500] = np.clip(np.rint(noisy), 0, 255)
    Image.fromarray(image).save(path, compress_level=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=9000, help="the images' side in pixels")
    args = parser.parse_args()
    side, megapixels = args.side, args.side * args.side / 1e6
    limit = ["--max-pixels", str(side * side)] if side * side > 9000 * 9000 else []
    lines = [
        f"# Peak memory on {megapixels:.0f}-megapixel PNGs",
        "",
        f"`python bench/memory.py --side {side}`: each command in a new process (its peak RSS from getrusage), "
        "on 2 cores.",
        "The one-colour PNG is the worst case the bomb guard lets through at 81 MP (a few hundred KB of file;",
        "larger sides are given --max-pixels); the noisy one",
        "makes `segment` smooth (its default sigma from the noise) and merge thousands of specks.",
        "",
        "| image | command | peak RSS (GiB) | seconds |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        flat = Path(folder) / "flat.png"
        Image.new("RGB", (side, side), (120, 30, 200)).save(flat)
        noisy = Path(folder) / "noisy.png"
        noisy_shapes(noisy, side)
        (Path(folder) / "palette.gpl").write_text("GIMP Palette\n120 30 200 a\n0 0 0 b\n255 255 255 c\n")
        runs = [("one colour", flat, name, command) for name, command in COMMANDS.items()]
        runs.append(("noisy shapes", noisy, "segment -k 6", ["segment", "{input}", "-k", "6", "-o", "{out}/seg2"]))
        runs.append(
            (
                "noisy shapes",
                noisy,
                "compress -k 256 --dither floyd-steinberg",
                ["compress", "{input}", "-k", "256", "--dither", "floyd-steinberg", "-o", "{out}/fs2.png"],
            )
        )
        # suggest-k needs colours to compare (one colour has no k to choose)
        runs.append(("noisy shapes", noisy, "suggest-k 2..16", ["suggest-k", "{input}", "--k-max", "16"]))
        for label, image, name, command in runs:
            peak, seconds = peak_of([a.format(input=image, out=folder) for a in command] + limit)
            lines.append(f"| {label} | {name} | {peak / 2**30:.2f} | {seconds:.1f} |")
            print(lines[-1], flush=True)
    suffix = "" if side == 9000 else f"-{side}"
    (ROOT / "bench" / "results" / f"memory{suffix}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
