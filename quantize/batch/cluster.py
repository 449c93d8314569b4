"""Batches on a Dask cluster (``distributed``, an optional extra: ``pip install
"quantize[dask]"``): the same work functions as the local pool, run as futures.

- Every file is one task; a task whose worker dies is given to another worker by the
  scheduler, up to its ``distributed.scheduler.allowed-failures`` times (Dask's
  default, 3; :data:`ALLOWED_FAILURES` on a cluster started here), then recorded as
  failed with the reason.
- A shared palette's histograms are computed on the workers and added up there in a
  tree of pairwise sums: the parent receives the total alone, whatever the number of
  files.
- On Ctrl-C or SIGTERM, tasks not yet started are cancelled and those running are
  waited for (their outputs are written whole), so the record matches the store.
- Workers cap their threads to their machine's cores shared among its worker threads,
  as local workers do.
"""

import contextlib
import logging
import os
import re

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
            "a Dask scheduler needs dask's distributed package: pip install \"quantize[dask]\"") from e
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
        raise InvalidParameterError(f"scheduler {value!r} must be local, local:N or an address such as "
                                    "tcp://host:8786")
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

    for name in ("distributed", "tornado", "bokeh"):  # our stderr carries our lines only
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with contextlib.ExitStack() as stack:
        try:
            if kind == "local":
                threads = max(1, (os.cpu_count() or 1) // value)
                stack.enter_context(dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                                                     "distributed.worker.daemon": False}))
                cluster = stack.enter_context(distributed.LocalCluster(
                    n_workers=value, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=logging.CRITICAL,
                    env={name: str(threads) for name in THREAD_VARIABLES},
                ))
                client = stack.enter_context(distributed.Client(cluster))
            else:
                client = stack.enter_context(distributed.Client(value, timeout=CONNECT_TIMEOUT))
        except (OSError, TimeoutError, RuntimeError) as e:
            if kind == "local":
                raise ClusterError(f"cannot start a local Dask cluster of {value} workers: {e}") from e
            raise ClusterError(f"cannot reach the Dask scheduler at {value}: {e}") from e
        yield client


def _thread_shares(client):
    """Worker threads per machine of the cluster (host -> threads)."""
    shares = {}
    for address, worker in client.scheduler_info(n_workers=-1)["workers"].items():
        host = worker.get("host") or address.rsplit(":", 1)[0]
        shares[host] = shares.get(host, 0) + worker.get("nthreads", 1)
    return shares


def _capped(function, item, shares):
    """Run ``function(item)`` on a worker with the package's threads capped to this
    machine's cores shared among its worker threads."""
    from distributed import get_worker

    address = get_worker().address
    host = address.split("://")[-1].rsplit(":", 1)[0]
    set_num_threads(max(1, (os.cpu_count() or 1) // max(1, shares.get(host, 1))))
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


def _submit(client, function, items):
    shares = _thread_shares(client)
    return client.map(_capped, [function] * len(items), items, [shares] * len(items), pure=False)


def _wind_down(client, futures):
    """Cancel the tasks no worker has started; wait for the running ones."""
    from distributed import wait

    processing = {key for keys in client.processing().values() for key in keys}
    waiting = [f for f in futures if not f.done() and f.key not in processing]
    client.cancel(waiting)
    running = [f for f in futures if not f.done() and f.key in processing]
    with contextlib.suppress(Exception):
        wait(running, timeout=STOP_GRACE)


class ClusterRun:
    """One pass of a function over items as futures on the cluster: iterate
    :meth:`unordered` for the results as they finish; after an interruption,
    :meth:`finish` cancels the tasks not started, waits for the running ones and
    gives the results not given yet."""

    def __init__(self, client):
        self.client = client
        self._futures, self._reported = [], set()

    def unordered(self, function, items):
        """(index, function(item)) for every item as it finishes."""
        from distributed import as_completed

        self._futures = _submit(self.client, function, list(items))
        index = {future.key: i for i, future in enumerate(self._futures)}
        for future in as_completed(self._futures):
            self._reported.add(future.key)
            yield index[future.key], _outcome(future)

    def finish(self):
        if not self._futures:
            return []
        _wind_down(self.client, self._futures)
        return [(i, _outcome(future)) for i, future in enumerate(self._futures)
                if future.key not in self._reported and future.status == "finished"]


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
        pairs = [client.submit(_sum_two, summing, level[i], level[i + 1], pure=False)
                 for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(pairs) * 2:]
    if not level:
        return reasons, None
    total = _outcome(level[0])
    if isinstance(total, str):
        raise ClusterError(f"the shared palette's histograms were lost: {total}")
    return reasons, total


__all__ = ["ALLOWED_FAILURES", "NotRun", "cluster_histogram", "cluster_unordered", "connect", "parse_scheduler",
           "require_distributed"]
