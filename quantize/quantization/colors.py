"""An image's colours ready to cluster (:class:`ImageColors`: the histogram in the
clustering space, with its levels for the search and its CIELAB for CIEDE2000).  The
palette fitted to them is :mod:`.palette`'s, its labels back on the pixels
:mod:`.labels`', its errors from the histogram :mod:`.exact`'s."""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..color.alpha import to_features, to_palette, visible_pixels
from ..color.histogram import ColorHistogram
from ..color.spaces import from_space, lab_to_din99o, srgb_to_lab, to_space
from .levels import Levels
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


def visible_colors(colors, n_colors, notes=None):
    """The number of visible colours to fit for ``n_colors`` palette entries: one
    fewer at 256 when the image has fully transparent pixels, which take an entry."""
    if colors.transparent and n_colors == MAX_PALETTE:
        if notes is not None:
            notes.append("255 visible colours were fitted so the transparent entry fits the 256-colour palette")
        return MAX_PALETTE - 1
    return n_colors
