# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Wu's greedy bipartition, compiled: box moments by inclusion-exclusion on the
table of cumulated moments, and the loop of cuts (wu.py builds the table and reads
the boxes)."""

import numpy as np

from libc.math cimport INFINITY
from libc.stdlib cimport free, malloc

from .._build cimport QUANTIZE_SOURCE_HASH

#: The hash of the kernels' sources this module was built from (see quantize/_compiled.py).
SOURCE_HASH = QUANTIZE_SOURCE_HASH.decode()


cdef void moments_of(const double[:, ::1] table, const Py_ssize_t[::1] strides, const Py_ssize_t* lower,
                     const Py_ssize_t* upper, double* out) noexcept nogil:
    """Moments (d + 2 columns) of the box (lower, upper]: the 2^d corners of the
    cumulated table, added with the sign of their count of lower bounds, corners in
    the order of their bits (axis 0 the highest)."""
    cdef Py_ssize_t d = strides.shape[0], m = table.shape[1], corner, axis, row, j
    cdef int n_lower
    cdef double sign
    for j in range(m):
        out[j] = 0.0
    for corner in range(1 << d):
        row = 0
        n_lower = 0
        for axis in range(d):
            if (corner >> (d - 1 - axis)) & 1:
                row = row + upper[axis] * strides[axis]
            else:
                row = row + lower[axis] * strides[axis]
                n_lower = n_lower + 1
        sign = 1.0 if n_lower % 2 == 0 else -1.0
        for j in range(m):
            out[j] = out[j] + sign * table[row, j]


def box_moments(const double[:, ::1] table, const Py_ssize_t[::1] strides, const Py_ssize_t[:, ::1] lower,
                const Py_ssize_t[:, ::1] upper):
    """Moments of boxes (lower, upper] given as (m, d) bounds: (m, d + 2) float64
    (weight, the d coordinate sums, the sum of squared norms)."""
    cdef Py_ssize_t n = lower.shape[0], i
    out_array = np.zeros((n, table.shape[1]), dtype=np.float64)
    cdef double[:, ::1] out = out_array
    with nogil:
        for i in range(n):
            moments_of(table, strides, &lower[i, 0], &upper[i, 0], &out[i, 0])
    return out_array


cdef double spread(const double* moments, Py_ssize_t d) noexcept nogil:
    """|sum|^2 / weight: the part of a box's SSE that cutting it can change."""
    cdef double acc = 0.0
    cdef Py_ssize_t j
    for j in range(1, d + 1):
        acc = acc + moments[j] * moments[j]
    return acc / moments[0]


cdef void best_cut(const double[:, ::1] table, const Py_ssize_t[::1] strides, const Py_ssize_t* lower,
                   const Py_ssize_t* upper, const double* total, double* gain, Py_ssize_t* best_axis,
                   Py_ssize_t* best_position, Py_ssize_t* top, double* low) noexcept nogil:
    """The cut of box (lower, upper] that most reduces its SSE (the first such, axes
    then positions in order): gain -inf when no cut leaves weight on both sides."""
    cdef Py_ssize_t d = strides.shape[0], m = table.shape[1], axis, position, j
    cdef double score, best = -INFINITY, w_low, w_high, high_sq, value
    cdef double threshold = 1e-9 * total[0]
    best_axis[0] = 0
    best_position[0] = 0
    for j in range(d):
        top[j] = upper[j]
    for axis in range(d):
        for position in range(lower[axis] + 1, upper[axis]):
            top[axis] = position
            moments_of(table, strides, lower, top, low)
            w_low = low[0]
            w_high = total[0] - w_low
            # Real weights can leave a rounding residue in an empty half (pixel counts,
            # integers, cannot): a half needs 1e-9 of the box's weight to hold points.
            if not (w_low > threshold and w_high > threshold):
                continue
            high_sq = 0.0
            for j in range(1, d + 1):
                value = total[j] - low[j]
                high_sq = high_sq + value * value
            score = spread(low, d) + high_sq / w_high
            if score > best:
                best = score
                best_axis[0] = axis
                best_position[0] = position
        top[axis] = upper[axis]
    if best == -INFINITY:
        gain[0] = -INFINITY
        return
    value = best - spread(total, d)
    gain[0] = value if value > 0.0 else 0.0


def greedy_cuts(const double[:, ::1] table, const Py_ssize_t[::1] strides, const Py_ssize_t[::1] bins,
                Py_ssize_t n_boxes):
    """Wu's greedy cuts on the cumulated moment table, up to ``n_boxes`` boxes: each
    step cuts the box whose best cut reduces the SSE most (the first on ties).

    Returns
    -------
    lower, upper : (count, d) intp
        The bounds of the boxes after the last cut.
    cuts : (count - 1, 3) intp
        (box cut, axis, position) of each step; the new box took the upper side.
    gains : (count,) float64
        The SSE each step removed (0 first).
    """
    cdef Py_ssize_t d = strides.shape[0], m = table.shape[1], count = 1, box, parent, axis, position, j, b
    lower_array = np.zeros((n_boxes, d), dtype=np.intp)
    upper_array = np.tile(np.asarray(bins, dtype=np.intp), (n_boxes, 1))
    cuts_array = np.zeros((max(n_boxes - 1, 0), 3), dtype=np.intp)
    gains_array = np.zeros(n_boxes, dtype=np.float64)
    moments_array = np.zeros((n_boxes, m), dtype=np.float64)
    best_array = np.zeros((n_boxes, 3), dtype=np.float64)  # gain, axis, position
    cdef Py_ssize_t[:, ::1] lower = lower_array, upper = upper_array, cuts = cuts_array
    cdef double[::1] gains = gains_array
    cdef double[:, ::1] moments = moments_array
    cdef double[:, ::1] best = best_array
    cdef Py_ssize_t* top = <Py_ssize_t*> malloc(d * sizeof(Py_ssize_t))
    cdef double* low = <double*> malloc(m * sizeof(double))
    cdef double gain, top_gain
    cdef Py_ssize_t cut_axis = 0, cut_position = 0
    try:
        with nogil:
            moments_of(table, strides, &lower[0, 0], &upper[0, 0], &moments[0, 0])
            best_cut(table, strides, &lower[0, 0], &upper[0, 0], &moments[0, 0], &gain, &cut_axis, &cut_position,
                     top, low)
            best[0, 0] = gain
            best[0, 1] = cut_axis
            best[0, 2] = cut_position
            while count < n_boxes:
                parent = 0
                top_gain = best[0, 0]
                for b in range(1, count):
                    if best[b, 0] > top_gain:
                        top_gain = best[b, 0]
                        parent = b
                if top_gain == -INFINITY:  # no box can be cut again
                    break
                axis = <Py_ssize_t> best[parent, 1]
                position = <Py_ssize_t> best[parent, 2]
                for j in range(d):
                    lower[count, j] = lower[parent, j]
                    upper[count, j] = upper[parent, j]
                upper[parent, axis] = position
                lower[count, axis] = position
                for b in range(2):
                    box = parent if b == 0 else count
                    moments_of(table, strides, &lower[box, 0], &upper[box, 0], &moments[box, 0])
                    best_cut(table, strides, &lower[box, 0], &upper[box, 0], &moments[box, 0], &gain, &cut_axis,
                             &cut_position, top, low)
                    best[box, 0] = gain
                    best[box, 1] = cut_axis
                    best[box, 2] = cut_position
                cuts[count - 1, 0] = parent
                cuts[count - 1, 1] = axis
                cuts[count - 1, 2] = position
                gains[count] = top_gain
                count = count + 1
    finally:
        free(top)
        free(low)
    return lower_array[:count], upper_array[:count], cuts_array[: count - 1], gains_array[:count]
