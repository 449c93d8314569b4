# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Exact nearest centres, compiled: every point's nearest and second-nearest centre
(see _nearest.pxd for the search)."""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.math cimport sqrt
from libc.stdlib cimport free, malloc, qsort

from .._build cimport QUANTIZE_SOURCE_HASH

cnp.import_array()

ctypedef fused floating:
    float
    double

#: The hash of the kernels' sources this module was built from (see quantize/_compiled.py).
SOURCE_HASH = QUANTIZE_SOURCE_HASH.decode()


#: Points per block of work of a thread.
cdef Py_ssize_t BLOCK = 4096

#: Neighbours listed per centre for searches that start from a guess: in three or
#: four dimensions the scan stops long before the end of the list.
cdef Py_ssize_t NEIGHBOURS = 32


cdef inline bint before(double da, Py_ssize_t ia, double db, Py_ssize_t ib) noexcept nogil:
    """Nearer first, the lower index first on ties."""
    return da < db or (da == db and ia < ib)


cdef void smallest_first(double* dist, Py_ssize_t* index, Py_ssize_t m, Py_ssize_t n_keep) noexcept nogil:
    """Reorder the m (dist, index) pairs so that the ``n_keep`` smallest come first,
    sorted (quickselect, then insertion sort of the kept ones)."""
    cdef Py_ssize_t lo = 0, hi = m - 1, i, j, store, t
    cdef double pivot_d, swap_d
    cdef Py_ssize_t pivot_i, swap_i
    while lo < hi:
        # median of three as the pivot, moved to hi
        t = (lo + hi) >> 1
        if before(dist[t], index[t], dist[lo], index[lo]):
            dist[t], dist[lo] = dist[lo], dist[t]
            index[t], index[lo] = index[lo], index[t]
        if before(dist[hi], index[hi], dist[lo], index[lo]):
            dist[hi], dist[lo] = dist[lo], dist[hi]
            index[hi], index[lo] = index[lo], index[hi]
        if before(dist[t], index[t], dist[hi], index[hi]):
            dist[t], dist[hi] = dist[hi], dist[t]
            index[t], index[hi] = index[hi], index[t]
        pivot_d = dist[hi]
        pivot_i = index[hi]
        store = lo
        for i in range(lo, hi):
            if before(dist[i], index[i], pivot_d, pivot_i):
                dist[i], dist[store] = dist[store], dist[i]
                index[i], index[store] = index[store], index[i]
                store = store + 1
        dist[hi], dist[store] = dist[store], dist[hi]
        index[hi], index[store] = index[store], index[hi]
        if store == n_keep - 1 or store == n_keep:
            break
        if store < n_keep:
            lo = store + 1
        else:
            hi = store - 1
    for i in range(1, n_keep):
        swap_d = dist[i]
        swap_i = index[i]
        j = i
        while j > 0 and before(swap_d, swap_i, dist[j - 1], index[j - 1]):
            dist[j] = dist[j - 1]
            index[j] = index[j - 1]
            j = j - 1
        dist[j] = swap_d
        index[j] = swap_i


def _neighbours(const double[:, ::1] centers, Py_ssize_t n_near, int n_threads=1):
    """Each centre's ``n_near`` nearest others (index, Euclidean distance), nearest
    first (the lower index first on ties): all k - 1 squared distances, the nearest
    selected and sorted, their roots taken."""
    cdef Py_ssize_t k = centers.shape[0], d = centers.shape[1], a, b, t, m
    n_near = max(0, min(n_near, k - 1))
    near_array = np.zeros((k, n_near), dtype=np.intp)
    dist_array = np.zeros((k, n_near), dtype=np.float64)
    if n_near == 0:
        return near_array, dist_array
    cdef Py_ssize_t[:, ::1] near = near_array
    cdef double[:, ::1] dist = dist_array
    cdef double* row = NULL
    cdef Py_ssize_t* others = NULL
    with nogil, parallel(num_threads=n_threads):
        row = <double*> malloc(k * sizeof(double))
        others = <Py_ssize_t*> malloc(k * sizeof(Py_ssize_t))
        for a in prange(k, schedule="static"):
            m = 0
            for b in range(k):
                if b != a:
                    row[m] = sq_distance(&centers[a, 0], &centers[b, 0], d)
                    others[m] = b
                    m = m + 1
            smallest_first(row, others, m, n_near)
            for t in range(n_near):
                dist[a, t] = sqrt(row[t])
                near[a, t] = others[t]
        free(row)
        free(others)
    return near_array, dist_array


cdef struct Projected:
    double proj
    Py_ssize_t index


cdef int by_projection(const void* a, const void* b) noexcept nogil:
    cdef const Projected* x = <const Projected*> a
    cdef const Projected* y = <const Projected*> b
    if x.proj < y.proj:
        return -1
    if x.proj > y.proj:
        return 1
    return (x.index > y.index) - (x.index < y.index)


cdef void principal_axis(const double[:, ::1] centers, double* axis, double* work) noexcept nogil:
    """A unit vector along the centres' principal axis, by power iteration on their
    covariance (any unit axis keeps the search exact; this one makes it short)."""
    cdef Py_ssize_t k = centers.shape[0], d = centers.shape[1], i, a, b, step
    cdef double* mean = work
    cdef double* cov = work + d
    cdef double* next_axis = work + d + d * d
    cdef double norm, diff_a
    for a in range(d):
        mean[a] = 0.0
        axis[a] = 1.0 / sqrt(<double> d)
        for b in range(d):
            cov[a * d + b] = 0.0
    for i in range(k):
        for a in range(d):
            mean[a] += centers[i, a] / k
    for i in range(k):
        for a in range(d):
            diff_a = centers[i, a] - mean[a]
            for b in range(d):
                cov[a * d + b] += diff_a * (centers[i, b] - mean[b])
    for step in range(32):
        norm = 0.0
        for a in range(d):
            next_axis[a] = 0.0
            for b in range(d):
                next_axis[a] += cov[a * d + b] * axis[b]
            norm += next_axis[a] * next_axis[a]
        if norm == 0.0:
            break
        norm = sqrt(norm)
        for a in range(d):
            axis[a] = next_axis[a] / norm
    if norm == 0.0:  # the start was orthogonal to every spread, or there is none
        for a in range(d):
            axis[a] = 1.0 if a == 0 else 0.0


cdef class SortedCentres:
    """Centres sorted by their projection on their principal axis, for the search."""

    def __init__(self, centers, int n_threads=1):
        cdef double[:, ::1] given = np.ascontiguousarray(centers, dtype=np.float64)
        cdef Py_ssize_t k = given.shape[0], d = given.shape[1], i, j
        self.given = np.asarray(given)
        self.axis = np.empty(d, dtype=np.float64)
        self.proj = np.empty(k, dtype=np.float64)
        self.points = np.empty((k, d), dtype=np.float64)
        self.index = np.empty(k, dtype=np.intp)
        self.position = np.empty(k, dtype=np.intp)
        self.near, self.near_dist = _neighbours(given, NEIGHBOURS, n_threads)
        cdef double[::1] axis = self.axis, proj = self.proj
        cdef double[:, ::1] points = self.points
        cdef Py_ssize_t[::1] index = self.index, position = self.position
        cdef Projected* order = <Projected*> malloc(max(k, 1) * sizeof(Projected))
        cdef double* work = <double*> malloc((2 * d + d * d) * sizeof(double))
        cdef double p
        if order == NULL or work == NULL:
            free(order)
            free(work)
            raise MemoryError()
        with nogil:
            principal_axis(given, &axis[0], work)
            for i in range(k):
                p = 0.0
                for j in range(d):
                    p = p + axis[j] * given[i, j]
                order[i].proj = p
                order[i].index = i
            qsort(order, k, sizeof(Projected), by_projection)
            for i in range(k):
                proj[i] = order[i].proj
                index[i] = order[i].index
                position[order[i].index] = i
                for j in range(d):
                    points[i, j] = given[order[i].index, j]
        free(order)
        free(work)
        self._fill()

    cdef void _fill(self):
        cdef double[::1] axis = self.axis, proj = self.proj
        cdef double[:, ::1] points = self.points
        cdef Py_ssize_t[::1] index = self.index, position = self.position
        cdef double[:, ::1] given = self.given, near_dist = self.near_dist
        cdef Py_ssize_t[:, ::1] near = self.near
        self.view.k = points.shape[0]
        self.view.d = points.shape[1]
        self.view.axis = &axis[0]
        self.view.proj = &proj[0]
        self.view.points = &points[0, 0]
        self.view.index = &index[0]
        self.view.position = &position[0]
        self.view.given = &given[0, 0]
        self.view.n_near = near.shape[1]
        self.view.near = &near[0, 0] if near.shape[1] else NULL
        self.view.near_dist = &near_dist[0, 0] if near.shape[1] else NULL

    cdef const Centres* centres(self):
        return &self.view

    @property
    def half_gaps(self):
        """Half the distance from each centre to its nearest other one (inf alone),
        (k,) float64, in the order given."""
        if self.near_dist.shape[1] == 0:
            return np.full(len(self.given), np.inf)
        return 0.5 * self.near_dist[:, 0]


def nearest(const floating[:, ::1] X, centers, int n_threads=1):
    """Nearest centre of every row of X, its squared distance and the second
    nearest's (float64, computed directly; ties go to the lower index).

    Parameters
    ----------
    X : (n, d) float32 or float64, C-contiguous
    centers : (k, d) array, k >= 1
    n_threads : int

    Returns
    -------
    labels : (n,) intp
    first, second : (n,) float64
    """
    cdef SortedCentres sorted_centres = SortedCentres(centers, n_threads)
    cdef const Centres* s = sorted_centres.centres()
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], i, j
    labels_array = np.empty(n, dtype=np.intp)
    first_array = np.empty(n, dtype=np.float64)
    second_array = np.empty(n, dtype=np.float64)
    cdef Py_ssize_t[::1] labels = labels_array
    cdef double[::1] first = first_array, second = second_array
    cdef double* x = NULL
    if d != s.d:
        raise ValueError(f"X has {d} features, the centres {s.d}")
    cdef Py_ssize_t block, start, stop, guess
    cdef Py_ssize_t n_blocks = (n + BLOCK - 1) // BLOCK
    with nogil, parallel(num_threads=n_threads):
        x = <double*> malloc(d * sizeof(double))  # the point in float64, one per thread
        for block in prange(n_blocks, schedule="dynamic"):
            # points come in runs of similar ones (histograms are sorted by colour):
            # each starts from the previous one's nearest centre
            start = block * BLOCK
            stop = start + BLOCK if start + BLOCK < n else n
            guess = -1
            for i in range(start, stop):
                for j in range(d):
                    x[j] = X[i, j]
                nearest_two_from(s, x, guess, &labels[i], &first[i], &second[i])
                guess = labels[i]
        free(x)
    return labels_array, first_array, second_array
