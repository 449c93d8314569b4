"""Throughput of `quantize batch` with 1 and 2 workers on a folder of 40 photos, on
the local pool and on a Dask LocalCluster; the parent's memory of a shared palette
summed on the cluster, at 40 and 400 files.

    python bench/batch.py [--count 40] [--size 1600] [-k 16] [--no-cluster]

The folder is made from the photos in ../shared/images (else images/), resized so their
longer side is --size pixels and repeated (rotated by 90° each round, so no two files
are the same) until there are --count.  Each run is a new `quantize batch` process,
timed end to end; the largest peak resident memory of its workers is read from
getrusage(RUSAGE_CHILDREN) of that process (the workers are spawned from a small
parent, so the figure is theirs; with one worker, files are processed in the batch
process itself, which then has the package's 2 threads).  With ``--scheduler local:N``
the parent (client and scheduler) is measured apart from its children (the nanny and
worker processes).  Prints markdown.
"""

import argparse
import os
import platform
import statistics
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
print("PARENT_PEAK_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def make_folder(folder, count, size):
    sources = [
        p
        for p in sorted((SHARED if SHARED.is_dir() else ROOT / "images").iterdir())
        if p.suffix.lower() in (".jpg", ".jpeg", ".png")
    ]
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


def run_batch(folder, out, jobs, k, *extra):
    """Seconds, workers' peak bytes, the parent's peak bytes and the summary line."""
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            "batch",
            str(folder),
            "-o",
            str(out),
            "-k",
            str(k),
            "--jobs",
            str(jobs),
            "--force",
            *extra,
        ],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start

    def peak(tag):
        return next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith(tag)) * 1024

    return (
        seconds,
        peak("WORKERS_PEAK_KIB"),
        peak("PARENT_PEAK_KIB"),
        (done.stdout.splitlines()[0] if done.stdout else done.stderr),
    )


def cluster_runs(folder, tmp, k, count, runs):
    """Median seconds of `quantize batch` on the local pool (--jobs N), against a
    LocalCluster already running (`--scheduler tcp://...`; in this process, so its
    scheduler shares the machine as the CLI's own does) and with `--scheduler local:N`
    (which starts and stops its cluster), N = 1 and 2; the runs of each round are
    interleaved, so that drifts of the machine's speed fall on all alike."""
    from quantize.batch.cluster import connect

    configurations = (
        [(f"local pool, --jobs {n}", n) for n in (1, 2)]
        + [(f"running cluster, {n} worker{'s' * (n > 1)}", n) for n in (1, 2)]
        + [(f"--scheduler local:{n}", n) for n in (1, 2)]
    )
    seconds = {name: [] for name, _ in configurations}
    parents = {}
    for _ in range(runs):
        for name, n in configurations:
            out = Path(tmp) / "out"
            if name.startswith("local pool"):
                run = run_batch(folder, out, n, k)
            elif name.startswith("running"):
                with connect(f"local:{n}") as client:
                    run = run_batch(folder, out, 1, k, "--scheduler", client.scheduler.address)
            else:
                run = run_batch(folder, out, 1, k, "--scheduler", f"local:{n}")
            seconds[name].append(run[0])
            parents[name] = max(parents.get(name, 0), run[2])
    median = {name: statistics.median(values) for name, values in seconds.items()}
    print(f"\nMedian of {runs} interleaved runs, end to end (a cluster started by local:N included):\n")
    print(
        "| run | workers | seconds | files/s | × 1 worker | throughput × local pool, same workers "
        "| batch process peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, n in configurations:
        one = (
            name.replace(f"{n} workers", "1 worker").replace(f"local:{n}", "local:1").replace(f"--jobs {n}", "--jobs 1")
        )
        pool = f"local pool, --jobs {n}"
        print(
            f"| {name} | {n} | {median[name]:.1f} | {count / median[name]:.2f} | {median[one] / median[name]:.2f} "
            f"| {median[pool] / median[name]:.2f} | {parents[name] / 2**20:.0f} |",
            flush=True,
        )


def palette_memory(tmp, k):
    print(
        "\nShared palette summed on the cluster (`--shared-palette --scheduler local:2`, photos of 480 px):"
        " the parent's peak memory by the number of files\n"
    )
    print("| files | seconds | parent peak RSS MB | summary |")
    print("|---|---|---|---|")
    for count in (40, 400):
        folder = Path(tmp) / f"small{count}"
        folder.mkdir()
        make_folder(folder, count, 480)
        seconds, _, parent, summary = run_batch(
            folder, Path(tmp) / f"shared{count}", 1, k, "--shared-palette", "--scheduler", "local:2"
        )
        print(f"| {count} | {seconds:.1f} | {parent / 2**20:.0f} | {summary} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--size", type=int, default=1600)
    parser.add_argument("-k", type=int, default=16)
    parser.add_argument("--no-cluster", action="store_true", help="only the local pool")
    parser.add_argument("--runs", type=int, default=3, help="rounds of the cluster comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        files = make_folder(folder, args.count, args.size)
        megapixels = sum(Image.open(f).size[0] * Image.open(f).size[1] for f in files) / 1e6
        largest = max(Image.open(f).size[0] * Image.open(f).size[1] for f in files)
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
        print(
            f"{len(files)} files, {megapixels:.0f} megapixels in all (largest {largest / 1e6:.1f} MP), k = {args.k}\n"
        )
        print("| workers | seconds | files/s | × 1 worker | largest worker peak RSS MB | summary |")
        print("|---|---|---|---|---|---|")
        base = None
        for jobs in (1, 2):
            seconds, peak, _, summary = run_batch(folder, Path(tmp) / f"out{jobs}", jobs, args.k)
            base = base or seconds
            print(
                f"| {jobs} | {seconds:.1f} | {len(files) / seconds:.2f} | {base / seconds:.2f} "
                f"| {peak / 2**20:.0f} | {summary} |",
                flush=True,
            )
        if not args.no_cluster:
            cluster_runs(folder, tmp, args.k, len(files), args.runs)
            palette_memory(tmp, args.k)


if __name__ == "__main__":
    main()
