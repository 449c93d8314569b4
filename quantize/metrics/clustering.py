"""Quality of clusterings: inertia, silhouette, Davies–Bouldin and Dunn of any (n, d)
data, and Rand, adjusted Rand and pair F-measure against a true labelling."""

import numpy as np
from numpy.typing import ArrayLike

from .._parallel import map_slices
from .._validation import RandomState, weights_or_ones
from ..errors import InvalidParameterError


def adjusted_rand_index(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985) of two labellings of the same points.

    Counts the pairs of points both labellings put together or apart, corrected for
    chance.  1 for identical partitions (whatever the label names), about 0 for random
    ones, and it can go slightly negative.

    Parameters
    ----------
    labels_true, labels_pred : (n,) array-like of int or str
    """
    index, rows, cols, total = _pair_counts(labels_true, labels_pred)
    expected = rows * cols / total if total else 0.0
    maximum = (rows + cols) / 2
    if maximum == expected:  # both labellings trivial (one cluster, or all singletons)
        return 1.0
    return (index - expected) / (maximum - expected)


def inertia(X: ArrayLike, labels: ArrayLike, centers: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Weighted sum of squared distances from each point to its centre (k-means' objective).

    Parameters
    ----------
    X : (n, d) array;  labels : (n,) int array;  centers : (k, d) array
    sample_weight : (n,) array, optional

    Returns
    -------
    float, >= 0; lower is tighter.  It always falls as k grows, so it chooses k only
    through the shape of its curve (the elbow).
    """
    X = np.asarray(X, dtype=np.float64)
    diff = X - np.asarray(centers, dtype=np.float64)[np.asarray(labels)]
    return float(weights_or_ones(sample_weight, len(X)) @ np.einsum("ij,ij->i", diff, diff))


def _pairwise(X):
    sq = np.einsum("ij,ij->i", X, X)
    return np.sqrt(np.maximum(sq[:, None] - 2 * X @ X.T + sq[None, :], 0.0))


def _sample(n, sample_weight, sample_size, random_state):
    """Indices of up to ``sample_size`` points drawn with probability proportional to
    weight (a uniform sample of the pixels a histogram stands for), or of all points
    if unweighted and few enough."""
    if sample_weight is None and n <= sample_size:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    p = None if sample_weight is None else np.asarray(sample_weight, np.float64) / np.sum(sample_weight)
    return rng.choice(n, size=sample_size, replace=p is not None, p=p)


class SilhouetteSample:
    """Silhouettes of several labellings of the same points on one weighted sample.

    The sample and its pairwise distances are computed once, so scoring one
    labelling more (one per k, in :func:`quantize.quantization.choose_k.suggest_k`) costs one
    matrix product.  Parameters are those of :func:`silhouette_score`.
    """

    def __init__(
        self,
        X: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        sample_size: int | None = 2000,
        random_state: RandomState = 0,
    ) -> None:
        X = np.asarray(X, dtype=np.float64)
        self.index = _sample(len(X), sample_weight, sample_size, random_state)
        self.distances = _pairwise(X[self.index]).astype(np.float32)

    def score(self, labels: ArrayLike) -> float:
        """Mean silhouette of ``labels`` (one per point of X) on the sample."""
        _, labels = np.unique(np.asarray(labels)[self.index], return_inverse=True)
        labels = labels.reshape(-1)
        k = labels.max() + 1 if labels.size else 0
        if k < 2:
            return 0.0
        n = len(labels)
        onehot = np.zeros((n, k), dtype=np.float32)
        onehot[np.arange(n), labels] = 1.0
        sums = (self.distances @ onehot).astype(np.float64)  # distance from each point to each cluster
        sizes = np.bincount(labels, minlength=k).astype(np.float64)
        own = sizes[labels] - 1
        a = np.where(own > 0, sums[np.arange(n), labels] / np.maximum(own, 1), 0.0)
        means = sums / sizes
        means[np.arange(n), labels] = np.inf
        b = means.min(axis=1)
        score = np.where(own > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
        return float(score.mean())


def silhouette_score(
    X: ArrayLike,
    labels: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    sample_size: int | None = 2000,
    random_state: RandomState = 0,
) -> float:
    """Mean silhouette (Rousseeuw 1987): for each point, (b - a) / max(a, b), where a is
    its mean distance to its own cluster and b to the nearest other cluster.

    Computed on ``sample_size`` points drawn by weight (exact for unweighted data of at
    most that many points), so its cost is sample_size² whatever the image size; 2000
    points give about ±0.01.  :class:`SilhouetteSample` scores several labellings
    on one sample.

    Returns
    -------
    float in [-1, 1]; higher means tighter, better separated clusters.  Points alone
    in their cluster score 0; 0 when there is a single cluster.
    """
    sample = SilhouetteSample(X, sample_weight=sample_weight, sample_size=sample_size, random_state=random_state)
    return sample.score(labels)


def _compact(labels):
    """Labels renumbered 0..m-1 in order, m the number of distinct ones: np.unique's
    inverse for non-negative integers, by counting instead of sorting."""
    labels = np.asarray(labels)
    if labels.size == 0 or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        return np.unique(labels, return_inverse=True)[1].reshape(-1)
    present = np.bincount(labels) > 0
    return (np.cumsum(present) - 1)[labels]


def davies_bouldin_score(X: ArrayLike, labels: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Davies–Bouldin index: the mean over clusters of max_j (s_i + s_j) / d(c_i, c_j),
    with s the mean distance of a cluster's points to its centroid.

    Returns
    -------
    float >= 0; lower is better (0 for point-like clusters).
    """
    X = np.asarray(X)
    labels = _compact(labels)
    w = weights_or_ones(sample_weight, len(X))
    k = labels.max() + 1 if labels.size else 0
    if k < 2:
        return 0.0
    totals = np.bincount(labels, weights=w, minlength=k)
    centroids = np.stack([np.bincount(labels, weights=w * X[:, j], minlength=k) for j in range(X.shape[1])], 1)
    centroids = centroids / totals[:, None]
    offsets = X - centroids[labels]
    spread = np.bincount(labels, weights=w * np.sqrt(np.einsum("ij,ij->i", offsets, offsets)), minlength=k) / totals
    gaps = _pairwise(centroids)
    np.fill_diagonal(gaps, np.inf)
    ratios = (spread[:, None] + spread[None, :]) / gaps
    return float(ratios.max(axis=1).mean())


#: Points up to which :func:`dunn_index` is exact (every pair, in chunks of rows):
#: 20,000 points are 2e8 distances, about a second.
DUNN_EXACT_MAX = 20_000
_DUNN_CHUNK = 256


def dunn_index(
    X: ArrayLike,
    labels: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    sample_size: int | None = None,
    random_state: RandomState = 0,
) -> float:
    """Dunn index: the smallest distance between points of different clusters over the
    largest distance within a cluster.

    Weights do not change it (a point's weight changes neither distance), so the
    points of positive weight are taken once each.  Exact (every pair, in chunks of
    rows) up to :data:`DUNN_EXACT_MAX` points, or ``sample_size`` when given; above
    that, on a uniform sample of that many points, whose value can only be *larger*
    than the exact one (a sample's smallest separation is no smaller, and its largest
    diameter no larger): an upper bound.

    Returns
    -------
    float >= 0; higher is better (compact, well-separated clusters).  0 with one cluster.
    """
    X, labels = np.asarray(X, dtype=np.float64), np.asarray(labels)
    if sample_weight is not None:
        keep = np.asarray(sample_weight) > 0
        X, labels = X[keep], labels[keep]
    limit = DUNN_EXACT_MAX if sample_size is None else sample_size
    if len(X) > limit:
        pick = np.random.default_rng(random_state).choice(len(X), size=limit, replace=False)
        X, labels = X[pick], labels[pick]
    if len(np.unique(labels)) < 2:
        return 0.0
    sq = np.einsum("ij,ij->i", X, X)

    def extremes(rows):
        d2 = np.maximum(sq[rows, None] - 2 * X[rows] @ X.T + sq[None, :], 0.0)
        same = labels[rows, None] == labels[None, :]
        return d2[same].max(), d2[~same].min(initial=np.inf)

    found = map_slices(extremes, len(X), _DUNN_CHUNK)
    diameter = np.sqrt(max(d for d, _ in found))
    separation = np.sqrt(min(s for _, s in found))
    return float(separation / diameter) if diameter > 0 else float("inf")


def _pair_counts(labels_true, labels_pred):
    """Pairs together in both, in the truth, in the prediction; and all pairs."""
    labels_true, labels_pred = np.asarray(labels_true), np.asarray(labels_pred)
    if labels_true.shape != labels_pred.shape or labels_true.ndim != 1:
        raise InvalidParameterError("labellings must be 1-D and of the same length")
    _, a = np.unique(labels_true, return_inverse=True)
    _, b = np.unique(labels_pred, return_inverse=True)
    n_b = b.max() + 1 if b.size else 0

    def pairs(counts):
        counts = counts.astype(np.float64)
        return float((counts * (counts - 1) / 2).sum())

    n = labels_true.size
    return pairs(np.bincount(a * n_b + b)), pairs(np.bincount(a)), pairs(np.bincount(b)), n * (n - 1) / 2


def rand_index(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """Rand index: the share of point pairs on which two labellings agree (both
    together or both apart).  In [0, 1]; 1 for identical partitions."""
    both, truth, pred, total = _pair_counts(labels_true, labels_pred)
    return 1.0 if total == 0 else (total + 2 * both - truth - pred) / total


def pair_f_measure(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """Pair-counting F-measure: harmonic mean of the precision and recall of "this pair
    is in one cluster".  In [0, 1]; 1 for identical partitions."""
    both, truth, pred, _ = _pair_counts(labels_true, labels_pred)
    return 1.0 if truth + pred == 0 else 2 * both / (truth + pred)
