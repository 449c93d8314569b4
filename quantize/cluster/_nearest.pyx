# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Exact nearest centres, compiled: every point's nearest and second-nearest centre
(see _nearest.pxd for the search)."""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.math cimport sqrt
from libc.stdlib cimport free, malloc

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


def _neighbours(const double[:, ::1] centers, Py_ssize_t n_near):
    """Each centre's ``n_near`` nearest others (index, Euclidean distance), nearest
    first (the lower index first on ties), by insertion into a short sorted list."""
    cdef Py_ssize_t k = centers.shape[0], d = centers.shape[1], a, b, t, u
    near_array = np.empty((k, max(n_near, 1)), dtype=np.intp)[:, :n_near]
    dist_array = np.empty((k, max(n_near, 1)), dtype=np.float64)[:, :n_near]
    near_array = np.ascontiguousarray(near_array)
    dist_array = np.ascontiguousarray(dist_array)
    if n_near == 0:
        return near_array, dist_array
    cdef Py_ssize_t[:, ::1] near = near_array
    cdef double[:, ::1] dist = dist_array
    cdef double value
    cdef Py_ssize_t filled
    with nogil:
        for a in range(k):
            filled = 0
            for b in range(k):
                if b == a:
                    continue
                value = sqrt(sq_distance(&centers[a, 0], &centers[b, 0], d))
                if filled == n_near and value >= dist[a, n_near - 1]:
                    continue
                t = filled if filled < n_near else n_near - 1
                while t > 0 and dist[a, t - 1] > value:  # b comes after equal ones: lower index first
                    if t < n_near:
                        dist[a, t] = dist[a, t - 1]
                        near[a, t] = near[a, t - 1]
                    t -= 1
                dist[a, t] = value
                near[a, t] = b
                if filled < n_near:
                    filled += 1
    return near_array, dist_array


cdef class SortedCentres:
    """Centres sorted by their projection on their principal axis, for the search."""

    def __init__(self, centers):
        centers = np.ascontiguousarray(centers, dtype=np.float64)
        k, d = centers.shape
        if k > 1:
            spread = centers - centers.mean(axis=0)
            axis = np.linalg.eigh(spread.T @ spread)[1][:, -1]
        else:
            axis = np.eye(d)[0]
        axis = np.ascontiguousarray(axis / np.linalg.norm(axis))
        proj = centers @ axis
        order = np.argsort(proj, kind="stable").astype(np.intp)
        self.axis = axis
        self.proj = np.ascontiguousarray(proj[order])
        self.points = np.ascontiguousarray(centers[order])
        self.index = order
        self.position = np.empty_like(order)
        self.position[order] = np.arange(k, dtype=np.intp)
        self.given = centers
        self.near, self.near_dist = _neighbours(centers, min(k - 1, NEIGHBOURS))
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
    cdef SortedCentres sorted_centres = SortedCentres(centers)
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
