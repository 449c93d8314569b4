"""Where a batch's files are processed: local worker processes (:class:`LocalPool`,
the default) or a Dask cluster (:class:`ClusterPool`).  Both give each file's
outcome as it finishes, and the merged colour histogram of a shared palette."""

import numpy as np

from ..color.histogram import merge_histograms, pack_colors, unpack_colors
from .runner import NotRun, ProcessRun
from .work import histogram_file

#: Merge the files' histograms every this many files, to bound the parts held.
_MERGE_EVERY = 16


def sum_histograms(parts):
    """The sum of (codes, counts) histograms, sorted by code, skipping None (a file
    that could not be read): :func:`~quantize.color.histogram.merge_histograms`."""
    parts = [p for p in parts if p is not None]
    return merge_histograms(parts) if parts else None


def packed_histogram(task):
    """Worker: one file's histogram as (codes, counts), or the reason it cannot be read."""
    found = histogram_file(task)
    if isinstance(found, str):
        return found
    return pack_colors(found[0]), found[1]


def as_colors(histogram):
    """(colors, counts) of a packed (codes, counts) histogram, or None."""
    if histogram is None or not len(histogram[0]):
        return None
    return unpack_colors(histogram[0].astype(np.uint32), 3), histogram[1]


class _Pool:
    """What both pools do with their runs: each pass over items is a new run, whose
    :meth:`finish` ends it after an interruption."""

    def _new_run(self):
        raise NotImplementedError

    def unordered(self, function, items):
        """(index, function(item)) for every item as it finishes."""
        self._run = self._new_run()
        return self._run.unordered(function, items)

    def finish(self):
        """After an interruption: what has not started is cancelled, what runs ends;
        (index, result) of every item that finished (the caller keeps those it has not
        recorded)."""
        return self._run.finish() if self._run is not None else []


class LocalPool(_Pool):
    """``jobs`` worker processes on this machine (see :mod:`.runner`)."""

    def __init__(self, jobs):
        self.jobs = jobs
        self._run = None

    def _new_run(self):
        return ProcessRun(self.jobs)

    def merged_histogram(self, tasks):
        """The files' histograms added up as they come (merged every
        ``_MERGE_EVERY`` files, so that the parts held stay few).

        Returns
        -------
        reasons : list of (index, str)
            The files that could not be read (or were not run: NotRun), with why.
        merged : (colors, counts) or None
        """
        reasons, parts = [], []
        for index, found in self.unordered(packed_histogram, tasks):
            if isinstance(found, str):  # the reason it cannot be read (NotRun too)
                reasons.append((index, found))
                continue
            parts.append(found)
            if len(parts) >= _MERGE_EVERY:
                parts = [merge_histograms(parts)]
        return reasons, as_colors(sum_histograms(parts))


class ClusterPool(_Pool):
    """The workers of a Dask cluster (see :mod:`.cluster`)."""

    def __init__(self, client):
        self.client = client
        self._run = None

    def _new_run(self):
        from .cluster import ClusterRun

        return ClusterRun(self.client)

    def merged_histogram(self, tasks):
        """The files' histograms computed and added up on the workers, in a tree of
        pairwise sums: the parent only receives the total and the failures."""
        from .cluster import cluster_histogram

        reasons, merged = cluster_histogram(self.client, packed_histogram, sum_histograms, tasks)
        return reasons, as_colors(merged)


__all__ = ["ClusterPool", "LocalPool", "NotRun", "sum_histograms"]
