"""An image's colours ready to cluster (:class:`ImageColors`: the histogram in the
clustering space), the palette fitted to them, and the errors of a palette measured
exactly from the histogram (squared error, PSNR, CIEDE2000) without rebuilding pixels."""

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..cluster.distances import assign_with_bounds
from ..color.alpha import to_features, to_palette, visible_pixels
from ..color.difference import ciede2000_rows
from ..color.histogram import ColorHistogram
from ..color.spaces import from_space, lab_to_din99o, srgb_to_lab, to_space
from ..errors import FewDistinctPointsWarning
from ..metrics.image import mean_and_p95
from .levels import Levels
from .search import cluster_colors
from .settings import MAX_PALETTE


@dataclass
class ImageColors:
    """An image's distinct colours, ready to cluster (see :func:`image_colors`)."""

    histogram: ColorHistogram
    features: np.ndarray
    premultiplied: bool
    visible: np.ndarray | None
    shape: tuple
    space: str = "rgb"
    rgb_features: np.ndarray | None = None  # what errors are measured on (PSNR)
    transparent: bool = False  # some pixel is fully transparent (it takes a palette entry)

    @cached_property
    def lab(self):
        """float32 CIELAB of the distinct colours' RGB, for CIEDE2000 (once per image)."""
        return srgb_to_lab(self.histogram.colors[:, :3], np.float32)

    @cached_property
    def levels(self):
        """The colours at the resolutions of the palette search (once per image)."""
        return Levels(self.features, self.histogram.counts, self.histogram.colors)

    def entries(self, centers):
        """The palette entries (uint8) of cluster centres and their values in the
        clustering space, where colours are compared with them."""
        if self.space == "rgb":
            palette = to_palette(centers, self.premultiplied)
            return palette, to_features(palette, self.premultiplied)
        # centres back to sRGB; colours take their nearest entry in the same space
        palette = from_space(centers, self.space)
        return palette, to_space(palette, self.space)

    def nearest(self, palette_features):
        """Index of the nearest entry of every distinct colour (exact, first on ties)."""
        return self.levels.exact_labels(palette_features - self.levels.offset)


def image_colors(pixels, space, notes=None):
    """The colours of (H, W, c) uint8 pixels to cluster.

    Fully transparent pixels take no part.  When some visible pixel is partly
    transparent, colours are clustered as premultiplied RGBA (colour weighted by
    coverage, as compositing sees it), whatever ``space``; otherwise in ``space``
    ("rgb", "lab", "oklab" or "din99o").
    """
    flat, visible = visible_pixels(pixels)
    premultiplied = flat.shape[1] == 4 and bool((flat[:, 3] != 255).any())
    histogram = ColorHistogram(flat if premultiplied else flat[:, :3])
    space = clustering_space(space, premultiplied, notes)
    return histogram_colors(histogram, space, premultiplied, visible, pixels.shape)


def clustering_space(space, premultiplied, notes=None):
    """The space colours are clustered in: ``space``, or "rgb" for premultiplied
    RGBA (noted), which no other space represents."""
    if premultiplied and space != "rgb":
        if notes is not None:
            notes.append(f"partly transparent: clustered as premultiplied RGBA, not in {space}")
        return "rgb"
    return space


def histogram_colors(histogram, space, premultiplied, visible, shape):
    """A histogram's colours in ``space`` (premultiplied only in "rgb")."""
    rgb_features = to_features(histogram.colors, premultiplied)
    lab = None
    if space in ("lab", "din99o"):  # the clustering's CIELAB serves the report's CIEDE2000 too
        lab = srgb_to_lab(histogram.colors, np.float32)
        features = lab if space == "lab" else lab_to_din99o(lab).astype(np.float32)
    else:
        features = rgb_features if space == "rgb" else to_space(histogram.colors, space)
    colors = ImageColors(
        histogram, features, premultiplied, visible, shape, space, rgb_features, transparent=visible is not None
    )
    if lab is not None:
        colors.lab = lab
    return colors


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


def visible_colors(colors, n_colors, notes=None):
    """The number of visible colours to fit for ``n_colors`` palette entries: one
    fewer at 256 when the image has fully transparent pixels, which take an entry."""
    if colors.transparent and n_colors == MAX_PALETTE:
        if notes is not None:
            notes.append("255 visible colours were fitted so the transparent entry fits the 256-colour palette")
        return MAX_PALETTE - 1
    return n_colors


def spread_labels(histogram, visible, shape, color_labels):
    """The (H, W) label of every pixel from its colour's label; -1 where not visible."""
    height, width = shape[:2]
    label_dtype = np.int16 if color_labels.max(initial=0) <= np.iinfo(np.int16).max else np.int32
    labels = histogram.lookup(color_labels.astype(label_dtype))
    if visible is not None:
        full = np.full(height * width, -1, dtype=label_dtype)
        full[visible] = labels
        labels = full
    return labels.reshape(height, width)


def color_index(colors):
    """(H, W) int32: each pixel's row of the histogram, -1 where not visible."""
    distinct = np.arange(len(colors.features), dtype=np.int32)
    return np.ascontiguousarray(spread_labels(colors.histogram, colors.visible, colors.shape, distinct), dtype=np.int32)


def pixel_labels(colors, palette, color_labels, *, labels=None):
    """The output palette and the (H, W) label of every pixel (-1 where fully
    transparent): each colour's label, unless ``labels`` gives them (dithered)."""
    if labels is None:
        labels = spread_labels(colors.histogram, colors.visible, colors.shape, color_labels)
    if colors.shape[2] == 4 and not colors.premultiplied:
        palette = np.column_stack([palette, np.full(len(palette), 255, np.uint8)])
    return palette, labels


def squared_error(colors, palette, color_labels):
    """Sum over the pixels of the squared error of the rebuilt colour (the inertia of
    the rounded palette), from the histogram."""
    diff = colors.rgb_features - to_features(palette, colors.premultiplied)[color_labels]
    return float(colors.histogram.counts @ np.einsum("ij,ij->i", diff, diff))


def color_psnr(colors, palette, color_labels, sse=None):
    """PSNR of the image the palette rebuilds, from the histogram alone: exactly the
    report's value (premultiplied RGBA when the image has transparency)."""
    height, width, channels = colors.shape
    if sse is None:
        sse = squared_error(colors, palette, color_labels)
    if sse == 0:
        return float("inf")
    return float(10 * np.log10(255.0**2 * height * width * channels / sse))


def color_delta_e(colors, palette, color_labels, *, p95=True):
    """Mean and 95th percentile (None without ``p95``: it takes a sort) of the
    CIEDE2000 difference over the visible pixels (their RGB, from the histogram):
    only the palette entries are converted."""
    differences = ciede2000_rows(colors.lab, srgb_to_lab(palette[:, :3], np.float32), color_labels, dtype=np.float32)
    return mean_and_p95(differences, colors.histogram.counts, p95=p95)


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
