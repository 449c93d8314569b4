"""Nearest-centre assignment (the compiled search) and chunked squared Euclidean
distances.

The nearest centres come from ``quantize.cluster._nearest``: centres sorted along
their principal axis, a scan outwards from each point's projection that stops when
the projection gap passes the second-nearest distance, distances summed directly in
float64 (exact, ties to the first centre).  Where a whole (n, k) block of distances
is the point (``KMeans.transform``, k-means++ candidates) the expansion
||x||² − 2 x·c + ||c||² gives it, one matrix product per chunk of rows sized so that
the block stays around a megabyte.
"""

import numpy as np

from .._compiled import kernel
from .._parallel import get_num_threads, slices

# Bytes of one (rows, k) distance block: small enough to stay in cache.
_BLOCK_BYTES = 1 << 20


def chunk_rows(n_columns, itemsize=8):
    """Rows per chunk so that a (rows, n_columns) block takes about _BLOCK_BYTES."""
    return max(256, _BLOCK_BYTES // (max(1, n_columns) * itemsize))


def row_norms_sq(X):
    """Squared Euclidean norm of every row, shape (n,)."""
    return np.einsum("ij,ij->i", X, X)


def assign(X, centers, *, with_distances=True):
    """Nearest centre of every row of X (the compiled search of
    ``quantize.cluster._nearest``, on the package's threads).

    Parameters
    ----------
    X : (n, d) ndarray of float
    centers : (k, d) ndarray of the same dtype
    with_distances : bool, keyword-only
        Also return the squared distances.

    Returns
    -------
    labels : (n,) ndarray of intp
        Index of the nearest centre, exactly (distances summed in float64 feature by
        feature, the first centre on ties).
    sq_dist : (n,) ndarray of X.dtype, or None
        Squared distance to that centre, computed directly as ||x − c||² (exactly 0
        for a point that equals its centre).
    """
    labels, first, _ = _nearest().nearest(np.ascontiguousarray(X), centers, get_num_threads())
    return labels, first.astype(X.dtype) if with_distances else None


def assign_with_bounds(X, centers):
    """Nearest centre of every row, and the Euclidean distances to it and to the
    second nearest (inf with one centre): what bounded Lloyd steps start from.

    Returns
    -------
    labels : (n,) intp
        As :func:`assign`'s.
    nearest, second : (n,) ndarray of float64
    """
    labels, first, second = _nearest().nearest(np.ascontiguousarray(X), centers, get_num_threads())
    return labels, np.sqrt(first), np.sqrt(second)


def _nearest():
    return kernel("cluster._nearest")


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
