"""Wu's colour quantiser: greedy orthogonal bipartition of a weighted histogram.

X. Wu, "Efficient statistical computations for optimal color quantization", in
Graphics Gems II (J. Arvo, ed.), Academic Press, 1991, pp. 126-133.

The points are binned on a regular grid over their bounding box, in the frame of
their principal axes (so that cuts can follow the grey diagonal along which colours
spread, and a channel that does not vary, such as the equal R, G and B of a grey
image, takes one bin and leaves the others finer).  The weighted moments of every
bin (weight, sum of each coordinate, sum of squared norms) are cumulated once along
every axis, so the moments of any axis-aligned box of bins are 2^d lookups
(inclusion-exclusion: 8 in three dimensions).  Starting from one box
holding everything, each step cuts one box in two along the axis and at the bin
boundary that most reduce the weighted sum of squared errors (SSE), and the box cut
is the one whose best cut reduces it most.  Because every step only adds a cut, the
boxes after k - 1 steps are the k-colour result for every k up to the last one: one
pass gives a palette, and its error, for each k (:class:`WuSplits`).

The moments are sums of the points' own coordinates, not of bin centres, so each
box's mean and SSE are exact; only the cut positions are limited to the grid.
Deterministic: there is nothing random in it.  This is the usual starting point of
k-means for colour quantisation (Celebi, "Improving the performance of k-means for
color quantization", Image and Vision Computing 29, 2011).
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._compiled import kernel
from .._validation import check_array, check_int, check_sample_weight
from ..errors import InvalidParameterError

#: Cells of the moment grid (32^3, Wu's own choice for RGB): shared among the axes
#: in proportion to the data's spread along each, so the table of cumulated moments
#: takes a few milliseconds to build whatever the dimension.
GRID_CELLS = 1 << 15
_MAX_BINS = 1024
#: 2^d corner lookups per box: beyond 4 features the grid is too thin to cut well.
MAX_FEATURES = 4


@dataclass
class WuSplits:
    """The nested boxes of Wu's quantiser, up to ``n_boxes`` of them.

    Attributes
    ----------
    lower, upper : (n_boxes, d) ndarrays of intp
        Bounds of every box on the moment grid after the last cut: box i holds the
        bins b with lower[i] < b <= upper[i] on every axis.
    cuts : (n_boxes - 1, 3) ndarray of intp
        Cut s split box ``cuts[s, 0]`` along axis ``cuts[s, 1]``: the box kept the
        bins up to ``cuts[s, 2]`` and box s + 1 took the rest.
    sse : (n_boxes,) ndarray of float64
        ``sse[k - 1]``: the weighted sum of squared distances of the points to the
        means of their boxes once there are k boxes (never increasing).
    """

    lower: np.ndarray
    upper: np.ndarray
    cuts: np.ndarray
    sse: np.ndarray
    _boxes: "_Boxes"
    _offset: np.ndarray
    _rotation: np.ndarray

    @property
    def n_boxes(self):
        return len(self.lower)

    def bounds(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) of the k boxes there were after k - 1 cuts."""
        lower, upper = self.lower.copy(), self.upper.copy()
        for cut in range(self.n_boxes - 2, k - 2, -1):  # undo the later cuts, last first
            parent, axis, _ = self.cuts[cut]
            upper[parent, axis] = upper[cut + 1, axis]
        return lower[:k], upper[:k]

    def assign_boxes(self, X: ArrayLike, k: int) -> np.ndarray:
        """Index of the box (after k - 1 cuts) each row of X falls in: Wu's own
        mapping of colours to its palette.  Points outside the grid's bounding box
        count in its nearest edge bin.  Takes (n, k) memory: for checks and small
        data, not for the pixels of an image."""
        lower, upper = self.bounds(k)
        cells = self._boxes.cells_of(np.asarray(X, dtype=np.float64))
        inside = (cells[:, None, :] > lower[None]) & (cells[:, None, :] <= upper[None])
        return inside.all(axis=2).argmax(axis=1)  # the boxes tile the grid: exactly one holds each cell

    def centers(self, k: int) -> np.ndarray:
        """(k, d) float64 means of the boxes after k - 1 cuts, 1 <= k <= n_boxes.

        Looked up from the bounds exactly as the cuts were made, so a palette read
        here at k is bit for bit the one a run stopped at k gives.
        """
        if not 1 <= k <= self.n_boxes:
            raise InvalidParameterError(f"k={k} must be in 1..{self.n_boxes}")
        moments = self._boxes.moments(*self.bounds(k))
        return (moments[:, 1:-1] / moments[:, :1]) @ self._rotation.T + self._offset


def _axis_bins(X, w, cells):
    """Bins per axis of centred points, in proportion to the weighted spread along
    it, their product about ``cells``; an axis without spread takes one bin."""
    spread = np.sqrt(w @ (X**2) / w.sum())
    live = spread > 1e-9 * spread.max()
    bins = np.ones(len(spread), dtype=np.intp)
    if live.any():
        logs = np.log(spread[live])
        share = np.exp(logs + (np.log(cells) - logs.sum()) / live.sum())
        bins[live] = np.clip(np.floor(share), 1, _MAX_BINS).astype(np.intp)
    return bins


def _cells(X, low, scale, bins):
    """Grid cell of every row (1..bins[j] along axis j; outside points clamp)."""
    return np.clip(((X - low) * scale).astype(np.intp), 0, bins - 1) + 1


def _grid(X, w, bins):
    """Cumulated moments on a grid of ``bins[j]`` bins along axis j over the bounding
    box of the weighted points: a (prod(bins + 1), d + 2) table whose row at cell
    (i_1, ..., i_d) holds the moments of every bin below or at it (index 0 of each
    axis is an empty border), and the grid's origin and scale."""
    n, d = X.shape
    present = X[w > 0]
    low, high = present.min(axis=0), present.max(axis=0)
    scale = bins / np.maximum(high - low, np.finfo(np.float64).tiny)
    cells = _cells(X, low, scale, bins)
    sides = bins + 1
    flat = np.zeros(n, dtype=np.intp)
    for axis in range(d):
        flat = flat * sides[axis] + cells[:, axis]
    size = int(np.prod(sides))
    columns = [w] + [w * X[:, axis] for axis in range(d)] + [w * np.einsum("ij,ij->i", X, X)]
    table = np.stack([np.bincount(flat, weights=c, minlength=size) for c in columns], axis=1)
    table = table.reshape(tuple(sides) + (d + 2,))
    for axis in range(d):
        np.cumsum(table, axis=axis, out=table)
    return table.reshape(size, d + 2), low, scale


class _Boxes:
    """The cumulated moment table and the grid's frame; the moments of boxes on it
    are looked up by the compiled kernel (``quantize.cluster._wu``)."""

    def __init__(self, table, bins, frame):
        self.table = np.ascontiguousarray(table, dtype=np.float64)
        self.bins = np.asarray(bins, dtype=np.intp)
        self.frame = frame  # offset, rotation, grid origin and scale
        sides = self.bins + 1
        self.strides = np.ascontiguousarray(np.append(np.cumprod(sides[::-1])[::-1][1:], 1), dtype=np.intp)

    def cells_of(self, X):
        """Grid cell of points given in the original coordinates."""
        offset, rotation, low, scale = self.frame
        return _cells((X - offset) @ rotation, low, scale, self.bins)

    def moments(self, lower, upper):
        """Moments of boxes (lower, upper] given as (m, d) bounds: (m, d + 2)."""
        return kernel("cluster._wu").box_moments(
            self.table,
            self.strides,
            np.ascontiguousarray(lower, dtype=np.intp),
            np.ascontiguousarray(upper, dtype=np.intp),
        )


def _wu_impl(X, w, n_boxes, cells):
    """:class:`WuSplits` of valid data (see :func:`wu_splits`)."""
    offset = (w @ X) / w.sum()  # centred coordinates keep the squared sums small
    centred = X.astype(np.float64) - offset
    covariance = (centred * w[:, None]).T @ centred / w.sum()
    _, rotation = np.linalg.eigh(covariance)  # principal axes, as columns
    rotated = centred @ rotation
    bins = _axis_bins(rotated, w, cells)
    table, low, scale = _grid(rotated, w, bins)
    boxes = _Boxes(table, bins, (offset, rotation, low, scale))
    lower, upper, cuts, gains = kernel("cluster._wu").greedy_cuts(boxes.table, boxes.strides, boxes.bins, n_boxes)
    total = boxes.moments(np.zeros((1, len(bins)), np.intp), boxes.bins[None])[0]
    initial_sse = max(total[-1] - (total[1:-1] ** 2).sum() / total[0], 0.0)
    sse = np.maximum(initial_sse - np.cumsum(gains), 0.0)
    return WuSplits(lower, upper, cuts, sse, boxes, offset, rotation)


def wu_splits(
    X: ArrayLike, n_clusters: int, *, sample_weight: ArrayLike | None = None, cells: int | None = None
) -> "WuSplits":
    """Wu's greedy orthogonal bipartition of weighted points into up to ``n_clusters``
    boxes, with the boxes and error of every smaller number of them.

    Parameters
    ----------
    X : (n, d) array-like of float, 1 <= d <= 4
        Points, e.g. an image's distinct colours in a colour space (premultiplied
        RGBA has four).
    n_clusters : int >= 1
    sample_weight : (n,) array-like of non-negative float, optional
        Pixel counts of a colour histogram.
    cells : int >= 2, optional
        Cells of the moment grid, shared among the principal axes by their spread;
        default :data:`GRID_CELLS`.

    Returns
    -------
    WuSplits
        ``centers(k)`` for any k up to its ``n_boxes``; ``n_boxes`` is below
        ``n_clusters`` only when no box can be cut further (fewer occupied bins than
        boxes asked for).

    References
    ----------
    X. Wu, "Efficient statistical computations for optimal color quantization",
    Graphics Gems II, 1991, pp. 126-133.
    """
    X = check_array(X)
    n, d = X.shape
    if d > MAX_FEATURES:
        raise InvalidParameterError(f"Wu's quantiser takes at most {MAX_FEATURES} features; X has {d}")
    w = check_sample_weight(sample_weight, n, np.float64)
    n_clusters = check_int(n_clusters, "n_clusters", low=1)
    cells = GRID_CELLS if cells is None else check_int(cells, "cells", low=2)
    return _wu_impl(X, w, n_clusters, cells)


def wu_centers(
    X: ArrayLike, n_clusters: int, *, sample_weight: ArrayLike | None = None, cells: int | None = None
) -> np.ndarray:
    """Cluster centres from Wu's quantiser: the weighted means of its boxes.

    Parameters are those of :func:`wu_splits`.

    Returns
    -------
    (m, d) ndarray of float64, m <= n_clusters
        m < n_clusters only when the grid's occupied bins cannot be cut into
        ``n_clusters`` weighted boxes.

    Guarantees
    ----------
    Deterministic (the same input gives the same centres); the centres for k are
    those of every larger ``n_clusters`` run stopped after k - 1 cuts.
    """
    splits = wu_splits(X, n_clusters, sample_weight=sample_weight, cells=cells)
    return splits.centers(splits.n_boxes)
