"""The palette search: a start (Wu's boxes by default) refined by Lloyd iterations on
the colour histogram, from coarse bins to the exact distinct colours.

The weighted points are an image's distinct colours in the clustering space (or a
merged histogram's).  Besides the colours themselves they can be taken at coarser
resolutions (:class:`~quantize.quantization.levels.Levels`): the means of their b-bit RGB(A) bins, weighted by the
bins' pixel counts, so that every level has the same mean and a centroid computed
from bins is the exact centroid of their colours.  The search starts on a coarse
level with enough bins per cluster, converges there where steps cost least, and
each finer level starts from the coarser one's fixed point and needs a few more
steps (Hamerly's bounds make those cheap: see :func:`quantize.cluster.lloyd.lloyd`).
Bounds carry over too (:meth:`Levels.carried`): a point of a finer level takes its
bin's label, and its bin's bounds widened by its distance from the bin's mean
(triangle inequality), so no level starts with a full search.

The final labels of the distinct colours need not compute every colour's distances
(:meth:`Levels.exact_labels`): the bounds of the last Lloyd steps on the colours,
moved by how far each centre moved to its palette entry, prove most of them; without
such steps, a fine bin whose radius (from its mean to its farthest colour) is below
half the gap between its nearest and second-nearest centres has every colour nearest
the same centre, so only the colours of the other bins are assigned one by one.

``effort`` sets how far the search goes (:data:`STEPS`; measured in
bench/effort.py, docs/benchmarks.md "Effort"):

- "fast": converged on the first binned level only;
- "normal" (the default): converged on the first level, then a few Lloyd steps on
  each finer one and on the exact colours (up to :data:`EXACT_STEPS_MAX` of them);
- "thorough": k-means++ restarts besides the start, each refined as "normal" does;
  the best of them is refined further with more steps on the finer levels and the
  exact colours, and the candidate with the lowest objective (after rounding to
  palette entries) is kept, the "fast" and "normal" results among them, so it is
  never worse than either.
"""

from dataclasses import dataclass

import numpy as np

from ..cluster.distances import assign
from ..cluster.kmeans import KMeans
from ..cluster.lloyd import lloyd as lloyd_steps
from ..cluster.seeding import initial_centers

EFFORTS = ("fast", "normal", "thorough")
DEFAULT_EFFORT = "normal"
#: Most Lloyd steps on each finer binned level and on the exact colours, by effort:
#: the first level converges, the finer ones follow it from there (their slow drift
#: costs far more than it gains at "normal": measured in bench/effort.py).
STEPS = {"fast": (0, 0), "normal": (10, 3), "thorough": (50, 10)}  # thorough: for its best candidate
#: Above this many distinct colours (a noisy 100 MP image has 11 million) the Lloyd
#: steps stop at the finest bins, whose sums keep the centroids exact; the state of
#: steps on every colour would take gigabytes.  The final labels are exact anyway.
EXACT_STEPS_MAX = 1 << 21
_COARSE_ITER = 300
# Starts of the thorough search besides the given one (k-means++ draws), by k.
_RESTARTS = ((32, 8), (128, 4), (None, 2))


def lloyd(levels, points, centers, *, max_iter, tol_abs, start=None, fixed=0):
    """Weighted Lloyd steps with Hamerly's bounds until a fixed point, a step that
    moves the centres less than ``tol_abs`` (total squared distance), or
    ``max_iter`` steps; from the :class:`Assignment` ``start`` when given.  The
    first ``fixed`` centres stay where they are (locked colours).

    Returns the centres and the points' assignment to them (kept by ``levels`` when
    the points are its exact colours, for the final labels)."""
    X = points.X
    centers, assignment, _ = lloyd_steps(
        X,
        points.w.astype(X.dtype),
        centers.astype(X.dtype),
        max_iter=max_iter,
        tol_abs=tol_abs,
        start=start,
        fixed=fixed,
    )
    if points is levels.exact:
        levels.keep(centers, assignment)
    return centers, assignment


def start_centers(levels, k, *, init, rng, splits=None, locked=None):
    """k starting centres (relative to ``levels.offset``) from ``levels.start_level()``:
    Wu's boxes (``splits`` when given, to share one pass between several k) or a draw
    of the seeding ``init``; filled up from the worst-served points when the start
    has fewer than k distinct points.  ``locked`` centres come first, and the start
    draws the k - len(locked) others."""
    level = levels.start_level()
    if locked is not None and len(locked):
        free = k - len(locked)
        centers = locked.astype(level.X.dtype)
        if free:
            centers = np.concatenate([centers, start_centers(levels, free, init=init, rng=rng)])
    elif init == "wu":
        if splits is None:
            splits = levels.splits(k)
        centers = splits.centers(min(k, splits.n_boxes)).astype(level.X.dtype)
    else:
        centers = initial_centers(level.X, k, init, level.w, rng)
    while len(centers) < k:
        _, sq_dist = assign(level.X, centers)
        cost = level.w * sq_dist
        if not cost.any():  # every point is a centre already
            break
        order = np.argsort(-cost, kind="stable")[: k - len(centers)]
        centers = np.concatenate([centers, level.X[order[cost[order] > 0]]])
    return centers


def _first_stage(levels, plan, centers, *, algorithm, rng, tol_abs, fixed=0):
    """Lloyd steps to convergence on the first binned level of ``plan``, or Sculley's
    mini-batch k-means on the finest bins: the centres, and the level's
    :class:`Assignment` to them (None after mini-batch or with no plan).  Mini-batch
    has no fixed centres: with ``fixed`` ones, the Lloyd steps run instead."""
    if algorithm == "minibatch" and not fixed:
        where = plan[-1] if plan else levels.exact
        model = KMeans(
            len(centers),
            init=centers,
            algorithm="minibatch",
            polish_iter=_COARSE_ITER,
            init_size=len(where),
            random_state=rng,
        )
        return model.fit(where.X, sample_weight=where.w).cluster_centers_, None
    if not plan:
        return centers, None
    return lloyd(levels, plan[0], centers, max_iter=_COARSE_ITER, tol_abs=tol_abs, fixed=fixed)


def _finer_stages(levels, finer, first, *, coarse=None, fine_steps, exact_steps, tol_abs, fixed=0):
    """Up to ``fine_steps`` Lloyd steps on each of the ``finer`` binned levels, then
    ``exact_steps`` on the exact colours (none above :data:`EXACT_STEPS_MAX` of them);
    ``first`` is (centres, assignment of the level ``coarse``), each level starting
    from the bounds of the one before."""
    centers, assignment = first
    for level in [*finer, levels.exact]:
        if level is levels.exact and len(levels) > EXACT_STEPS_MAX:
            break
        start = None if assignment is None else levels.carried(coarse, assignment, level)
        steps = fine_steps if level is not levels.exact else exact_steps
        centers, assignment = lloyd(levels, level, centers, max_iter=steps, tol_abs=tol_abs, start=start, fixed=fixed)
        coarse = level
    return centers


def _refined(levels, centers, *, effort, algorithm, rng, tol_abs, first=None, fixed=0):
    """Centres refined from ``centers`` as far as ``effort`` goes (``first``: the
    result of the first stage from them, when already made)."""
    plan = levels.plan(len(centers))
    if first is None:
        first = _first_stage(levels, plan, centers, algorithm=algorithm, rng=rng, tol_abs=tol_abs, fixed=fixed)
    if effort == "fast" and plan:
        return first[0]
    fine_steps, exact_steps = STEPS[effort]
    # mini-batch ran on the finest bins already; with no bins, the colours converge
    finer = plan[1:] if algorithm == "lloyd" or fixed else []
    return _finer_stages(
        levels,
        finer,
        first,
        coarse=plan[0] if plan else None,
        fine_steps=fine_steps,
        exact_steps=exact_steps if plan else _COARSE_ITER,
        tol_abs=tol_abs,
        fixed=fixed,
    )


def search(
    levels, k, *, init="wu", algorithm="lloyd", effort=DEFAULT_EFFORT, rng=None, splits=None, rounded=None, locked=None
):
    """k centres for the levels' points (fewer only when there are fewer distinct
    points), in the levels' centred coordinates (add ``levels.offset``).

    Parameters
    ----------
    levels : Levels
    k : int >= 1
    init : {"wu", "k-means++", "random", "sharding"}
    algorithm : {"lloyd", "minibatch"}
        "minibatch" runs Sculley's mini-batch k-means on the finest bins instead of
        the Lloyd steps on the binned levels.
    effort : {"fast", "normal", "thorough"}
    rng : numpy.random.Generator
        Used by the random inits, mini-batch and the thorough restarts only.
    splits : WuSplits, optional
        Wu's boxes of ``levels.start_level()`` for some k_max >= k, shared between
        calls.
    rounded : callable, optional
        Maps centres (in feature space) to the values they will take (palette
        entries are rounded): the thorough search compares its candidates by the
        objective of those.
    locked : (m, d) ndarray, m <= k, optional
        Centres (relative to ``levels.offset``) that stay fixed: the result's first
        m rows, whatever the start, algorithm and effort (locked palette colours).

    Returns
    -------
    (k', d) ndarray of float32, k' <= k
    """
    tol_abs = levels.tolerance
    fixed = 0 if locked is None else len(locked)
    start = start_centers(levels, k, init=init, rng=rng, splits=splits, locked=locked)
    if effort != "thorough":
        return _refined(levels, start, effort=effort, algorithm=algorithm, rng=rng, tol_abs=tol_abs, fixed=fixed)

    def score(centers):  # the objective of the palette the centres become
        settled = centers if rounded is None else rounded(centers + levels.offset) - levels.offset
        return levels.objective(settled)[0]

    # With Lloyd steps "fast" and "normal" share their first stage, deterministic: one
    # run of it serves both.  (Mini-batch draws anew for each, from the one stream.)
    first = None
    if algorithm == "lloyd" or fixed:
        first = _first_stage(levels, levels.plan(k), start, algorithm=algorithm, rng=rng, tol_abs=tol_abs, fixed=fixed)
    candidates = [
        _refined(levels, start, effort=level, algorithm=algorithm, rng=rng, tol_abs=tol_abs, first=first, fixed=fixed)
        for level in ("fast", "normal")
    ]
    n_restarts = next(n for limit, n in _RESTARTS if limit is None or k <= limit)
    for stream in rng.spawn(n_restarts):
        restart = start_centers(levels, k, init="k-means++", rng=stream, locked=locked)
        candidates.append(
            _refined(levels, restart, effort="normal", algorithm=algorithm, rng=stream, tol_abs=tol_abs, fixed=fixed)
        )
    scores = [score(centers) for centers in candidates]
    best = candidates[int(np.argmin(scores))]
    if algorithm != "minibatch" or fixed:  # the best, further: more steps on the finer levels and the colours
        fine_steps, exact_steps = STEPS["thorough"]
        further = _finer_stages(
            levels,
            levels.plan(k)[1:],
            (best, None),
            fine_steps=fine_steps,
            exact_steps=exact_steps,
            tol_abs=tol_abs,
            fixed=fixed,
        )
        candidates.append(further)
        scores.append(score(further))
    return candidates[int(np.argmin(scores))]


@dataclass(frozen=True)
class Search:
    """How the palette search goes: its start, its k-means variant and its effort
    (checked by the settings that make it; see :func:`search`)."""

    init: str = "wu"
    algorithm: str = "lloyd"
    effort: str = DEFAULT_EFFORT


def cluster_colors(levels, k, how=Search(), *, rng=None, splits=None, rounded=None, locked=None):
    """k centres, in feature space, for the weighted distinct colours of ``levels``
    (fewer only when there are fewer distinct colours): :func:`search` as ``how``
    says, back in the colours' coordinates.

    Parameters are those of :func:`search`.

    Returns
    -------
    (k', d) ndarray of float32, k' <= k
    """
    if locked is not None:
        locked = (locked - levels.offset).astype(np.float32)
    return (
        search(
            levels,
            k,
            init=how.init,
            algorithm=how.algorithm,
            effort=how.effort,
            rng=rng,
            splits=splits,
            rounded=rounded,
            locked=locked,
        )
        + levels.offset
    )
