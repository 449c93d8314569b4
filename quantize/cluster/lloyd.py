"""Weighted Lloyd iterations, the engine of every k-means here: per-cluster sums,
Hamerly's bounds, empty clusters re-seeded from the worst-served points, and a
option to keep the first centres fixed (locked palette colours).  Any (n, d) data;
nothing of images.  The passes over the points are compiled
(``quantize.cluster._lloyd``); the loop and its decisions are here.
"""

from dataclasses import dataclass

import numpy as np

from .._cancel import check
from .._compiled import kernel
from .._parallel import get_num_threads
from .distances import assign, assign_with_bounds, sq_dist_to_assigned


def cluster_sums(X, labels, weights, k):
    """Per-cluster weight totals (k,) and weighted feature sums (k, d), in float64
    (weights of 1 when ``weights`` is None), added in the order of the points."""
    w = np.ones(len(X)) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    return kernel("cluster._lloyd").cluster_sums(
        np.ascontiguousarray(X), w, np.ascontiguousarray(labels, dtype=np.intp), k
    )


@dataclass
class Assignment:
    """Every point's nearest centre and Hamerly's bounds on its distances: ``upper``
    from above to its own centre, ``lower`` from below to any other (float64).

    Valid for some centres; :meth:`settle`, told how far each centre moved, makes it
    valid (and its labels exact) for the new centres, whatever they are.
    """

    labels: np.ndarray
    upper: np.ndarray
    lower: np.ndarray

    @classmethod
    def exact(cls, X, centers):
        """Labels and tight bounds from a full search."""
        return cls(*assign_with_bounds(X, centers))

    def settle(self, X, centers, moved=None):
        """Exact labels for ``centers`` after each moved by ``moved`` (k,) from the
        centres the assignment was valid for (none: it is valid for them), in place:
        only the points whose bounds no longer prove their label are searched.

        Returns the number of labels that changed.
        """
        threads = get_num_threads()
        if moved is None:
            moved = np.zeros(len(centers))
        searched = kernel("cluster._nearest").SortedCentres(centers, threads)
        return kernel("cluster._lloyd").bounded_step(
            np.ascontiguousarray(X),
            searched,
            self.labels,
            self.upper,
            self.lower,
            moved,
            float(moved.max(initial=0.0)),
            searched.half_gaps,
            threads,
        )


def lloyd(X, w, centers, *, max_iter, tol_abs, start=None, fixed=0):
    """Full-batch weighted Lloyd iterations from ``centers``, accelerated with
    Hamerly's bounds, on valid input (X centred for accuracy, w of X's dtype).

    Each iteration is an update step (weighted means, empty clusters re-seeded) followed
    by an assignment step, so the inertia never increases from one iteration to the
    next.  The assignment step only computes distances again for the points whose
    bounds (an upper bound on the distance to their centre, a lower bound on the
    distance to any other, both moved by how far the centres moved) no longer prove
    their label (Hamerly 2010): usually a small fraction after the first iterations.
    Bounds that hold prove the nearest centre, so the labels of each step are exact.

    ``start``, an :class:`Assignment` valid for ``centers`` (bounds carried over from
    coarser points, say), replaces the first full search; it is updated in place.
    The first ``fixed`` centres never move (locked palette colours): they take their
    points but keep their place, and are not re-seeded when no point is theirs.

    Returns
    -------
    centers, assignment, n_iter
        ``assignment`` holds the exact labels of the returned centres, and bounds.
    """
    steps = kernel("cluster._lloyd")
    k = centers.shape[0]
    X = np.ascontiguousarray(X)
    w64 = np.ascontiguousarray(w, dtype=np.float64)
    if start is None:
        state = Assignment.exact(X, centers)
    else:
        state = start
        state.settle(X, centers)
    counts, sums = steps.cluster_sums(X, w64, state.labels, k)
    counts[:fixed] = 1.0  # a fixed centre is never empty: it is neither moved nor re-seeded
    if not (counts > 0).all():
        # Starting centres that serve no point (duplicates, say) are re-seeded before
        # the first step, so that no step has to undo a mean moved for their sake.
        centers = centers.copy()
        if relocate_empty(X, w, centers, counts, sq_dist_to_assigned(X, centers, state.labels)):
            state = Assignment.exact(X, centers)
            counts, sums = steps.cluster_sums(X, w64, state.labels, k)
            counts[:fixed] = 1.0
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the iterations run are returned)
        check()  # a caller that gave up (the preview's slider moved on) stops here
        new_centers = centers.copy()
        filled = counts > 0
        moving = filled.copy()
        moving[:fixed] = False
        new_centers[moving] = sums[moving] / counts[moving, None]
        reseeded = 0
        if not filled.all():
            # The worst served by the updated centres, so that a re-seeded centre never
            # lands where a mean has just moved another one.
            reseeded = relocate_empty(X, w, new_centers, counts, assign(X, new_centers[filled])[1])
        moved = np.sqrt(((new_centers.astype(np.float64) - centers) ** 2).sum(axis=1))
        centers = new_centers
        changed = state.settle(X, centers, moved)
        if changed:
            counts, sums = steps.cluster_sums(X, w64, state.labels, k)
            counts[:fixed] = 1.0
        # A fixed point has no empty cluster, unless none can be re-seeded (every
        # point already sits on a centre): an emptied one is re-seeded next step.
        settled = (counts > 0).all() or (not filled.all() and reseeded == 0)
        if (float((moved**2).sum()) <= tol_abs or changed == 0) and settled:
            break
    return centers, state, n_iter


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
