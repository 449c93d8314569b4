"""Initial centres for k-means: k-means++, random distinct points, naive sharding.

All functions take valid input (see ``KMeans``): X (n, d) float, sample_weight (n,)
non-negative with a positive sum, and one ``np.random.Generator``.  They may return
fewer than k centres when X has fewer than k distinct points of positive weight; the
caller decides what to do about that.
"""

import numpy as np

from .._parallel import slices
from .distances import chunk_rows, row_norms_sq, sq_dist_to_assigned, sq_distances


def sample_proportional(cumulative, size, rng):
    """Indices drawn with probability proportional to the increments of ``cumulative``.

    An index whose increment is zero is never drawn.
    """
    total = cumulative[-1]
    idx = np.searchsorted(cumulative, rng.random(size) * total, side="right")
    # A draw that rounds up to the total must still land on a row of positive weight.
    last = np.searchsorted(cumulative, total, side="left")
    return np.minimum(idx, last)


def kmeans_plusplus(X, n_clusters, sample_weight, rng, *, n_local_trials=None):
    """Greedy weighted k-means++ (Arthur & Vassilvitskii 2007, as in scikit-learn).

    Each new centre is the best of ``2 + int(log k)`` candidates drawn with probability
    proportional to weight × squared distance to the nearest centre so far; "best" means
    the lowest resulting potential (weighted sum of squared distances).

    Returns
    -------
    centers : (m, d) ndarray, m <= n_clusters
        m < n_clusters only when every weighted point already coincides with a centre.
    """
    n, d = X.shape
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    w = sample_weight
    centers = np.empty((n_clusters, d), dtype=X.dtype)
    first = sample_proportional(np.cumsum(w), 1, rng)[0]
    centers[0] = X[first]
    closest = sq_dist_to_assigned(X, centers[:1])
    x_sq = row_norms_sq(X)
    step = chunk_rows(n_local_trials, X.dtype.itemsize)
    for c in range(1, n_clusters):
        cumulative = np.cumsum(w * closest)
        if cumulative[-1] <= 0:
            return centers[:c]
        candidates = np.unique(sample_proportional(cumulative, n_local_trials, rng))
        cand_points = X[candidates]
        potentials = np.zeros(candidates.size, dtype=np.float64)
        for part in slices(n, step):
            block = sq_distances(X[part], cand_points, x_sq[part])
            np.minimum(block, closest[part, None], out=block)
            potentials += w[part] @ block
        best = candidates[np.argmin(potentials)]
        centers[c] = X[best]
        np.minimum(closest, sq_dist_to_assigned(X, centers[c : c + 1]), out=closest)
    return centers


def random_points(X, n_clusters, sample_weight, rng):
    """k distinct rows of X drawn without replacement, with probability ∝ weight.

    Uses the Gumbel-top-k trick, so the draw is one vectorised pass.
    """
    positive = np.flatnonzero(sample_weight > 0)
    keys = np.log(sample_weight[positive]) + rng.gumbel(size=positive.size)
    size = min(positive.size, 2 * n_clusters)
    while True:
        top = np.argpartition(-keys, size - 1)[:size] if size < positive.size else np.arange(size)
        top = top[np.argsort(-keys[top], kind="stable")]
        rows = X[positive[top]]
        _, first = np.unique(rows, axis=0, return_index=True)
        if first.size >= n_clusters or size == positive.size:
            return rows[np.sort(first)[:n_clusters]]
        size = min(positive.size, size * 4)


def naive_sharding(X, n_clusters, sample_weight):
    """Naive sharding: sort rows by the sum of their features, cut k shards of equal
    weight, return the weighted mean of each shard.  Deterministic.
    """
    n, d = X.shape
    order = np.argsort(X.sum(axis=1), kind="stable")
    X = X[order]
    w = sample_weight[order]
    cumulative = np.cumsum(w)
    total = cumulative[-1]
    # A row belongs to the shard that holds the midpoint of its weight interval.
    shard = np.minimum(((cumulative - 0.5 * w) / total * n_clusters).astype(np.intp), n_clusters - 1)
    counts = np.bincount(shard, weights=w, minlength=n_clusters)
    sums = np.stack(
        [np.bincount(shard, weights=w * X[:, j], minlength=n_clusters) for j in range(d)],
        axis=1,
    )
    centers = np.empty((n_clusters, d), dtype=X.dtype)
    filled = counts > 0
    centers[filled] = sums[filled] / counts[filled, None]
    # A row heavier than a whole shard leaves shards empty: seed them with that row.
    if not filled.all():
        empty = np.flatnonzero(~filled)
        at = np.searchsorted(cumulative, (empty + 0.5) / n_clusters * total)
        centers[empty] = X[np.minimum(at, n - 1)]
    return centers


def initial_centers(X, n_clusters, init, sample_weight, rng):
    """Dispatch to the seeding named ``init``: "k-means++", "random" or "sharding"."""
    if init == "k-means++":
        return kmeans_plusplus(X, n_clusters, sample_weight, rng)
    if init == "random":
        return random_points(X, n_clusters, sample_weight, rng)
    return naive_sharding(X, n_clusters, sample_weight)
