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

from PIL import Image

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


def main():
    lines = ["# Peak memory on an 81-megapixel one-colour PNG", "",
             "`python bench/memory.py`: each command in a new process (its peak RSS from getrusage), on 2 cores.", "",
             "| command | peak RSS (GiB) | seconds |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        image = Path(folder) / "flat.png"
        Image.new("RGB", (9000, 9000), (120, 30, 200)).save(image)
        for name, command in COMMANDS.items():
            peak, seconds = peak_of([a.format(input=image, out=folder) for a in command])
            lines.append(f"| {name} | {peak / 2**30:.2f} | {seconds:.1f} |")
            print(lines[-1], flush=True)
    (ROOT / "bench" / "results" / "memory.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
