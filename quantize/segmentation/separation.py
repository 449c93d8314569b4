"""Clusters of a noisy image that its noise cannot tell apart, and the regions they leave
out: a split-and-merge pass after k-means on the colours.

k-means minimises the squared error, and on a noisy image that is not the same as
finding its regions: splitting a large noisy region in two halves can lower the error
more than keeping apart two small regions 60 sRGB units apart, which then share a
centre.  Knowing the noise, the halves are easy to see: their centres lie less than two
noise apart (about 1.6 sigma for a Gaussian), where two regions' lie many times it.
So, while two centres are closer than :data:`SEPARATION` times the noise, they are
merged and the centre freed goes to the densest group of colours that a cluster with
much error beyond the noise (the most, else the second or third) serves far from its
centre (Ueda et al.'s split-and-merge EM does the same for mixtures, judged by
likelihood), and Lloyd's steps settle the rest.  A move is kept only if the closest two
centres end up further apart.

References
----------
N. Ueda, R. Nakano, Z. Ghahramani, G. E. Hinton, "SMEM algorithm for mixture models",
Neural Computation 12(9), 2000.
"""

import numpy as np

from ..cluster.distances import assign
from ..quantization.search import lloyd

#: Two centres closer than this many times the residual noise (per channel, sRGB
#: units) are one region split in two.
SEPARATION = 3.0
# Lloyd's steps after a move: they only settle the clusters around it.
_MAX_ITER = 50
# A colour this many times the noise from its centre is not noise around it (the
# distance of Gaussian noise in three channels exceeds 4 sigma once in 900).
_FAR = 4.0
# Clusters, by decreasing error beyond the noise, that a merge's freed centre may try.
_TRIES = 3


def _pairwise(centers):
    c = centers.astype(np.float64)
    distances = np.sqrt(((c[:, None] - c[None]) ** 2).sum(axis=-1))
    np.fill_diagonal(distances, np.inf)
    return distances


def separation(centers, noise):
    """The distance between the closest two ``centers``, capped at SEPARATION ``noise``:
    at the cap, no two clusters are one region for all the noise can tell."""
    closest = _pairwise(centers).min() if len(centers) > 1 else np.inf
    return min(closest, SEPARATION * noise)


def _densest_far(X, w, centre, noise):
    """Mean of the densest group, in cells of 2 noise, of the colours further than
    _FAR noise from ``centre``; None if there is none."""
    far = ((X - centre) ** 2).sum(axis=1) > (_FAR * noise) ** 2
    if not far.any() or not w[far].sum() > 0:
        return None
    X, w = X[far], w[far]
    cells = np.floor(X / (2 * noise)).astype(np.int64)
    _, group = np.unique(cells, axis=0, return_inverse=True)
    densest = np.argmax(np.bincount(group.ravel(), weights=w))
    seed = X[group.ravel() == densest].mean(axis=0)
    near = ((X - seed) ** 2).sum(axis=1) < (SEPARATION * noise) ** 2
    return w[near] @ X[near] / w[near].sum()


def _moved(levels, centers, labels, a, b, merged, worst, noise):
    """The centres after merging ``a`` and ``b`` (into ``a``, at ``merged``) and sending
    ``b`` to the densest far group of the colours ``worst`` serves, settled by Lloyd's
    steps; None when ``worst`` serves no far colour."""
    served = np.isin(labels, (a, b)) if worst == a else labels == worst
    moved = centers.astype(np.float64)
    moved[a] = merged
    X = levels.exact.X
    target = _densest_far(X[served].astype(np.float64), levels.exact.w[served], moved[worst], noise)
    if target is None:
        return None
    moved[b] = target
    return lloyd(levels, levels.exact, moved.astype(np.float32), max_iter=_MAX_ITER, tol_abs=levels.tolerance)[0]


def separate(levels, centers, noise):
    """Centres with no two closer than SEPARATION ``noise`` where moves can get there.

    Parameters
    ----------
    levels : Levels
        The colours, in sRGB (where the noise is the same in every direction).
    centers : (k, 3) ndarray of float32
        k-means centres, in ``levels``' offset coordinates.
    noise : float
        Standard deviation of the noise left in the colours, per channel, > 0.

    Returns
    -------
    (k, 3) ndarray of float32
    """
    k = len(centers)
    X, w = levels.exact.X, levels.exact.w
    labels, sq_dist = assign(X, centers)
    distances = _pairwise(centers)
    for _ in range(k):
        a, b = np.unravel_index(np.argmin(distances), distances.shape)
        if distances[a, b] >= SEPARATION * noise:
            break
        count = np.bincount(labels, weights=w, minlength=k)
        error = np.bincount(labels, weights=w * sq_dist, minlength=k)
        merged = (count[a] * centers[a] + count[b] * centers[b]) / (count[a] + count[b])
        count[a] += count[b]
        error[a] += error[b] + count[b] * (count[a] - count[b]) / count[a] * distances[a, b] ** 2
        excess = error - 3 * noise**2 * count  # the error noise alone does not explain
        excess[b] = -np.inf
        tries = (
            _moved(levels, centers, labels, a, b, merged, worst, noise)
            for worst in np.argsort(-excess)[:_TRIES]
            if excess[worst] > 0
        )
        # a move is kept only if the closest two centres end up further apart
        kept = next(((m, d) for m in tries if m is not None for d in [_pairwise(m)] if d.min() > distances.min()), None)
        if kept is None:
            break
        centers, distances = kept
        labels, sq_dist = assign(X, centers)
    return centers
