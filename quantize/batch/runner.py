"""The worker pool of a batch: processes started with the stop signals held back and
their numerical libraries capped to their share of the cores; Ctrl-C and SIGTERM
cancel what has not started while the files in hand finish; a worker whose parent
dies stops; a dead worker's file is recorded, not lost."""

import concurrent.futures
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time

from .._parallel import get_num_threads, set_num_threads

#: Environment variables that cap the threads of numerical libraries in a worker.
THREAD_VARIABLES = ("QUANTIZE_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
#: How often a worker checks that its parent is alive, and how long it has to drop
#: the file in hand once the parent is gone (seconds).
_PARENT_POLL = 0.25
_STOP_GRACE = 2.0


class _WorkerStopped(BaseException):
    """Raised in a worker by SIGTERM: the file in hand is dropped (its temporary file
    removed on the way out) and recorded as not run."""


#: Whether this worker process has a file in hand (set around each task).
_holding = False


def _stop_worker(signum, frame):
    if not _holding:  # idle between files: nothing to drop, no traceback to print
        os._exit(0)
    raise _WorkerStopped()


def _in_hand(function, item):
    """Run one task in a worker, marked as in hand for SIGTERM."""
    global _holding
    _holding = True
    try:
        return function(item)
    finally:
        _holding = False


def _watch_parent(parent):
    """A worker whose parent died (SIGKILL, say) stops: SIGTERM to itself, so the file
    in hand is dropped cleanly, then exit whatever happens."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(_STOP_GRACE)
    os._exit(1)


def _init_worker(threads, parent):
    # Ctrl-C is the parent's to handle: it cancels what has not started and lets each
    # worker finish (and atomically write) the file in hand.  The parent blocked
    # SIGINT and SIGTERM before starting this process, so a Ctrl-C during its start
    # waits here, and is ignored, instead of killing it with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="quantize-parent-watch").start()
    set_num_threads(threads)


def _start_quiet_resource_tracker():
    """Start multiprocessing's resource tracker with its stderr on /dev/null: when this
    process is killed outright (SIGKILL), the tracker cleans up after it and would
    otherwise print warnings about that on the user's terminal."""
    from multiprocessing import resource_tracker

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def _stop_signals_blocked():
    """SIGINT and SIGTERM held back while worker processes start (they inherit the
    mask); delivered when the block ends."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


@contextlib.contextmanager
def _thread_limits(threads):
    """Cap numerical libraries' threads in the worker processes started meanwhile."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class WorkerDied(str):
    """The reason recorded for a file whose worker process died."""


class NotRun(str):
    """The reason recorded for a file whose worker was stopped before it finished."""


class ProcessRun:
    """One pass of a function over items on ``jobs`` processes (in this process when
    jobs is 1): iterate :meth:`unordered` for the results as they finish; after an
    interruption (Ctrl-C, wherever it landed), :meth:`finish` gives every result there
    is (the caller keeps those it has not recorded)."""

    def __init__(self, jobs):
        self.jobs = jobs
        self._executor = None
        self._futures = {}

    def unordered(self, function, items):
        """(index, function(item)) for every item as it finishes.  When the iteration
        stops early, pending items are cancelled and the running ones end (their
        outputs are atomic)."""
        if self.jobs == 1:
            for index, item in enumerate(items):
                yield index, function(item)
            return
        threads = max(1, get_num_threads() // self.jobs)
        _start_quiet_resource_tracker()
        self._executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(threads, os.getpid()),
        )
        try:
            # Workers start during the submissions: with the stop signals blocked, and
            # the thread limits in their environment.
            with _thread_limits(threads), _stop_signals_blocked():
                self._futures.update(
                    (self._executor.submit(_in_hand, function, item), index) for index, item in enumerate(items)
                )
            for future in concurrent.futures.as_completed(self._futures):
                yield self._futures[future], _result_of(future)
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def finish(self):
        """Cancel what has not started, wait for what runs; (index, result) of every
        item that finished."""
        if self._executor is None:
            return []
        self._executor.shutdown(wait=True, cancel_futures=True)
        return [
            (index, _result_of(future))
            for future, index in self._futures.items()
            if future.done() and not future.cancelled()
        ]


def _result_of(future):
    try:
        return future.result()
    except _WorkerStopped:
        return NotRun("its worker process was stopped (SIGTERM) before it finished")
    except concurrent.futures.process.BrokenProcessPool:
        # A worker was killed (out of memory, say): this file and the others in flight
        # fail with a reason; the batch records them and goes on to its end.
        return WorkerDied("a worker process died while on this file (out of memory?)")
