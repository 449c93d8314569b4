# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Dithering against a palette, compiled: serpentine Floyd-Steinberg with a limited
error and ordered (Bayer) dithering, both in the clustering space, each pixel's
entry found by the exact nearest search from its neighbour's entry (see dither.py
for what the parameters mean)."""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.math cimport fabs, sqrt
from libc.stdlib cimport calloc, free, malloc

from .._build cimport QUANTIZE_SOURCE_HASH
from ..cluster._nearest cimport Centres, SortedCentres, nearest_one_from, nearest_two_from, sq_distance

cnp.import_array()

#: The hash of the kernels' sources this module was built from (see quantize/_compiled.py).
SOURCE_HASH = QUANTIZE_SOURCE_HASH.decode()

#: Rows dithered by one thread in a row; each block starts with WARM rows of the block
#: above dithered again for their error (no seam), so the result does not depend on
#: the number of threads.
cdef Py_ssize_t BLOCK = 128, WARM = 2


cdef inline void _row(const int[:, ::1] index, const float[:, ::1] features, const Centres* s,
                      const unsigned char[:, ::1] weight, const double* low, const double* high, Py_ssize_t y,
                      double* this_err, double* next_err, double* target, short[:, ::1] out,
                      const short[:, ::1] plain, const double* fence, double level, double tiny,
                      double limit, bint store) noexcept nogil:
    """One row of Floyd-Steinberg, left to right on even rows, right to left on odd."""
    cdef Py_ssize_t width = index.shape[1], d = s.d, t, x, j, c, entry, plain_entry
    cdef Py_ssize_t guess = -1, found
    cdef bint forward = (y & 1) == 0
    cdef double w, size, ratio, first, second, value
    cdef double* err
    cdef const float* f
    for j in range((width + 2) * d):
        next_err[j] = 0.0
    for t in range(width):
        x = t if forward else width - 1 - t
        c = index[y, x]
        err = this_err + (x + 1) * d
        if c < 0:  # a transparent pixel: no entry, no error
            if store:
                out[y, x] = -1
            continue
        f = &features[c, 0]
        w = level * weight[y, x] * (1.0 / 255.0)
        size = 0.0
        for j in range(d):
            size = size + (w * err[j]) * (w * err[j])
        plain_entry = plain[y, x]
        if size < tiny:  # no noticeable error: the pixel as it is (flat areas stay flat)
            for j in range(d):
                target[j] = f[j]
            found = plain_entry  # its nearest entry, known
        else:
            # the error pushes at most a little past the colours of the image, and less
            # when it is large (no bright dot out of a dark area)
            ratio = 1.0
            for j in range(d):
                value = w * err[j]
                if f[j] + value > high[j] and (high[j] - f[j]) / value < ratio:
                    ratio = (high[j] - f[j]) / value
                elif f[j] + value < low[j] and (low[j] - f[j]) / value < ratio:
                    ratio = (low[j] - f[j]) / value
            if ratio < 0:
                ratio = 0
            if size > limit:
                ratio = ratio * 0.8
            for j in range(d):
                target[j] = f[j] + w * err[j] * ratio
            found = nearest_one_from(s, target, guess if guess >= 0 else plain_entry)
        if found != plain_entry:
            # an entry farther from the pixel than its own nearest entry's neighbours
            # is an outlier (a navy dot in a cyan sky): the pixel keeps its own entry
            for j in range(d):
                target[j + d] = f[j]
            if sq_distance(target + d, s.given + found * d, d) > fence[c]:
                found = plain_entry
        guess = found
        if store:
            out[y, x] = <short> found
        # the error left, limited, goes to the neighbours not done yet
        size = 0.0
        for j in range(d):
            value = target[j] - s.given[found * d + j]
            target[j] = value
            size = size + value * value
        if size > limit:
            for j in range(d):
                target[j] = target[j] * 0.75
        for j in range(d):
            value = target[j]
            if forward:
                this_err[(x + 2) * d + j] += value * (7.0 / 16.0)
                next_err[x * d + j] += value * (3.0 / 16.0)
                next_err[(x + 1) * d + j] += value * (5.0 / 16.0)
                next_err[(x + 2) * d + j] += value * (1.0 / 16.0)
            else:
                this_err[x * d + j] += value * (7.0 / 16.0)
                next_err[(x + 2) * d + j] += value * (3.0 / 16.0)
                next_err[(x + 1) * d + j] += value * (5.0 / 16.0)
                next_err[x * d + j] += value * (1.0 / 16.0)


def floyd_steinberg(const int[:, ::1] index, const float[:, ::1] features, SortedCentres entries,
                    const short[:, ::1] plain, const unsigned char[:, ::1] weight, const double[::1] low,
                    const double[::1] high, const double[::1] fence, double level, double tiny, double limit,
                    int n_threads=1):
    """Serpentine Floyd-Steinberg in the clustering space.

    Parameters
    ----------
    index : (H, W) int32
        Each pixel's colour (a row of ``features``), -1 where transparent.
    features : (m, d) float32
        The colours in the clustering space.
    entries : SortedCentres
        The palette entries in the same space.
    plain : (H, W) int16
        The undithered labels (each pixel's nearest entry).
    weight : (H, W) uint8
        How much each pixel is dithered, 0 to 255 for 0 to 1 (less on edges and in
        noise).
    low, high : (d,) float64
        How far, per feature, a pixel plus its error may reach.
    fence : (m,) float64
        The squared distance from each colour past which an entry is refused: its
        distance to its own nearest entry plus how much farther an entry may be, squared.
    level : float
        The share of the error diffused (the strength).
    tiny, limit : float
        Squared errors below ``tiny`` are not diffused; above ``limit`` they are damped.

    Returns
    -------
    (H, W) int16 labels, -1 where transparent.
    """
    cdef const Centres* s = entries.centres()
    cdef Py_ssize_t height = index.shape[0], width = index.shape[1], d = s.d
    cdef Py_ssize_t n_blocks = (height + BLOCK - 1) // BLOCK, block, y, start, stop
    out_array = np.empty((height, width), dtype=np.int16)
    cdef short[:, ::1] out = out_array
    cdef double* rows = NULL
    cdef double* swap
    cdef double* this_err
    cdef double* next_err
    cdef double* target
    if features.shape[1] != d or low.shape[0] != d or high.shape[0] != d:
        raise ValueError("features, entries and bounds differ in dimension")
    with nogil, parallel(num_threads=n_threads):
        rows = <double*> calloc(2 * (width + 2) * d + 2 * d, sizeof(double))
        for block in prange(n_blocks, schedule="dynamic"):
            this_err = rows
            next_err = rows + (width + 2) * d
            target = rows + 2 * (width + 2) * d
            for y in range(2 * (width + 2) * d):
                rows[y] = 0.0
            start = block * BLOCK
            stop = start + BLOCK if start + BLOCK < height else height
            for y in range(start - WARM if start >= WARM else 0, stop):
                _row(index, features, s, weight, &low[0], &high[0], y, this_err, next_err, target, out, plain,
                     &fence[0], level, tiny, limit, y >= start)
                swap = this_err
                this_err = next_err
                next_err = swap
        free(rows)
    return out_array


def ordered(const int[:, ::1] index, const float[:, ::1] features, SortedCentres entries,
            const double[:, ::1] threshold, const double[::1] direction, int n_threads=1):
    """Ordered dithering: each pixel's entry is the nearest to its colour moved along
    ``direction`` by the threshold of its place, ``threshold[y % T, x % T]``.

    Returns (H, W) int16 labels, -1 where transparent.
    """
    cdef const Centres* s = entries.centres()
    cdef Py_ssize_t height = index.shape[0], width = index.shape[1], d = s.d, size = threshold.shape[0]
    cdef Py_ssize_t y, x, j, c, guess, found
    cdef double first, second, shift
    out_array = np.empty((height, width), dtype=np.int16)
    cdef short[:, ::1] out = out_array
    cdef double* target = NULL
    if features.shape[1] != d or direction.shape[0] != d:
        raise ValueError("features, entries and direction differ in dimension")
    with nogil, parallel(num_threads=n_threads):
        target = <double*> malloc(d * sizeof(double))
        for y in prange(height, schedule="dynamic"):
            guess = -1
            for x in range(width):
                c = index[y, x]
                if c < 0:
                    out[y, x] = -1
                    continue
                shift = threshold[y % size, x % size]
                for j in range(d):
                    target[j] = features[c, j] + shift * direction[j]
                if guess < 0:
                    found = -1
                    first = second = 0.0
                    nearest_two_from(s, target, guess, &found, &first, &second)
                else:
                    found = nearest_one_from(s, target, guess)
                out[y, x] = <short> found
                guess = found
        free(target)
    return out_array


def weights(const int[:, ::1] index, const float[:, ::1] features, const short[:, ::1] plain, double scale,
            int n_threads=1):
    """How much each pixel is dithered, 0 to 1 (after libimagequant's maps): less
    where the colour has an edge (a second difference, horizontal or vertical, of
    ``scale`` or more in any feature takes two thirds off) and where the undithered
    labels change from pixel to pixel (noise dithers itself): a pixel in a run of
    L equal labels, with e of its two vertical neighbours equal too, keeps
    1 - 20 / (20 + 10 L + 15 e).

    Returns (H, W) uint8, 255 for 1.
    """
    cdef Py_ssize_t height = index.shape[0], width = index.shape[1], d = features.shape[1]
    cdef Py_ssize_t y, x, j, start, run, up, down, left, right, c, same
    cdef double edge, second, flat
    out_array = np.zeros((height, width), dtype=np.uint8)
    cdef unsigned char[:, ::1] out = out_array
    with nogil:
        for y in prange(height, schedule="static", num_threads=n_threads):
            up = y - 1 if y > 0 else y
            down = y + 1 if y < height - 1 else y
            start = 0
            while start < width:
                run = start
                while run < width and plain[y, run] == plain[y, start]:
                    run = run + 1
                for x in range(start, run):
                    c = index[y, x]
                    if c < 0:
                        continue
                    left = index[y, x - 1] if x > 0 else c
                    right = index[y, x + 1] if x < width - 1 else c
                    if left < 0:
                        left = c
                    if right < 0:
                        right = c
                    edge = 0.0
                    for j in range(d):
                        second = fabs(features[left, j] + features[right, j] - 2 * features[c, j])
                        if second > edge:
                            edge = second
                        if index[up, x] >= 0 and index[down, x] >= 0:
                            second = fabs(features[index[up, x], j] + features[index[down, x], j] - 2 * features[c, j])
                            if second > edge:
                                edge = second
                    flat = 1.0 - edge / scale if edge < scale else 0.0
                    same = (plain[up, x] == plain[y, x] and up != y) + (plain[down, x] == plain[y, x] and down != y)
                    out[y, x] = <unsigned char> (255.0 * (1.0 + 2.0 * flat) / 3.0
                                                 * (1.0 - 20.0 / (20.0 + 10.0 * (run - start) + 15.0 * same)) + 0.5)
                start = run
    return out_array


def row_squared_errors(const int[:, ::1] index, const float[:, ::1] colors, const float[:, ::1] entries,
                       const short[:, ::1] labels, int n_threads=1):
    """Per row, the sum of the squared differences between each pixel's colour
    (``colors[index]``) and its entry (``entries[labels]``), skipping transparent
    pixels: (H,) float64."""
    cdef Py_ssize_t height = index.shape[0], width = index.shape[1], d = colors.shape[1], y, x, j, c
    cdef double acc, diff
    out_array = np.zeros(height, dtype=np.float64)
    cdef double[::1] out = out_array
    if entries.shape[1] != d:
        raise ValueError("colours and entries differ in dimension")
    with nogil:
        for y in prange(height, schedule="static", num_threads=n_threads):
            acc = 0.0
            for x in range(width):
                c = index[y, x]
                if c < 0:
                    continue
                for j in range(d):
                    diff = colors[c, j] - entries[labels[y, x], j]
                    acc = acc + diff * diff
            out[y] = acc
    return out_array
