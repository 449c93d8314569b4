"""Peak memory of each command on the worst case the bomb guard lets through: a
9000x9000 (81-megapixel) one-colour PNG of 258 KB.

    python bench/memory.py

Each command runs in a new process; its peak resident set size comes from
getrusage(RUSAGE_CHILDREN).  Writes bench/results/memory.md.
"""

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
    "segment -k 4": ["segment", "{input}", "-k", "4", "-o", "{out}/seg"],
    "palette -k 8": ["palette", "{input}", "-k", "8"],
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


def noisy_shapes(path):
    """9000x9000 flat shapes with noise of σ 12 (which segment smooths), as a PNG."""
    tile, _ = make_shapes((900, 900), 6, noise=0.0, random_state=0)
    image = np.tile(tile, (10, 10, 1))
    rng = np.random.default_rng(0)
    for rows in range(0, 9000, 500):  # in bands: a float copy of 81 MP would be 1.9 GB
        band = image[rows : rows + 500].astype(np.float32) + rng.normal(0, 12, (500, 9000, 3)).astype(np.float32)
        image[rows : rows + 500] = np.clip(np.rint(band), 0, 255)
    Image.fromarray(image).save(path, compress_level=1)


def main():
    lines = ["# Peak memory on 81-megapixel PNGs", "",
             "`python bench/memory.py`: each command in a new process (its peak RSS from getrusage), on 2 cores.",
             "The one-colour PNG is the worst case the bomb guard lets through (258 KB of file); the noisy one",
             "makes `segment` smooth (its default sigma from the noise) and merge thousands of specks.", "",
             "| image | command | peak RSS (GiB) | seconds |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        flat = Path(folder) / "flat.png"
        Image.new("RGB", (9000, 9000), (120, 30, 200)).save(flat)
        noisy = Path(folder) / "noisy.png"
        noisy_shapes(noisy)
        runs = [("one colour", flat, name, command) for name, command in COMMANDS.items()]
        runs.append(("noisy shapes", noisy, "segment -k 6", ["segment", "{input}", "-k", "6", "-o", "{out}/seg2"]))
        for label, image, name, command in runs:
            peak, seconds = peak_of([a.format(input=image, out=folder) for a in command])
            lines.append(f"| {label} | {name} | {peak / 2**30:.2f} | {seconds:.1f} |")
            print(lines[-1], flush=True)
    (ROOT / "bench" / "results" / "memory.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
