"""Weighted Lloyd iterations, the engine of every k-means here: per-cluster sums,
Hamerly's bounds (grouped as Yinyang's for many centres), empty clusters re-seeded
from the worst-served points, and a variant whose first centres stay fixed (locked
palette colours).  Any (n, d) data; nothing of images.
"""

import numpy as np

from .distances import assign, assign_with_bounds, row_norms_sq, sq_dist_to_assigned, sq_distances
from .seeding import sample_proportional


def cluster_sums(X, labels, weights, k):
    """Per-cluster weight totals (k,) and weighted feature sums (k, d)."""
    return _sums(labels, weights, X if weights is None else X * weights[:, None], k)


def _sums(labels, w, weighted, k):
    """:func:`cluster_sums` of points whose weighted values (w × X) are given."""
    counts = np.bincount(labels, weights=w, minlength=k)
    sums = np.stack([np.bincount(labels, weights=weighted[:, j], minlength=k) for j in range(weighted.shape[1])],
                    axis=1)
    return counts, sums


def _half_gaps(centers):
    """Half the distance from each centre to its nearest other centre, shape (k,)."""
    gaps = np.sqrt(sq_distances(centers, centers))
    np.fill_diagonal(gaps, np.inf)
    return 0.5 * gaps.min(axis=1)


# From this many centres on, Lloyd's bounds are kept per group of nearby centres.
_GROUPED_MIN_K = 32
_CENTRES_PER_GROUP = 10


def _groups_of(centers):
    """Groups of nearby centres (a few Lloyd steps on the centres themselves, as
    Yinyang k-means does): the permutation that makes each group consecutive and
    the index of each group's first centre in it."""
    k = len(centers)
    n_groups = max(2, k // _CENTRES_PER_GROUP)
    means = centers[np.linspace(0, k - 1, n_groups).astype(np.intp)].astype(np.float64)
    for _ in range(5):
        group = sq_distances(centers.astype(np.float64), means).argmin(axis=1)
        sizes, sums = cluster_sums(centers, group, None, n_groups)
        filled = sizes > 0
        means[filled] = sums[filled] / sizes[filled, None]
    order = np.argsort(group, kind="stable")
    present = group[order]
    return order, np.flatnonzero(np.r_[True, present[1:] != present[:-1]])


def lloyd(X, w, centers, *, max_iter, tol_abs, exact_labels=True):
    """Full-batch weighted Lloyd iterations from ``centers``, accelerated with
    Hamerly's bounds, on valid input (X centred for accuracy, w of X's dtype).

    Each iteration is an update step (weighted means, empty clusters re-seeded) followed
    by an assignment step, so the inertia never increases from one iteration to the
    next; the clusters' sums follow the points that change cluster.  The assignment
    step only recomputes distances for the points whose bounds
    (an upper bound on the distance to their centre, a lower bound on the distance to
    any other, both moved by how far the centres moved) no longer prove their label
    (Hamerly 2010), usually a small fraction after the first iterations.  From
    :data:`_GROUPED_MIN_K` centres on, the lower bound is kept per group of nearby
    centres and moved by that group's largest move only (the global filter of
    Yinyang k-means, Ding et al. 2015): with many centres, one that moves far no
    longer loosens every point's bound.  A final full assignment (skipped with
    ``exact_labels=False``) makes the returned labels exactly the nearest centres.

    Returns
    -------
    centers, labels, sq_dist, n_iter
        ``labels`` and ``sq_dist`` are None with ``exact_labels=False``.
    """
    k = centers.shape[0]
    order, starts = (_groups_of(centers) if k >= _GROUPED_MIN_K else (None, np.zeros(1, dtype=np.intp)))
    if order is not None:  # each group's centres consecutive while iterating
        centers = centers[order]
    x_sq = row_norms_sq(X)
    labels, upper, lower = assign_with_bounds(X, centers, x_sq, starts)  # lower: (groups, n)
    counts = np.bincount(labels, weights=w, minlength=k)
    if not (counts > 0).all():
        # Starting centres that serve no point (duplicates, say) are re-seeded before
        # the first step, so that no step has to undo a mean moved for their sake.
        centers = centers.copy()
        if relocate_empty(X, w, centers, counts, sq_dist_to_assigned(X, centers, labels)):
            labels, upper, lower = assign_with_bounds(X, centers, x_sq, starts)
    weighted = X * w[:, None].astype(np.float64)
    counts, sums = _sums(labels, w, weighted, k)
    total = counts.sum()
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        new_centers = centers.copy()
        filled = counts > 0
        new_centers[filled] = sums[filled] / counts[filled, None]
        reseeded = 0
        if not filled.all():
            # The worst served by the updated centres, so that a re-seeded centre never
            # lands where a mean has just moved another one.
            reseeded = relocate_empty(X, w, new_centers, counts, assign(X, new_centers[filled])[1])
        moved = np.sqrt(((new_centers - centers) ** 2).sum(axis=1))
        centers = new_centers
        upper += moved[labels]
        lower -= np.maximum.reduceat(moved, starts)[:, None]
        # A label is proven when the centre is nearer than any other could be; the
        # small margin keeps rounding from proving a label that is not.
        bound = np.maximum(lower.min(axis=0), _half_gaps(centers)[labels])
        check = np.flatnonzero(upper * (1 + 1e-6) >= bound)
        changed = 0
        if check.size:
            upper[check] = np.sqrt(sq_dist_to_assigned(X[check], centers, labels[check]))
            check = check[upper[check] * (1 + 1e-6) >= bound[check]]
        if check.size:
            new_labels, upper[check], lower[:, check] = assign_with_bounds(X[check], centers, x_sq[check], starts)
            moving = new_labels != labels[check]
            changed = int(np.count_nonzero(moving))
            if changed:  # the sums follow the points that changed cluster
                movers = check[moving]
                gone = _sums(labels[movers], w[movers], weighted[movers], k)
                came = _sums(new_labels[moving], w[movers], weighted[movers], k)
                counts += came[0] - gone[0]
                sums += came[1] - gone[1]
            labels[check] = new_labels
            if changed and (counts <= 1e-9 * total).any():  # an emptied cluster: no rounding residue
                counts, sums = _sums(labels, w, weighted, k)
        # A fixed point has no empty cluster, unless none can be re-seeded (every
        # point already sits on a centre): an emptied one is re-seeded next step.
        settled = (counts > 0).all() or (not filled.all() and reseeded == 0)
        if (float((moved**2).sum()) <= tol_abs or changed == 0) and settled:
            break
    if order is not None:
        unordered = np.empty_like(centers)
        unordered[order] = centers
        centers = unordered
    if not exact_labels:
        return centers, None, None, n_iter
    labels, sq_dist = assign(X, centers)
    return centers, labels, sq_dist, n_iter


_LOCKED_MAX_ITER = 100


def lloyd_with_fixed(features, weights, locked, k, rng, max_iter=_LOCKED_MAX_ITER):
    """k centres of which the first len(locked) stay fixed: D² seeding of the free
    ones around the locked ones, then Lloyd steps that move only the free ones."""
    centers = list(locked)
    distance = sq_distances(features, np.asarray(locked, dtype=features.dtype)).min(axis=1)
    for _ in range(k - len(locked)):  # one draw per free centre
        if not (weights * distance).any():
            break
        pick = sample_proportional(np.cumsum(weights * distance), 1, rng)[0]
        centers.append(features[pick])
        distance = np.minimum(distance, ((features - features[pick]) ** 2).sum(axis=1))
    centers = np.asarray(centers, dtype=features.dtype)
    fixed = len(locked)
    for _ in range(max_iter):
        labels, _ = assign(features, centers, with_distances=False)
        counts, sums = cluster_sums(features, labels, weights, len(centers))
        moved = centers.copy()
        free = np.arange(fixed, len(centers))[counts[fixed:] > 0]
        moved[free] = sums[free] / counts[free, None]
        if np.allclose(moved, centers, atol=1e-3):
            break
        centers = moved
    return centers


def worst_served(X, w, sq_dist, n_points):
    """Up to ``n_points`` distinct rows that contribute most to the inertia (w × d² > 0)."""
    cost = w * sq_dist
    n_positive = int(np.count_nonzero(cost > 0))
    if n_positive == 0:
        return X[:0]
    take = min(n_points, n_positive)
    top = np.argpartition(-cost, take - 1)[:take]
    top = top[np.argsort(-cost[top], kind="stable")]
    rows = X[top]
    _, first = np.unique(rows, axis=0, return_index=True)
    return rows[np.sort(first)]


def relocate_empty(X, w, centers, counts, sq_dist):
    """Move centres of empty clusters onto the worst-served points, in place.

    Returns the number of centres moved (0 when every point sits on a centre).
    """
    empty = np.flatnonzero(counts <= 0)
    if empty.size == 0:
        return 0
    points = worst_served(X, w, sq_dist, empty.size)
    centers[empty[: len(points)]] = points
    return len(points)
