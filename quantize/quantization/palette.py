"""The palette of an image's colours: fitted by the search (:func:`palette_for`,
locked colours kept first) or given and mapped to (:func:`nearest_entries`), each
distinct colour taking its nearest entry exactly."""

import warnings

import numpy as np

from ..cluster.distances import assign_with_bounds
from ..color.spaces import from_space, to_space
from ..errors import FewDistinctPointsWarning
from .colors import visible_colors
from .search import cluster_colors


def palette_for(colors, n_colors, how, *, rng, notes, lock=None, splits=None):
    """Palette entries (RGB, or RGBA when premultiplied) and the entry of each distinct
    colour: its nearest *rounded* entry, as the :class:`~.search.Search` ``how`` finds
    them.  Entries nobody uses are dropped (two centres can round to the same colour),
    except locked ones, which come first and stay exact.
    ``splits`` shares Wu's boxes between several k of one image."""
    histogram, features = colors.histogram, colors.features
    if lock is not None and len(lock):
        # the same search as without a lock, its first centres fixed on the locked colours
        centers = cluster_colors(
            colors.levels, max(n_colors, len(lock)), how, rng=rng, locked=to_space(lock, colors.space)
        )
        palette = np.vstack([lock, from_space(centers[len(lock) :], colors.space)])
        color_labels = colors.nearest(to_space(palette, colors.space))
        keep = np.bincount(color_labels, minlength=len(palette)) > 0
        keep[: len(lock)] = True
        return palette[keep], (np.cumsum(keep) - 1)[color_labels]
    k = visible_colors(colors, n_colors, notes)
    if len(histogram) <= k:
        if len(histogram) < k:
            message = (
                f"the image has only {len(histogram)} distinct colours, fewer than n_colors={k}; all are kept exactly"
            )
            warnings.warn(message, FewDistinctPointsWarning, stacklevel=4)
            notes.append(message)
        centers = features
    else:
        centers = cluster_colors(
            colors.levels, k, how, rng=rng, splits=splits, rounded=lambda centers: colors.entries(centers)[1]
        )
    palette, palette_features = colors.entries(centers)
    color_labels = colors.nearest(palette_features)
    used = np.bincount(color_labels, minlength=len(palette)) > 0
    if not used.all():
        color_labels = (np.cumsum(used) - 1)[color_labels]
        palette = palette[used]
    return palette, color_labels


def nearest_entries(colors, palette, space):
    """The nearest palette entry of every distinct colour in ``space``, exactly (first
    on ties): CIELAB, OKLab and DIN99o features are float32, so colours whose two nearest
    entries are closer than that precision can tell apart are decided again from
    float64 coordinates."""
    features = to_space(palette, space)
    if space == "rgb" or len(palette) < 2:  # integer coordinates: float32 is exact
        return colors.nearest(features)
    X = colors.features
    labels, nearest, second = assign_with_bounds(X, features)
    unsure = np.flatnonzero(second - nearest <= _FLOAT32_FEATURE_ERROR)
    if unsure.size:
        exact = to_space(colors.histogram.colors[unsure, :3], space, np.float64)
        table = to_space(palette, space, np.float64)
        distances = ((exact[:, None, :] - table[None, :, :]) ** 2).sum(axis=2)
        labels[unsure] = distances.argmin(axis=1)
    return labels


#: Bound on the error of a distance between float32 CIELAB, OKLab or DIN99o coordinates
#: (at most about 100) against float64 ones: 1e-3, a hundred times the rounding seen.
_FLOAT32_FEATURE_ERROR = 1e-3
