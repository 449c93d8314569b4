"""Chunked squared Euclidean distances and nearest-centre assignment.

Distances use the expansion ||x||² − 2 x·c + ||c||², so the heavy part is one matrix
product per chunk (BLAS).  Rows are processed in chunks sized so that a chunk's
(rows, k) block stays around a megabyte: memory is bounded whatever n is, and no
(n, k, d) tensor is ever formed.
"""

import numpy as np

from .._parallel import map_slices, slices


# Bytes of one (rows, k) distance block: small enough to stay in cache.
_BLOCK_BYTES = 1 << 20


def chunk_rows(n_columns, itemsize=8):
    """Rows per chunk so that a (rows, n_columns) block takes about _BLOCK_BYTES."""
    return max(256, _BLOCK_BYTES // (max(1, n_columns) * itemsize))


def row_norms_sq(X):
    """Squared Euclidean norm of every row, shape (n,)."""
    return np.einsum("ij,ij->i", X, X)


# Up to this many centres the nearest one is found by a minimum over the centres of
# (k, rows) blocks whose float bits carry the centre's index (see _packed_two_nearest):
# one SIMD pass instead of an argmin per row, which costs more than the distances
# themselves for small k.  Above it the index would take too many mantissa bits.
_PACKED_MAX_K = 256
_INT_OF = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _packed_two_nearest(rows, rows_sq, centers, centers_sq, starts=None):
    """Nearest and second-nearest centre of every row, from the expansion.

    One matrix product of [-2c, ||c||², 1] and [x, 1, ||x||²] gives the (k, rows)
    block of squared distances, whose low mantissa bits are then replaced by the
    centre's index: non-negative floats order like their bits read as integers, so
    the block's minimum over the centres is the nearest centre (ties, and values
    closer than the cleared bits, going to the lower index) and, once it is masked,
    the next minimum is the second nearest.  A distance can come out negative only by
    rounding a distance of about 0; :func:`_two_nearest` decides such rows again.

    With ``starts`` (the first centre of each group of consecutive centres), the
    second minimum is taken per group: the nearest centre of each group other than
    the nearest of all.

    Returns
    -------
    labels : (s,) intp
    first : (s,) float array, the nearest squared distance as computed, truncated to
        the kept bits.
    second : (s,) float array, or (G, s) with ``starts``: the same for the second
        nearest (of each group).
    bits : int
        Mantissa bits given to the index.
    """
    k, d = centers.shape
    dtype = rows.dtype
    bits = max(1, int(k - 1).bit_length())
    mask = (1 << bits) - 1
    left = np.empty((k, d + 2), dtype=dtype)
    left[:, :d] = centers
    left[:, :d] *= -2
    left[:, d] = centers_sq
    left[:, d + 1] = 1
    right = np.empty((d + 2, len(rows)), dtype=dtype)
    right[:d] = rows.T
    right[d] = 1
    right[d + 1] = rows_sq
    ints = (left @ right).view(_INT_OF[dtype])
    ints &= ~mask
    ints |= np.arange(k, dtype=ints.dtype)[:, None]
    first = ints.min(axis=0)
    labels = (first & mask).astype(np.intp)
    # The chosen entries become +inf (above every distance, and inf again once read
    # back as floats: a group holding no other centre is infinitely far).
    infinity = np.array(np.inf, dtype=dtype).view(ints.dtype)
    if k > 1:
        ints[labels, np.arange(len(labels))] = infinity
        second = ints.min(axis=0) if starts is None else np.minimum.reduceat(ints, starts, axis=0)
    else:
        second = np.full_like(first, infinity)
        if starts is not None:
            second = second[None]
    first &= ~mask
    second &= ~mask
    return labels, first.view(dtype), second.view(dtype), bits


def _rounding_bound(rows_sq, centers_sq, dtype):
    """Bound on the error of the expansion ||x||² − 2x·c + ||c||² in ``dtype``."""
    return 8 * np.finfo(dtype).eps * (rows_sq + centers_sq.max())


def _two_nearest(rows, rows_sq, centers, centers_sq, starts=None):
    """Labels (exact nearest, first on ties) and bounds on the squared distances to
    the nearest and second-nearest centres: (labels, upper_first, lower_second),
    lower_second of shape (s,), or (G, s) per group of centres with ``starts``."""
    dtype = rows.dtype
    labels, first, second, bits = _packed_two_nearest(rows, rows_sq, centers, centers_sq, starts)
    error = _rounding_bound(rows_sq, centers_sq, dtype)
    kept = 2.0 ** (bits - np.finfo(dtype).nmant)  # relative size of the cleared bits
    upper_first = np.abs(first) * (1 + kept) + error
    lower_second = np.maximum(second - error, 0)
    runner_up = lower_second if starts is None else lower_second.min(axis=0)
    close = np.flatnonzero(runner_up <= upper_first)
    if close.size:  # too close to call in this precision: exact, in float64
        exact = ((rows[close, None, :].astype(np.float64) - centers[None].astype(np.float64)) ** 2).sum(axis=2)
        labels[close] = chosen = exact.argmin(axis=1)
        upper_first[close] = exact[np.arange(close.size), chosen]
        exact[np.arange(close.size), chosen] = np.inf
        if starts is None:
            lower_second[close] = exact.min(axis=1)
        else:
            lower_second[:, close] = np.minimum.reduceat(exact, starts, axis=1).T
    return labels, upper_first, lower_second


def assign(X, centers, *, with_distances=True):
    """Nearest centre of every row of X.

    Chunks run on the package's threads (see :mod:`quantize._parallel`).

    Parameters
    ----------
    X : (n, d) ndarray of float
    centers : (k, d) ndarray of the same dtype
    with_distances : bool, keyword-only
        Also return the squared distances (Lloyd iterations skip them).

    Returns
    -------
    labels : (n,) ndarray of intp
        Index of the nearest centre (the first one on ties): rows whose two nearest
        centres are too close to tell apart in X's precision are decided again in
        float64 from the differences themselves.
    sq_dist : (n,) ndarray of X.dtype, or None
        Squared distance to that centre, computed directly as ||x − c||² so it is exact
        (no cancellation error) and exactly 0 for a point that equals its centre.
    """
    n, k = X.shape[0], centers.shape[0]
    labels = np.empty(n, dtype=np.intp)
    sq_dist = np.empty(n, dtype=X.dtype) if with_distances else None
    centers_sq = row_norms_sq(centers)
    step = chunk_rows(k, X.dtype.itemsize)

    def work(part):
        rows = X[part]
        if k <= _PACKED_MAX_K:
            lab = _two_nearest(rows, row_norms_sq(rows), centers, centers_sq)[0]
        else:  # ||x||² is the same for every centre: the argmin needs ||c||² / 2 − x·c
            block = rows @ centers.T
            np.subtract(0.5 * centers_sq, block, out=block)
            lab = block.argmin(axis=1)
        labels[part] = lab
        if with_distances:
            diff = rows - centers[lab]
            sq_dist[part] = np.einsum("ij,ij->i", diff, diff)

    map_slices(work, n, step)
    return labels, sq_dist


def assign_with_bounds(X, centers, x_sq, starts=None):
    """Nearest centre of every row and bounds on the distances to the nearest and the
    second nearest (of each group of centres, with ``starts``).

    Parameters
    ----------
    X : (n, d) ndarray; centers : (k, d) ndarray, k >= 2; x_sq : (n,) squared row norms
    starts : (G,) ndarray of intp, optional
        Index of the first centre of each group of consecutive centres.

    Returns
    -------
    labels : (n,) intp
        As :func:`assign`'s.
    nearest : (n,) ndarray of X.dtype
        An upper bound on the Euclidean distance to the nearest centre.
    second : (n,) ndarray of X.dtype, or (G, n) with ``starts``
        A lower bound on the distance to any other centre (of each group): the bounds
        that bounded Lloyd iterations (and the bin bounds of :mod:`quantize.quantization.search`)
        start from.
    """
    n, k = X.shape[0], centers.shape[0]
    labels = np.empty(n, dtype=np.intp)
    nearest = np.empty(n, dtype=X.dtype)
    second = np.empty(n if starts is None else (len(starts), n), dtype=X.dtype)
    centers_sq = row_norms_sq(centers)
    step = chunk_rows(k, X.dtype.itemsize)

    def work(part):
        rows, rows_sq = X[part], x_sq[part]
        if k <= _PACKED_MAX_K:
            lab, first, other = _two_nearest(rows, rows_sq, centers, centers_sq, starts)
        else:
            block = rows @ centers.T
            np.subtract(0.5 * centers_sq, block, out=block)
            lab = block.argmin(axis=1)
            index = np.arange(len(rows))
            best = block[index, lab]
            block[index, lab] = np.inf
            error = _rounding_bound(rows_sq, centers_sq, X.dtype)
            rest = block.min(axis=1) if starts is None else np.minimum.reduceat(block, starts, axis=1)
            # d² = ||x||² + 2 (||c||² / 2 − x·c)
            first = 2 * (best + 0.5 * rows_sq) + error
            if starts is None:
                other = np.maximum(2 * (rest + 0.5 * rows_sq) - error, 0)
            else:
                other = np.maximum(2 * (rest.T + 0.5 * rows_sq) - error, 0)
        labels[part] = lab
        nearest[part] = np.sqrt(np.maximum(first, 0))
        second[..., part] = np.sqrt(other)

    map_slices(work, n, step)
    return labels, nearest, second


def sq_dist_to_assigned(X, centers, labels=None):
    """Exact squared distance of every row of X to its own centre ``centers[labels]``
    (to ``centers[0]`` for every row when ``labels`` is None), in bounded memory."""
    out = np.empty(X.shape[0], dtype=X.dtype)
    for part in slices(X.shape[0], chunk_rows(X.shape[1], X.dtype.itemsize)):
        diff = X[part] - (centers[0] if labels is None else centers[labels[part]])
        out[part] = np.einsum("ij,ij->i", diff, diff)
    return out


def sq_distances(X, centers, x_sq=None, out=None):
    """All squared distances between the rows of X and the centres, shape (n, k).

    Negative values from rounding are clipped to 0.  Only use this where the (n, k)
    result is the point (``KMeans.transform``, k-means++ candidates); to find the
    nearest centre use :func:`assign`, which never holds more than a chunk.
    """
    n = X.shape[0]
    k = centers.shape[0]
    if x_sq is None:
        x_sq = row_norms_sq(X)
    c_sq = row_norms_sq(centers)
    if out is None:
        out = np.empty((n, k), dtype=X.dtype)
    for part in slices(n, chunk_rows(k, X.dtype.itemsize)):
        block = out[part]
        np.matmul(X[part], centers.T, out=block)
        block *= -2
        block += x_sq[part, None]
        block += c_sq
        np.maximum(block, 0, out=block)
    return out
