"""Throughput of `quantize batch` with 1 and 2 workers on a folder of 40 photos.

    python bench/batch.py [--count 40] [--size 1600] [-k 16]

The folder is made from the photos in ../shared/images (else images/), resized so their
longer side is --size pixels and repeated (rotated by 90° each round, so no two files
are the same) until there are --count.  Each run is a new `quantize batch` process,
timed end to end; the largest peak resident memory of its workers is read from
getrusage(RUSAGE_CHILDREN) of that process (the workers are spawned from a small
parent, so the figure is theirs; with one worker, files are processed in the batch
process itself, which then has the package's 2 threads).  Prints markdown.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "images"

_CHILD = """
import resource, sys
from quantize.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
# With --jobs 1 the files are processed in this process itself.
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print("WORKERS_PEAK_KIB", peak, file=sys.stderr)
"""


def make_folder(folder, count, size):
    sources = [p for p in sorted((SHARED if SHARED.is_dir() else ROOT / "images").iterdir())
               if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    made = 0
    while made < count:
        for source in sources:
            if made == count:
                break
            image = Image.open(source)
            image.thumbnail((size, size))
            image = image.rotate(90 * (made // len(sources)), expand=True)
            if image.mode in ("RGBA", "LA", "P"):
                image.save(folder / f"{made:03d}-{source.stem}.png")
            else:
                image.convert("RGB").save(folder / f"{made:03d}-{source.stem}.jpg", quality=90)
            made += 1
    return sorted(folder.iterdir())


def run_batch(folder, out, jobs, k):
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, "batch", str(folder), "-o", str(out), "-k", str(k),
         "--jobs", str(jobs), "--quiet", "--force"],
        capture_output=True, text=True,
    )
    seconds = time.perf_counter() - start
    peak = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("WORKERS_PEAK_KIB"))
    return seconds, peak * 1024, done.stdout.splitlines()[0] if done.stdout else done.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--size", type=int, default=1600)
    parser.add_argument("-k", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        files = make_folder(folder, args.count, args.size)
        megapixels = sum(Image.open(f).size[0] * Image.open(f).size[1] for f in files) / 1e6
        largest = max(Image.open(f).size[0] * Image.open(f).size[1] for f in files)
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
        print(f"{len(files)} files, {megapixels:.0f} megapixels in all (largest {largest / 1e6:.1f} MP), k = {args.k}\n")
        print("| workers | seconds | files/s | × 1 worker | largest worker peak RSS MB | summary |")
        print("|---|---|---|---|---|---|")
        base = None
        for jobs in (1, 2):
            seconds, peak, summary = run_batch(folder, Path(tmp) / f"out{jobs}", jobs, args.k)
            base = base or seconds
            print(f"| {jobs} | {seconds:.1f} | {len(files) / seconds:.2f} | {base / seconds:.2f} "
                  f"| {peak / 2**20:.0f} | {summary} |", flush=True)


if __name__ == "__main__":
    main()
