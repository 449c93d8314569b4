"""Threads for the work that splits into independent strips.

NumPy releases the GIL inside its sorts, gathers and ufunc loops, so strips of an image
processed in threads use every core.  The number of threads is ``QUANTIZE_NUM_THREADS``
from the environment when set, else the number of cores; :func:`set_num_threads`
changes it (batch workers set 1 so that processes do not oversubscribe the cores).
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._cancel import check, current
from ._validation import check_int

_PREFIX = "quantize-worker"
_pool = None
_num_threads = None
_blas = None


def get_num_threads() -> int:
    """Threads used for strip-parallel work."""
    global _num_threads
    if _num_threads is None:
        _num_threads = int(os.environ.get("QUANTIZE_NUM_THREADS", 0)) or os.cpu_count() or 1
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` >= 1 threads from now on."""
    global _num_threads, _pool
    n = check_int(n, "n", low=1)
    if _pool is not None:
        _pool.shutdown()
        _pool = None
    _num_threads = n


def thread_map(function, items):
    """``list(map(function, items))``, spread over the threads when there are several."""
    global _pool
    items = list(items)
    # Work started from a pool thread runs inline: waiting on the pool from inside it
    # could deadlock, and the outer level already keeps the cores busy.
    nested = threading.current_thread().name.startswith(_PREFIX)
    event = current()  # a cancellable caller's: checked before each item, on any thread
    if event is not None:
        function = _checked(function, event)
    if get_num_threads() == 1 or len(items) < 2 or nested:
        return [function(item) for item in items]
    if _pool is None:
        _pool = ThreadPoolExecutor(get_num_threads(), thread_name_prefix=_PREFIX)
    return list(_pool.map(function, items))


def _checked(function, event):
    def run(item):
        check(event)
        return function(item)

    return run


#: Items per strip of the work done strip by strip (pixels, colours, labels): a strip's
#: temporaries stay a few megabytes whatever the image.
STRIP = 1 << 20


def slices(n, step):
    """The slices that cut ``range(n)`` into strips of ``step`` (the last one shorter):
    every strip and chunk loop of the package walks these."""
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def map_slices(function, n, step):
    """``[function(part) for part in slices(n, step)]``, spread over the threads."""
    return thread_map(function, slices(n, step))


def fill_slices(function, n, step, dtype, tail=()):
    """(n, *tail) array of ``dtype`` filled by ``function(part)`` for every slice of
    ``slices(n, step)``, on the threads (memory: the output's and a strip's)."""
    out = np.empty((n, *tail), dtype=dtype)

    def work(part):
        out[part] = function(part)

    map_slices(work, n, step)
    return out


@contextlib.contextmanager
def blas_on_one_thread():
    """BLAS (NumPy's matrix products) on one thread inside, as scikit-learn's KMeans
    does: the package's parallel work runs in its own kernels, and BLAS threads that
    spin after a product take the cores the kernels need (a 4 MP k = 256 call: 0.19 s
    with OpenBLAS's threads spinning, 0.14 s without).  Usable as a decorator."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    with _blas.limit(limits=1, user_api="blas"):
        yield
