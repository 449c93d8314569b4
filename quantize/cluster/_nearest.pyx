# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Exact nearest centres, compiled: every point's nearest and second-nearest centre
(see _nearest.pxd for the search)."""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc

cnp.import_array()

ctypedef fused floating:
    float
    double

cdef extern from *:
    const char* QUANTIZE_SOURCE_HASH

#: The hash of the kernels' sources this module was built from (see quantize/_compiled.py).
SOURCE_HASH = QUANTIZE_SOURCE_HASH.decode()


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
        self._fill()

    cdef void _fill(self):
        cdef double[::1] axis = self.axis, proj = self.proj
        cdef double[:, ::1] points = self.points
        cdef Py_ssize_t[::1] index = self.index, position = self.position
        self.view.k = points.shape[0]
        self.view.d = points.shape[1]
        self.view.axis = &axis[0]
        self.view.proj = &proj[0]
        self.view.points = &points[0, 0]
        self.view.index = &index[0]
        self.view.position = &position[0]

    cdef const Centres* centres(self):
        return &self.view


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
    with nogil, parallel(num_threads=n_threads):
        x = <double*> malloc(d * sizeof(double))  # the point in float64, one per thread
        for i in prange(n, schedule="static"):
            for j in range(d):
                x[j] = X[i, j]
            nearest_two(s, x, &labels[i], &first[i], &second[i])
        free(x)
    return labels_array, first_array, second_array
