"""Run ``quantize`` in a new process and read its own peak memory.

``getrusage`` is no use here: Linux carries the parent's high-water mark into the
child's ``ru_maxrss`` across fork/vfork and exec (a benchmark that holds gigabytes of
images made a 1.2 GB child look like 3.2 GB).  The child reports ``VmHWM`` from
/proc/self/status instead, which belongs to the memory map it runs in.
"""

import subprocess
import sys
import time

_RUNNER = """
import sys
from quantize.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code or 0
else:
    code = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print("VmHWM", int(line.split()[1]) * 1024, file=sys.stderr)
sys.exit(code)
"""


def run_quantize(args):
    """Run ``quantize ARGS`` in a new interpreter.

    Returns
    -------
    seconds : float
    peak_bytes : int
        Peak resident memory of the child.
    stdout : str
    """
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _RUNNER, *map(str, args)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"quantize {' '.join(map(str, args))} failed: {done.stderr.strip()}")
    peak = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("VmHWM"))
    return seconds, peak, done.stdout
