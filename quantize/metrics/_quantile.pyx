# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""A weighted quantile without sorting, compiled (quickselect on (value, weight) pairs)."""

import numpy as np

from libc.stdlib cimport free, malloc

from .._build cimport QUANTIZE_SOURCE_HASH

#: The hash of the kernels' sources this module was built from (see quantize/_compiled.py).
SOURCE_HASH = QUANTIZE_SOURCE_HASH.decode()


def weighted_quantile(const double[::1] values, const double[::1] weights, double target):
    """The smallest of ``values`` whose weight, with that of every smaller value,
    reaches ``target`` (the largest value when none does): what a walk of the
    cumulated weights of the sorted values finds, in expected linear time."""
    cdef Py_ssize_t n = values.shape[0], lo = 0, hi, i, store, equal_end
    cdef double pivot, below, at, swap, best
    if n == 0:
        raise ValueError("no values")
    cdef double* v = <double*> malloc(n * sizeof(double))
    cdef double* w = <double*> malloc(n * sizeof(double))
    try:
        with nogil:
            best = values[0]
            for i in range(n):
                v[i] = values[i]
                w[i] = weights[i]
                if v[i] > best:
                    best = v[i]
            hi = n  # the answer lies among v[lo:hi]; the weight below v[lo:hi] is spent
            while hi - lo > 0:
                pivot = v[lo + (hi - lo) // 2]
                # three ways: [lo, store) below the pivot, [store, equal_end) equal to it
                store = lo
                for i in range(lo, hi):
                    if v[i] < pivot:
                        v[i], v[store] = v[store], v[i]
                        w[i], w[store] = w[store], w[i]
                        store = store + 1
                equal_end = store
                for i in range(store, hi):
                    if v[i] == pivot:
                        v[i], v[equal_end] = v[equal_end], v[i]
                        w[i], w[equal_end] = w[equal_end], w[i]
                        equal_end = equal_end + 1
                below = 0.0
                for i in range(lo, store):
                    below = below + w[i]
                at = 0.0
                for i in range(store, equal_end):
                    at = at + w[i]
                if below >= target:
                    hi = store
                elif below + at >= target:
                    best = pivot
                    break
                else:
                    target = target - below - at
                    lo = equal_end
    finally:
        free(v)
        free(w)
    return best
