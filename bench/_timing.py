"""Timing for the benchmarks: the median of several runs of a call."""

import statistics
import time


def timed(function, runs):
    """(median seconds over ``runs`` calls of ``function()``, the last call's result)."""
    seconds, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result
