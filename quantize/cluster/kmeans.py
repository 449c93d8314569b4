"""K-means clustering of any (n, d) data: mini-batch (Sculley 2010) and Lloyd.

This module knows nothing of images; the image pipeline feeds it a colour histogram
(distinct colours weighted by their pixel counts), tabular users feed it their table.
"""

import warnings

import numpy as np
from numpy.typing import ArrayLike

from .._parallel import blas_on_one_thread, thread_map
from .._validation import (
    RandomState,
    check_array,
    check_choice,
    check_float,
    check_int,
    check_random_state,
    check_sample_weight,
)
from ..errors import FewDistinctPointsWarning, InvalidParameterError, NotFittedError
from .distances import assign, sq_dist_to_assigned, sq_distances
from .lloyd import cluster_sums, lloyd, relocate_empty, worst_served
from .seeding import initial_centers, sample_proportional
from .wu import MAX_FEATURES as WU_MAX_FEATURES
from .wu import wu_centers

INITS = ("k-means++", "random", "sharding", "wu")
#: Runs by init for n_init="auto": the random ones need several (see KMeans).
_AUTO_N_INIT = {"random": 10, "k-means++": 5}
_AUTO_N_INIT_MAX_SAMPLES = 100_000
ALGORITHMS = ("minibatch", "lloyd")


def _tolerance(X, w, tol):
    """Absolute tolerance: ``tol`` times the mean weighted variance of the features."""
    if tol == 0:
        return 0.0
    mean = w @ X / w.sum()
    variance = w @ ((X - mean) ** 2) / w.sum()
    return float(variance.mean() * tol)


def _power_of_two_scale(X):
    """A power of two that brings the largest magnitude of X near 1 when its squares
    (summed over features and points) could overflow or underflow; 1.0 otherwise."""
    largest = float(np.abs(X).max())
    info = np.finfo(X.dtype)
    safe_high = np.sqrt(info.max / (16.0 * X.shape[0] * X.shape[1]))
    safe_low = np.sqrt(info.tiny) / info.eps
    if largest == 0 or safe_low <= largest <= safe_high:
        return 1.0
    return float(2.0 ** np.round(np.log2(largest)))


def _weight_exponent(w):
    """The power of two (its exponent) that brings the largest weight near 1 when their
    sum (or a weighted sum of squares) could overflow; 0 otherwise.  Centres do not
    depend on the weights' scale, and a power of two changes no rounding."""
    largest = float(w.max())
    if largest <= np.finfo(w.dtype).max / (1 << 40) / w.shape[0]:
        return 0
    return int(np.ceil(np.log2(largest)))


def _minibatch(X, w, centers, rng, *, batch_size, max_steps, max_no_improvement, tol_abs):
    """Sculley's mini-batch k-means, vectorised per batch.

    Batches are drawn with probability proportional to weight, so every drawn point
    counts once.  A centre's learning rate is 1 / (points it has absorbed so far); for a
    whole batch that gives c ← c + (S − m c) / v, where m points with sum S joined it
    and v is its new count.  Stops early when the exponentially smoothed batch inertia
    has not improved for ``max_no_improvement`` batches, or when the centres moved less
    than ``tol_abs`` in one batch.
    """
    n, k = X.shape[0], centers.shape[0]
    centers = centers.copy()
    cumulative = np.cumsum(w)
    seen = np.zeros(k, dtype=np.float64)
    alpha = min(1.0, 2.0 * batch_size / (n + 1))
    smoothed, best, stale = None, np.inf, 0
    step = 0
    for step in range(1, max_steps + 1):  # noqa: B007 (the steps taken are returned)
        batch = X[sample_proportional(cumulative, batch_size, rng)]
        labels, sq_dist = assign(batch, centers)
        counts, sums = cluster_sums(batch, labels, None, k)
        hit = counts > 0
        seen[hit] += counts[hit]
        delta = (sums[hit] - counts[hit, None] * centers[hit]) / seen[hit, None]
        centers[hit] += delta.astype(centers.dtype)
        if tol_abs > 0 and float((delta**2).sum()) <= tol_abs:
            break
        batch_inertia = float(sq_dist.mean())
        smoothed = batch_inertia if smoothed is None else (1 - alpha) * smoothed + alpha * batch_inertia
        if smoothed < best:
            best, stale = smoothed, 0
        else:
            stale += 1
            if stale >= max_no_improvement:
                break
    return centers, step


def _finalize(X, w, centers, labels, sq_dist):
    """Make sure no cluster is empty; drop the ones that cannot be filled.

    A cluster can stay empty only when every weighted point already sits exactly on a
    centre, i.e. X has fewer distinct points than clusters.  Those clusters are dropped.
    """
    k = centers.shape[0]
    for _ in range(3):
        counts = np.bincount(labels, weights=w, minlength=k)
        if (counts > 0).all() or relocate_empty(X, w, centers, counts, sq_dist) == 0:
            break
        labels, sq_dist = assign(X, centers)
    counts = np.bincount(labels, weights=w, minlength=k)
    if not (counts > 0).all():
        centers = centers[counts > 0]
        labels, sq_dist = assign(X, centers)
    return centers, labels, sq_dist


class KMeans:
    """K-means clustering with mini-batch or Lloyd iterations and k-means++ seeding.

    Parameters
    ----------
    n_clusters : int, default 8
        Number of clusters k, 1 <= k <= n_samples.
    init : {"k-means++", "random", "sharding", "wu"} or (k, d) array-like, default "k-means++"
        "k-means++": greedy weighted k-means++ with 2 + int(log k) trials per centre.
        "random": k distinct rows drawn with probability proportional to weight.
        "sharding": rows sorted by the sum of their features, cut into k shards of equal
        weight, the shard means (deterministic).  "wu": the box means of Wu's greedy
        orthogonal bipartition (:mod:`quantize.cluster.wu`; at most 4 features,
        deterministic), the start that colour quantisation uses by default.  An array
        gives the centres directly.
    algorithm : {"lloyd", "minibatch"}, default "lloyd"
        "lloyd": full-batch Lloyd iterations to convergence (as scikit-learn's default),
        with Hamerly's bounds to skip the distances that cannot change a label.
        "minibatch": Sculley's mini-batch k-means on batches drawn proportionally to
        weight, followed by up to ``polish_iter`` full Lloyd iterations (which turn the
        noisy mini-batch result into a Lloyd fixed point in a few passes): for data too
        large for full passes.
    n_init : int or "auto", default "auto"
        Number of runs from different seeds; the one with the lowest inertia is kept.
        "auto" is 10 for init="random"; for "k-means++" 5 up to 100,000 samples and 1
        above (where a run costs seconds and runs differ less); 1 for the deterministic
        inits and arrays (they give the same start every run).  One k-means++ draw
        often ends in a poor local minimum: over 10 seeds, one run was up to 15 % worse
        than scikit-learn's default on its own data sets (wine, k = 7); five were at
        least as good on every data set and k = 2..16 (bench/vs_sklearn.py).  Each run draws from its own
        stream spawned from ``random_state`` and runs may share the threads (see
        :mod:`quantize._parallel`): the result does not depend on the thread count.
    max_iter : int, default 300
        Lloyd: maximum iterations.  Mini-batch: maximum number of epochs (a pass's worth of
        batches, n_samples / batch_size) before the polish.
    tol : float, default 1e-4
        Convergence tolerance on the squared movement of the centres, relative to the
        mean variance of the features (as in scikit-learn).  Lloyd also stops when no
        label changes.
    batch_size : int, default 1024
        Points per mini-batch.
    max_no_improvement : int, default 10
        Mini-batch early stop: batches without improvement of the smoothed batch inertia.
    polish_iter : int, default 10
        Maximum number of Lloyd iterations after the mini-batch phase (0: none).
    init_size : int or None, default None
        Mini-batch only: number of points (drawn proportionally to weight) the
        initialisation sees; None means max(3 × batch_size, 3 × k).
    random_state : None, int or numpy.random.Generator
        Seeds the one Generator used for everything random; the same value gives the
        identical result.

    Attributes
    ----------
    cluster_centers_ : (n_clusters_, d) ndarray
    labels_ : (n,) ndarray of intp
    inertia_ : float
        Weighted sum of squared distances of the samples to their centres.
    n_iter_ : int
        Lloyd iterations of the best run (for "minibatch": the polish iterations).
    n_steps_ : int
        Mini-batch steps of the best run (0 for "lloyd").
    n_clusters_ : int
        Number of real clusters: ``n_clusters`` unless X has fewer distinct points of
        positive weight, in which case those points are the centres and a
        :class:`~quantize.errors.FewDistinctPointsWarning` is issued.
    n_features_in_ : int

    Guarantees
    ----------
    - At most ``n_clusters`` centres, none NaN, none with zero weight.
    - Every label is the index of the nearest centre.
    - Same data, parameters and ``random_state`` give the identical result.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: str | ArrayLike = "k-means++",
        algorithm: str = "lloyd",
        n_init: int | str = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        batch_size: int = 1024,
        max_no_improvement: int = 10,
        polish_iter: int = 10,
        init_size: int | None = None,
        random_state: RandomState = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.algorithm = algorithm
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.max_no_improvement = max_no_improvement
        self.polish_iter = polish_iter
        self.init_size = init_size
        self.random_state = random_state

    def __repr__(self):
        params = ", ".join(
            f"{name}={value!r}"
            for name, value in vars(self).items()
            if not name.endswith("_") and not name.startswith("_")
        )
        return f"KMeans({params})"

    def _check_params(self, X):
        n, d = X.shape
        k = check_int(self.n_clusters, "n_clusters", low=1)
        if k > n:
            raise InvalidParameterError(f"n_clusters={k} is larger than the number of samples n_samples={n}")
        if isinstance(self.init, str):
            check_choice(self.init, "init", INITS)
            init = self.init
            if init == "wu" and d > WU_MAX_FEATURES:
                raise InvalidParameterError(
                    f"init='wu' takes at most {WU_MAX_FEATURES} features; X has {d} (use 'k-means++')"
                )
        else:
            init = check_array(self.init, "init").astype(X.dtype)
            if init.shape != (k, d):
                raise InvalidParameterError(
                    f"init array has shape {init.shape}; expected (n_clusters, n_features) = ({k}, {d})"
                )
        check_choice(self.algorithm, "algorithm", ALGORITHMS)
        if self.n_init == "auto":
            n_init = _AUTO_N_INIT.get(init, 1) if isinstance(init, str) else 1
            if isinstance(init, str) and init == "k-means++" and n > _AUTO_N_INIT_MAX_SAMPLES:
                n_init = 1
        else:
            n_init = check_int(self.n_init, "n_init", low=1)
        check_int(self.max_iter, "max_iter", low=1)
        check_float(self.tol, "tol", low=0)
        check_int(self.batch_size, "batch_size", low=1)
        check_int(self.max_no_improvement, "max_no_improvement", low=1)
        check_int(self.polish_iter, "polish_iter", low=0)
        if self.init_size is not None:
            check_int(self.init_size, "init_size", low=1)
        return k, init, n_init

    def _init_centers(self, X, w, k, init, rng):
        if not isinstance(init, str):
            return init.copy()
        if init == "wu":
            return wu_centers(X, k, sample_weight=w).astype(X.dtype)
        if self.algorithm == "minibatch" and init != "sharding":
            size = self.init_size or max(3 * self.batch_size, 3 * k)
            if size < X.shape[0]:
                idx, counts = np.unique(sample_proportional(np.cumsum(w), size, rng), return_counts=True)
                X, w = X[idx], counts.astype(w.dtype)
        return initial_centers(X, k, init, w, rng)

    def _fit_once(self, X, w, k, init, tol_abs, rng):
        centers = self._init_centers(X, w, k, init, rng)
        if centers.shape[0] < k:
            # The seeding ran out of distinct points: fill the rest from the worst-served
            # points of the whole data (there are none when X itself is degenerate).
            _, sq_dist = assign(X, centers)
            extra = worst_served(X, w, sq_dist, k - centers.shape[0])
            centers = np.concatenate([centers, extra]) if len(extra) else centers
        n_steps = 0
        if self.algorithm == "minibatch":
            batch_size = min(self.batch_size, X.shape[0])  # no batch larger than the data
            max_steps = self.max_iter * -(-X.shape[0] // batch_size)
            centers, n_steps = _minibatch(
                X,
                w,
                centers,
                rng,
                batch_size=batch_size,
                max_steps=max_steps,
                max_no_improvement=self.max_no_improvement,
                tol_abs=tol_abs,
            )
            max_iter = self.polish_iter
        else:
            max_iter = self.max_iter
        centers, assignment, n_iter = lloyd(X, w, centers, max_iter=max_iter, tol_abs=tol_abs)
        labels = assignment.labels
        centers, labels, sq_dist = _finalize(X, w, centers, labels, sq_dist_to_assigned(X, centers, labels))
        return centers, labels, float(w @ sq_dist), n_iter, n_steps

    @blas_on_one_thread()
    def fit(self, X: ArrayLike, sample_weight: ArrayLike | None = None) -> "KMeans":
        """Compute the clustering.

        Parameters
        ----------
        X : (n, d) array-like of float
        sample_weight : (n,) array-like of non-negative float, optional
            A row with weight w counts as w identical rows (a colour histogram's counts).

        Returns
        -------
        self
        """
        X = check_array(X)
        w = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        k, init, n_init = self._check_params(X)
        rng = check_random_state(self.random_state)
        # Squares of values near the float limits overflow (or underflow to 0): such
        # data is scaled by a power of two, which is exact, so the fit is the same.
        scale, exponent = _power_of_two_scale(X), _weight_exponent(w)
        if scale != 1.0:
            X = X / scale
            if not isinstance(init, str):
                init = init / scale
        if exponent:
            w = np.ldexp(w, -exponent).astype(w.dtype)
        # Centring keeps ||x||² small, which keeps the distance expansion accurate.
        offset = (w @ X / w.sum()).astype(X.dtype)
        Xc = X - offset
        if not isinstance(init, str):
            init = init - offset
        tol_abs = _tolerance(Xc, w, self.tol)
        # One independent stream per run, so the runs can go to threads and still give
        # the same result whatever the number of threads.
        runs = thread_map(lambda stream: self._fit_once(Xc, w, k, init, tol_abs, stream), rng.spawn(n_init))
        centers, labels, inertia, n_iter, n_steps = min(runs, key=lambda run: run[2])
        if centers.shape[0] < k:
            warnings.warn(
                f"X has only {centers.shape[0]} distinct points with positive weight, "
                f"fewer than n_clusters={k}; they are returned as the "
                f"{centers.shape[0]} cluster centres (n_clusters_={centers.shape[0]})",
                FewDistinctPointsWarning,
                stacklevel=2,
            )
        self._offset, self._scale = offset, scale
        self.cluster_centers_ = (centers + offset) * scale
        self.labels_ = labels
        with np.errstate(over="ignore"):  # inf when the true value is beyond float64
            self.inertia_ = float(np.ldexp(np.float64(inertia) * scale * scale, exponent))
        self.n_iter_ = n_iter
        self.n_steps_ = n_steps
        self.n_clusters_ = centers.shape[0]
        self.n_features_in_ = X.shape[1]
        return self

    def _check_fitted_X(self, X):
        if not hasattr(self, "cluster_centers_"):
            raise NotFittedError("this KMeans instance is not fitted yet; call fit first")
        X = check_array(X)
        if X.shape[1] != self.n_features_in_:
            raise InvalidParameterError(
                f"X has {X.shape[1]} features, but KMeans was fitted with {self.n_features_in_}"
            )
        dtype = self.cluster_centers_.dtype
        return X.astype(
            dtype, copy=False
        ) / self._scale - self._offset, self.cluster_centers_ / self._scale - self._offset

    @blas_on_one_thread()
    def predict(self, X: ArrayLike) -> np.ndarray:
        """Index of the nearest centre for each row of X, shape (n,)."""
        Xc, centers = self._check_fitted_X(X)
        return assign(Xc, centers)[0]

    def fit_predict(self, X: ArrayLike, sample_weight: ArrayLike | None = None) -> np.ndarray:
        """``fit(X, sample_weight).labels_``."""
        return self.fit(X, sample_weight).labels_

    @blas_on_one_thread()
    def transform(self, X: ArrayLike) -> np.ndarray:
        """Euclidean distance of each row of X to each centre, shape (n, n_clusters_)."""
        Xc, centers = self._check_fitted_X(X)
        return np.sqrt(sq_distances(Xc, centers)) * self._scale

    def score(self, X: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Opposite of the weighted inertia of X against the fitted centres (higher is better)."""
        Xc, centers = self._check_fitted_X(X)
        w = check_sample_weight(sample_weight, Xc.shape[0], Xc.dtype)
        return -float(w @ assign(Xc, centers)[1]) * self._scale * self._scale
