"""The compiled kernels (Cython, built by ``pip install``): every module imports them
through :func:`kernel`, so that a missing or stale build is one clear error naming
the build step, never a silent slow path.

A kernel module carries the hash of the kernel sources it was built from; in a
checkout, where the sources sit beside it, a hash that differs means the module is
stale (the sources changed since ``pip install -e .`` built it).
"""

import hashlib
import importlib
import os
from functools import cache
from pathlib import Path

from .errors import BuildError

#: What builds the kernels.
BUILD_STEP = "pip install -e . in a checkout (it needs a C compiler), or by reinstalling quantize"
_ROOT = Path(__file__).resolve().parent.parent


@cache
def source_hash():
    """The hash of the kernel sources beside the package (as setup.py computes it),
    or None when they are not there (an installed wheel)."""
    sources = sorted(p for p in (_ROOT / "quantize").rglob("*") if p.suffix in {".pyx", ".pxd"})
    if not sources:
        return None
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.relative_to(_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


#: OpenMP threads that wait for work sleep instead of spinning: on a machine busy with
#: other processes, spinning threads take the cores the working ones need (a k = 256
#: call on 20 MP beside a CPU-bound process: 1.6x its quiet time spinning, 1.2x
#: sleeping; no slower when quiet).  Read by OpenMP when the first kernel loads; a
#: value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@cache
def kernel(name):
    """The compiled module ``quantize.<name>`` ("cluster._nearest"...).

    Raises
    ------
    BuildError
        It is missing (not built, or built for another Python), or stale.
    """
    try:
        module = importlib.import_module(f"quantize.{name}")
    except ImportError as e:
        raise BuildError(
            f"quantize's compiled kernel quantize.{name} is missing ({e}): build it with {BUILD_STEP}"
        ) from e
    expected = source_hash()
    if expected is not None and module.SOURCE_HASH != expected:
        raise BuildError(
            f"quantize's compiled kernel quantize.{name} was built from other sources than "
            f"these (stale): rebuild it with {BUILD_STEP}"
        )
    return module
