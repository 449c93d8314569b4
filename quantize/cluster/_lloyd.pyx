# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Weighted Lloyd steps, compiled: the per-cluster sums of one pass over the points,
and an assignment step that keeps Hamerly's bounds (lloyd.py runs the loop)."""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.math cimport sqrt
from libc.stdlib cimport free, malloc

from .._build cimport QUANTIZE_SOURCE_HASH
from ._nearest cimport Centres, SortedCentres, nearest_two_from, sq_distance

cnp.import_array()

ctypedef fused floating:
    float
    double

#: The hash of the kernels' sources this module was built from (see quantize/_compiled.py).
SOURCE_HASH = QUANTIZE_SOURCE_HASH.decode()

#: A bound proves a label only with this much to spare, against rounding.
cdef double MARGIN = 1 + 1e-6


def cluster_sums(const floating[:, ::1] X, const double[::1] w, const Py_ssize_t[::1] labels, Py_ssize_t k):
    """Per-cluster weight totals (k,) and weighted feature sums (k, d), in float64,
    added in the order of the points (the same whatever the threads)."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], i, j, label
    counts_array = np.zeros(k, dtype=np.float64)
    sums_array = np.zeros((k, d), dtype=np.float64)
    cdef double[::1] counts = counts_array
    cdef double[:, ::1] sums = sums_array
    cdef double weight
    with nogil:
        for i in range(n):
            label = labels[i]
            weight = w[i]
            counts[label] += weight
            for j in range(d):
                sums[label, j] += weight * X[i, j]
    return counts_array, sums_array


def bounded_step(const floating[:, ::1] X, SortedCentres centres, Py_ssize_t[::1] labels, double[::1] upper,
                 double[::1] lower, const double[::1] moved, double max_moved, const double[::1] half_gap,
                 int n_threads=1):
    """One assignment step after the centres moved, in place (Hamerly 2010).

    ``upper`` bounds each point's distance to its centre from above and ``lower`` its
    distance to any other from below; both are first moved by how far the centres
    moved (``moved`` per centre, ``max_moved`` the largest).  A point whose bounds
    (or, once its own distance is computed again, that distance) still prove its
    label is left; the others get the exact nearest centre and fresh bounds.

    Returns the number of points whose label changed.
    """
    cdef const Centres* s = centres.centres()
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], i, j, label, changed = 0, found
    cdef double bound, dist, first, second
    cdef double* x = NULL
    if d != s.d:
        raise ValueError(f"X has {d} features, the centres {s.d}")
    with nogil, parallel(num_threads=n_threads):
        x = <double*> malloc(d * sizeof(double))
        for i in prange(n, schedule="guided"):
            label = labels[i]
            upper[i] = upper[i] + moved[label]
            lower[i] = lower[i] - max_moved
            bound = lower[i] if lower[i] > half_gap[label] else half_gap[label]
            if upper[i] * MARGIN >= bound:
                for j in range(d):
                    x[j] = X[i, j]
                dist = sqrt(sq_distance(x, s.points + s.position[label] * d, d))
                upper[i] = dist
                if dist * MARGIN >= bound:
                    # assigned here so that the loop makes them private to each thread
                    found = -1
                    first = second = 0.0
                    nearest_two_from(s, x, label, &found, &first, &second)
                    upper[i] = sqrt(first)
                    lower[i] = sqrt(second)
                    if found != label:
                        labels[i] = found
                        changed += 1
        free(x)
    return changed
