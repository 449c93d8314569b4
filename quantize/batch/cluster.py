"""Batches on a Dask cluster (``distributed``, an optional extra: ``pip install
"quantize-images[dask]"``): the same work functions as the local pool, run as futures.

- Every file is one task; a task whose worker dies is given to another worker by the
  scheduler, up to its ``distributed.scheduler.allowed-failures`` times (Dask's
  default, 3; :data:`ALLOWED_FAILURES` on a cluster started here), then recorded as
  failed with the reason.
- A shared palette's histograms are computed on the workers and added up there in a
  tree of pairwise sums: the parent receives the total alone, whatever the number of
  files.
- On Ctrl-C or SIGTERM, tasks not yet started return without work (they check a stop
  Event first) and those running are waited for (their outputs are written whole), so
  the record matches the store.
- Workers cap their threads to their machine's cores shared among its worker threads,
  as local workers do.
"""

import contextlib
import logging
import os
import re
import uuid

from .._parallel import set_num_threads
from ..errors import ClusterError, InvalidParameterError
from .runner import THREAD_VARIABLES, NotRun, WorkerDied

#: Times a task may be on a worker that dies before it is recorded as failed, on a
#: cluster started by ``--scheduler local``.
ALLOWED_FAILURES = 2
#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT = 10
#: Seconds the running tasks are given to finish after Ctrl-C.
STOP_GRACE = 60
_LOCAL = re.compile(r"local(?::(\d+))?$")


def require_distributed():
    """dask's ``distributed`` module, or an InvalidParameterError saying what to install."""
    try:
        import distributed
    except ImportError as e:
        raise InvalidParameterError(
            'a Dask scheduler needs dask\'s distributed package: pip install "quantize-images[dask]"'
        ) from e
    return distributed


def parse_scheduler(value):
    """``"local"``, ``"local:N"`` (N >= 1 worker processes) or a scheduler address;
    an InvalidParameterError for anything else."""
    match = _LOCAL.match(value)
    if match:
        workers = int(match.group(1)) if match.group(1) else (os.cpu_count() or 1)
        if workers < 1:
            raise InvalidParameterError(f"scheduler {value!r}: a local cluster needs at least 1 worker")
        return "local", workers
    if value.startswith("local"):
        raise InvalidParameterError(f"scheduler {value!r} must be local, local:N or an address such as tcp://host:8786")
    return "address", value


@contextlib.contextmanager
def connect(scheduler):
    """A ``distributed.Client`` for ``scheduler`` (see :func:`parse_scheduler`), closed
    on exit, with the cluster it started if it started one; None for None.

    A local cluster listens on 127.0.0.1 only, with one thread per worker process and
    its numerical libraries capped to its share of the cores.
    """
    if scheduler is None:
        yield None
        return
    kind, value = parse_scheduler(scheduler)
    distributed = require_distributed()
    import dask

    with contextlib.ExitStack() as stack:
        try:
            if kind == "local":
                threads = max(1, (os.cpu_count() or 1) // value)
                stack.enter_context(
                    dask.config.set(
                        {
                            "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                            # Dask sets MALLOC_TRIM_THRESHOLD_, which turns off glibc's
                            # dynamic mmap threshold: every temporary array is then
                            # mapped and faulted in afresh, and a tile's work took 2.5x
                            # as long as in this process.
                            "distributed.nanny.pre-spawn-environ": {
                                name: value
                                for name, value in dask.config.get("distributed.nanny.pre-spawn-environ").items()
                                if name != "MALLOC_TRIM_THRESHOLD_"
                            },
                        }
                    )
                )
                cluster = stack.enter_context(
                    distributed.LocalCluster(
                        n_workers=value,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        silence_logs=logging.CRITICAL,
                        env={name: str(threads) for name in THREAD_VARIABLES},
                    )
                )
                client = stack.enter_context(distributed.Client(cluster))
            else:
                client = stack.enter_context(distributed.Client(value, timeout=CONNECT_TIMEOUT))
        except (OSError, TimeoutError, RuntimeError) as e:
            if kind == "local":
                raise ClusterError(f"cannot start a local Dask cluster of {value} workers: {e}") from e
            raise ClusterError(f"cannot reach the Dask scheduler at {value}: {e}") from e
        yield client


def _host(address):
    """The machine of a worker address such as tcp://10.0.0.5:40123."""
    return address.split("://")[-1].rsplit(":", 1)[0]


def _thread_shares(client):
    """Worker threads per machine of the cluster (host -> threads)."""
    shares = {}
    for address, worker in client.scheduler_info(n_workers=-1)["workers"].items():
        shares[_host(address)] = shares.get(_host(address), 0) + worker.get("nthreads", 1)
    return shares


def _capped(function, item, shares, stop=None):
    """Run ``function(item)`` on a worker with the package's threads capped to this
    machine's cores shared among its worker threads; not at all once the Event named
    ``stop`` is set (the batch was interrupted before this task started)."""
    from distributed import Event, get_worker

    if stop is not None and Event(stop).is_set():
        return NotRun("the batch was stopped before this file started")
    set_num_threads(max(1, (os.cpu_count() or 1) // max(1, shares.get(_host(get_worker().address), 1))))
    return function(item)


def _outcome(future):
    """A finished future's value, or the reason it has none."""
    from distributed.scheduler import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        return WorkerDied("its worker process died each time it was given this file (out of memory?)")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # a cancelled future or a lost connection, say
        return WorkerDied(f"the cluster lost this file ({type(e).__name__}: {e})")


def _submit(client, function, items, stop=None):
    shares = _thread_shares(client)
    n = len(items)
    return client.map(_capped, [function] * n, items, [shares] * n, [stop] * n, pure=False)


class ClusterRun:
    """One pass of a function over items as futures on the cluster: iterate
    :meth:`unordered` for the results as they finish; after an interruption,
    :meth:`finish` stops the tasks not started and gives every result there is (the
    caller keeps those it has not recorded: an interruption can fall between a result
    given and its record).

    Cancelling a future does not stop a task a worker has just begun, which could then
    write its output unrecorded; instead every task checks a stop Event first, so that
    each one either runs whole or returns NotRun, and all of them are waited for."""

    def __init__(self, client):
        self.client = client
        self._futures, self._stop = [], None

    def unordered(self, function, items):
        """(index, function(item)) for every item as it finishes."""
        from distributed import as_completed

        self._stop = f"quantize-stop-{uuid.uuid4().hex}"
        self._futures = _submit(self.client, function, list(items), self._stop)
        index = {future.key: i for i, future in enumerate(self._futures)}
        for future in as_completed(self._futures):
            yield index[future.key], _outcome(future)

    def finish(self):
        from distributed import Event, wait

        if not self._futures:
            return []
        Event(self._stop, client=self.client).set()
        with contextlib.suppress(Exception):  # a timeout: the laggards are cancelled below
            wait(self._futures, timeout=STOP_GRACE)
        self.client.cancel([future for future in self._futures if not future.done()])
        return [(i, _outcome(future)) for i, future in enumerate(self._futures) if future.status == "finished"]


def cluster_unordered(client, function, items):
    """(index, function(item)) for every item as it finishes on the cluster (see
    :class:`ClusterRun`)."""
    return ClusterRun(client).unordered(function, items)


def _reason(found):
    """Worker: the reason a histogram task found nothing (None when it has one)."""
    return found if isinstance(found, str) else None


def _sum_two(summing, a, b):
    return summing([h for h in (a, b) if h is not None and not isinstance(h, str)])


def cluster_histogram(client, histogram, summing, tasks):
    """Each task's histogram on the workers, added up in a tree of pairwise sums there.

    Returns
    -------
    reasons : list of (index, str)
        The files without a histogram, with why.
    merged : the sum of the others (``summing``'s type), or None
    """
    from distributed import as_completed

    futures = _submit(client, histogram, list(tasks))
    checks = client.map(_reason, futures, pure=False)  # a few bytes each reach the parent
    index = {check.key: i for i, check in enumerate(checks)}
    reasons, good = [], []
    try:
        for check in as_completed(checks):
            reason = _outcome(check)
            if reason is None:
                good.append(futures[index[check.key]])
            else:
                reasons.append((index[check.key], reason))
    except KeyboardInterrupt:
        client.cancel(futures + checks)
        raise
    position = {future.key: i for i, future in enumerate(futures)}
    level = sorted(good, key=lambda future: position[future.key])
    while len(level) > 1:
        pairs = [
            client.submit(_sum_two, summing, level[i], level[i + 1], pure=False) for i in range(0, len(level) - 1, 2)
        ]
        level = pairs + level[len(pairs) * 2 :]
    if not level:
        return reasons, None
    total = _outcome(level[0])
    if isinstance(total, str):
        raise ClusterError(f"the shared palette's histograms were lost: {total}")
    return reasons, total


__all__ = [
    "ALLOWED_FAILURES",
    "NotRun",
    "cluster_histogram",
    "cluster_unordered",
    "connect",
    "parse_scheduler",
    "require_distributed",
]
