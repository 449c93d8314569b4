"""Chunked squared Euclidean distances and nearest-centre assignment.

Distances use the expansion ||x||² − 2 x·c + ||c||², so the heavy part is one matrix
product per chunk (BLAS).  Rows are processed in chunks sized so that a chunk's
(rows, k) block stays around a megabyte: memory is bounded whatever n is, and no
(n, k, d) tensor is ever formed.
"""

import numpy as np

from .parallel import thread_map

# Bytes of one (rows, k) distance block: small enough to stay in cache.
_BLOCK_BYTES = 1 << 20


def chunk_rows(n_columns, itemsize=8):
    """Rows per chunk so that a (rows, n_columns) block takes about _BLOCK_BYTES."""
    return max(256, _BLOCK_BYTES // (max(1, n_columns) * itemsize))


def row_norms_sq(X):
    """Squared Euclidean norm of every row, shape (n,)."""
    return np.einsum("ij,ij->i", X, X)


def assign(X, centers, *, with_distances=True):
    """Nearest centre of every row of X.

    Chunks run on the package's threads (see :mod:`quantize.parallel`).

    Parameters
    ----------
    X : (n, d) ndarray of float
    centers : (k, d) ndarray of the same dtype
    with_distances : bool, keyword-only
        Also return the squared distances (Lloyd iterations skip them).

    Returns
    -------
    labels : (n,) ndarray of intp
        Index of the nearest centre (the first one on ties).
    sq_dist : (n,) ndarray of X.dtype, or None
        Squared distance to that centre, computed directly as ||x − c||² so it is exact
        (no cancellation error) and exactly 0 for a point that equals its centre.
    """
    n = X.shape[0]
    labels = np.empty(n, dtype=np.intp)
    sq_dist = np.empty(n, dtype=X.dtype) if with_distances else None
    # ||x||² is the same for every centre, so the argmin needs only ||c||² / 2 − x·c.
    half_c_sq = 0.5 * row_norms_sq(centers)
    step = chunk_rows(centers.shape[0], X.dtype.itemsize)

    def work(start):
        rows = X[start : start + step]
        block = rows @ centers.T
        np.subtract(half_c_sq, block, out=block)
        labels[start : start + step] = lab = block.argmin(axis=1)
        if with_distances:
            diff = rows - centers[lab]
            sq_dist[start : start + step] = np.einsum("ij,ij->i", diff, diff)

    thread_map(work, range(0, n, step))
    return labels, sq_dist


def assign_with_bounds(X, centers, x_sq):
    """Nearest centre of every row and the distances to the nearest and second nearest.

    Parameters
    ----------
    X : (n, d) ndarray; centers : (k, d) ndarray, k >= 2; x_sq : (n,) squared row norms

    Returns
    -------
    labels : (n,) intp
    nearest, second : (n,) ndarrays of X.dtype
        Euclidean distances (from the expansion, so good to rounding), the bounds that
        bounded Lloyd iterations start from.
    """
    n = X.shape[0]
    labels = np.empty(n, dtype=np.intp)
    nearest = np.empty(n, dtype=X.dtype)
    second = np.empty(n, dtype=X.dtype)
    half_c_sq = 0.5 * row_norms_sq(centers)
    step = chunk_rows(centers.shape[0], X.dtype.itemsize)

    def work(start):
        stop = min(start + step, n)
        block = X[start:stop] @ centers.T
        np.subtract(half_c_sq, block, out=block)
        lab = block.argmin(axis=1)
        rows = np.arange(stop - start)
        best = block[rows, lab]
        block[rows, lab] = np.inf
        # d² = ||x||² + 2 (||c||² / 2 − x·c)
        half_x = 0.5 * x_sq[start:stop]
        labels[start:stop] = lab
        nearest[start:stop] = np.sqrt(np.maximum(2 * (best + half_x), 0))
        second[start:stop] = np.sqrt(np.maximum(2 * (block.min(axis=1) + half_x), 0))

    thread_map(work, range(0, n, step))
    return labels, nearest, second


def sq_dist_to_assigned(X, centers, labels):
    """Exact squared distance of every row of X to its own centre ``centers[labels]``."""
    out = np.empty(X.shape[0], dtype=X.dtype)
    step = chunk_rows(X.shape[1], X.dtype.itemsize)
    for start in range(0, X.shape[0], step):
        diff = X[start : start + step] - centers[labels[start : start + step]]
        out[start : start + step] = np.einsum("ij,ij->i", diff, diff)
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
    step = chunk_rows(k, X.dtype.itemsize)
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = out[start:stop]
        np.matmul(X[start:stop], centers.T, out=block)
        block *= -2
        block += x_sq[start:stop, None]
        block += c_sq
        np.maximum(block, 0, out=block)
    return out
