"""An image's colour histogram at the resolutions of the palette search
(:class:`Levels`): the distinct colours themselves and the means of their b-bit RGB(A)
bins, weighted by the bins' pixel counts, so that every level has the same mean and a
centroid computed from bins is the exact centroid of their colours.  Also the exact
labels of the colours and the bounds carried from a level to a finer one (see
:mod:`quantize.quantization.search` for the search that walks them).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..cluster.distances import assign, assign_with_bounds, row_norms_sq
from ..cluster.lloyd import Assignment, cluster_sums
from ..cluster.wu import wu_splits
from ..color.histogram import coarse_bins

# The first level Lloyd steps run on has at least _COARSE_PER_CLUSTER bins per
# cluster and _COARSE_MIN in all; the levels of up to _FINE_BITS bits follow.
_COARSE_MIN, _COARSE_PER_CLUSTER = 2048, 16
_BITS = (4, 5, 6, 7)
_FINE_BITS = 7
_START_MIN = 4096
#: Convergence: the centres' total squared movement in one step, relative to the
#: weighted variance of the points (as scikit-learn's ``tol``).
_TOL = 1e-5


@dataclass
class Points:
    """Weighted points: (n, d) float32 coordinates (relative to the levels' offset)
    and (n,) weights; ``bins`` gives the bin of every exact colour (None for the
    exact level itself) and ``radius`` each bin's largest distance from its mean
    (computed only for the bins that bound the exact labels)."""

    X: np.ndarray
    w: np.ndarray
    bins: np.ndarray | None = None
    radius: np.ndarray | None = None

    def __len__(self):
        return len(self.X)


class Levels:
    """A weighted histogram at the resolutions of the search.

    Parameters
    ----------
    features : (m, d) ndarray of float32
        Distinct colours in the clustering space.
    counts : (m,) ndarray
        Their pixel counts.
    colors : (m, c) ndarray of uint8
        The colours themselves (RGB, or RGBA when premultiplied): bins are cells of
        their 8-bit grid.

    Attributes
    ----------
    exact : Points
        The distinct colours, relative to ``offset``.
    offset : (d,) ndarray of float32
        Their weighted mean: centred coordinates keep the distance expansion accurate.
    """

    def __init__(self, features, counts, colors):
        counts = np.asarray(counts, dtype=np.float64)
        total = counts.sum()
        mean = counts @ features / total if total > 0 else np.zeros(features.shape[1])  # no visible pixel
        self.offset = mean.astype(features.dtype)
        self.exact = Points(features - self.offset, counts)
        self.colors = colors
        self._binned = {}
        # the exact colours' assignment to the centres of the latest Lloyd steps on
        # them: its bounds make the next exact labels cheap (:meth:`exact_labels`)
        self._fitted = None

    def __len__(self):
        return len(self.exact)

    def binned(self, bits):
        """The bin means on a ``bits``-bit grid (computed once)."""
        if bits not in self._binned:
            bins, n_bins = coarse_bins(self.colors, bits)
            weights, sums = cluster_sums(self.exact.X, bins, self.exact.w, n_bins)
            means = (sums / weights[:, None]).astype(self.exact.X.dtype)
            self._binned[bits] = Points(means, weights, bins)
        return self._binned[bits]

    def _bounding_bins(self):
        """The finest bins built so far, with their radii (computed once), or None."""
        if not self._binned:
            return None
        fine = self._binned[max(self._binned)]
        if fine.radius is None:
            reach = np.sqrt(row_norms_sq(self.exact.X - fine.X[fine.bins]))
            fine.radius = np.zeros(len(fine), dtype=np.float64)
            np.maximum.at(fine.radius, fine.bins, reach)
        return fine

    def finest_below(self, minimum):
        """The coarsest level with at least ``minimum`` points (the exact one when
        no binned level has that many)."""
        if len(self) <= minimum:
            return self.exact
        for bits in _BITS:
            level = self.binned(bits)
            if len(level) >= minimum:
                return level if len(level) < len(self) else self.exact
        return self.exact

    def plan(self, k):
        """The binned levels Lloyd steps run on for k clusters, coarse to fine: the
        first with enough bins per cluster, then each finer one up to
        :data:`_FINE_BITS` bits that still has at most half as many points as there
        are colours (empty when the colours themselves are few enough)."""
        first = self.finest_below(max(_COARSE_MIN, _COARSE_PER_CLUSTER * k))
        if first is self.exact:
            return []
        levels = [first]
        for bits in _BITS:
            level = self.binned(bits)
            if len(level) > len(levels[-1]) and len(level) * 2 <= len(self) and bits <= _FINE_BITS:
                levels.append(level)
        return levels

    def start_level(self):
        """The level starts are drawn from, the same for every k so that Wu's boxes
        for k are those of any deeper run (:class:`quantize.cluster.wu.WuSplits`)."""
        return self.finest_below(_START_MIN)

    def splits(self, k):
        """Wu's nested boxes of the start level, up to k of them: every smaller k's
        start reads from them."""
        level = self.start_level()
        return wu_splits(level.X, k, sample_weight=level.w)

    @cached_property
    def tolerance(self):
        """Absolute tolerance on a step's squared movement of the centres."""
        X, w = self.exact.X.astype(np.float64), self.exact.w
        return float(_TOL * (w @ (X**2)).sum() / w.sum())

    def exact_labels(self, centers):
        """Nearest centre of every distinct colour (exact, first on ties): from the
        bounds of the latest Lloyd steps on the colours when there were some (only
        the colours whose bounds fail are searched), else whole bins at a time where
        their bounds allow (see the module docstring)."""
        k = len(centers)
        if self._fitted is not None and len(self._fitted[0]) == k:
            fitted, assignment = self._fitted
            moved = np.sqrt(((centers.astype(np.float64) - fitted) ** 2).sum(axis=1))
            assignment.settle(self.exact.X, centers.astype(self.exact.X.dtype), moved)
            self.keep(centers, assignment)
            return assignment.labels.copy()
        fine = self._bounding_bins()
        if fine is None or k == 1 or len(fine) * 2 > len(self):
            return assign(self.exact.X, centers, with_distances=False)[0]
        bin_labels, nearest, second = assign_with_bounds(fine.X, centers)
        sure = (second - nearest) > 2 * fine.radius * (1 + 1e-6)
        labels = bin_labels[fine.bins]
        unsure = np.flatnonzero(~sure[fine.bins])
        if unsure.size:
            labels[unsure] = assign(self.exact.X[unsure], centers, with_distances=False)[0]
        return labels

    def keep(self, centers, assignment):
        """Keep the exact colours' ``assignment`` to ``centers`` for the next
        :meth:`exact_labels`."""
        self._fitted = (centers.astype(np.float64), assignment)

    def carried(self, coarse, assignment, fine):
        """An :class:`Assignment` of the points of level ``fine`` from ``assignment``
        of the coarser level ``coarse`` whose bins hold them: each takes its bin's
        label, and its bounds widened by its distance from the bin's mean (triangle
        inequality), so that Lloyd steps on ``fine`` start without a full search."""
        if fine.bins is None:
            parent = coarse.bins
        else:
            parent = np.empty(len(fine), dtype=np.intp)
            parent[fine.bins] = coarse.bins
        reach = np.sqrt(row_norms_sq(fine.X.astype(np.float64) - coarse.X[parent]))
        return Assignment(assignment.labels[parent], assignment.upper[parent] + reach, assignment.lower[parent] - reach)

    def objective(self, centers):
        """Weighted sum of squared distances of the distinct colours to their
        nearest centre, and their labels."""
        labels = self.exact_labels(centers)
        diff = self.exact.X - centers[labels].astype(self.exact.X.dtype)
        return float(self.exact.w @ np.einsum("ij,ij->i", diff, diff)), labels
