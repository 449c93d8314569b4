"""Dithering against a fitted palette, in the clustering space: Floyd–Steinberg with a
limited error, and ordered (Bayer 8×8).  The per-pixel work is compiled
(``quantize.quantization._dither``); what it is given is decided here.

Floyd–Steinberg diffuses each pixel's error (serpentine, the classic 7/16, 3/16,
5/16, 1/16) in DIN99o by default, so the error is perceptual, and limits it after
libimagequant's example, further:

- errors below a third of a just-noticeable difference are not diffused, so flat
  areas stay flat (and compress well);
- a pixel plus its error may reach only a little past the colours of the image
  and the palette, and a large error is damped (by 0.8 on the way in, 0.75 on
  the way out; "large" is 2.4 times the undithered mean squared error);
- dithering is weaker on edges of the colour and where the undithered labels
  change from pixel to pixel (texture dithers itself), after libimagequant's maps;
- an entry farther from the pixel than its own nearest entry plus twice that
  entry's distance to its nearest neighbour is refused (the pixel keeps its
  nearest entry): accumulated error cannot put a navy dot in a cyan sky.

Ordered dithering moves each pixel's colour by the Bayer threshold of its place,
along the lightness (the grey direction in RGB), by up to the typical distance
between palette colours times the strength, and takes the nearest entry.
Both are the same whatever the number of threads.
"""

import numpy as np

from .._compiled import kernel
from .._parallel import get_num_threads
from ..color.alpha import to_features
from ..color.spaces import to_space

METHODS = ("none", "floyd-steinberg", "ordered")
#: A just-noticeable difference in each clustering space's units (OKLab is scaled
#: like CIELAB, DIN99o's distances follow CIEDE2000's, RGB is 0..255).
_JND = {"lab": 1.0, "oklab": 1.0, "din99o": 1.0, "rgb": 2.0}
#: How far past the colours of the image and palette a pixel plus its error may go,
#: as a share of their range (libimagequant allows 10 %).
_OVERSHOOT = 0.1
#: An entry may be this many times its neighbour distance farther than the nearest.
_REACH = 2.0
#: Share of the error diffused at strength 1 (libimagequant's 15/16: small errors do
#: not pile up).
_LEVEL = 15 / 16
#: The direction a threshold moves a colour, per space: lightness, or grey in RGB.
_GREY = {"lab": (1.0, 0.0, 0.0), "oklab": (1.0, 0.0, 0.0), "din99o": (1.0, 0.0, 0.0), "rgb": (1.0, 1.0, 1.0)}


def bayer_matrix(order=3):
    """The (2^order, 2^order) Bayer threshold map, scaled to (-0.5, 0.5) with mean 0."""
    matrix = np.zeros((1, 1), dtype=np.int64)
    for _ in range(order):
        matrix = np.block([[4 * matrix, 4 * matrix + 2], [4 * matrix + 3, 4 * matrix + 1]])
    return (matrix + 0.5) / matrix.size - 0.5


def dither(colors, palette, color_labels, index, labels, *, method, strength=1.0):
    """Palette index of every pixel, dithered in the colours' clustering space.

    Parameters
    ----------
    colors : ImageColors
        The image's colours (not premultiplied).
    palette : (k, 3) ndarray of uint8
    color_labels : (m,) ndarray of int
        Each distinct colour's nearest entry.
    index : (H, W) ndarray of int32
        Each pixel's distinct colour, -1 where transparent (``colors.color_index``).
    labels : (H, W) ndarray of int
        The undithered labels (each pixel's nearest entry), -1 where transparent.
    method : {"floyd-steinberg", "ordered"}
    strength : float in [0, 1]
        0 gives ``labels`` back.  Floyd–Steinberg: the share of each pixel's error
        that is diffused.  Ordered: the threshold amplitude, as a share of the
        typical distance between palette colours.

    Returns
    -------
    (H, W) ndarray of int16
    """
    labels = np.ascontiguousarray(labels, dtype=np.int16)
    if strength == 0 or len(palette) < 2:
        return labels
    dithering = kernel("quantization._dither")
    features = np.ascontiguousarray(colors.features[:, :3], dtype=np.float32)
    entries = to_space(palette[:, :3], colors.space)
    sorted_entries = kernel("cluster._nearest").SortedCentres(entries)
    gaps = 2 * sorted_entries.half_gaps  # each entry's distance to its nearest other
    spread = float(np.median(gaps))  # the typical distance between palette colours
    threads = get_num_threads()
    if method == "ordered":
        threshold = np.ascontiguousarray(strength * spread * bayer_matrix())
        return dithering.ordered(index, features, sorted_entries, threshold, np.asarray(_GREY[colors.space]), threads)
    jnd = _JND[colors.space]
    both = np.concatenate([features, entries.astype(np.float32)])
    low, high = both.min(axis=0).astype(np.float64), both.max(axis=0).astype(np.float64)
    span = high - low
    weight = dithering.weights(index, features, labels, 4.0 * spread, threads)
    # each colour's squared distance to its own (undithered) entry gives the mean
    # squared error past which an error is damped, and the fence past which an entry
    # is refused: its own entry's distance plus _REACH times that entry's neighbour
    # distance (squared: the kernel compares squares)
    diff = features.astype(np.float64) - entries[color_labels]
    own_sq = np.einsum("ij,ij->i", diff, diff)
    counts = colors.histogram.counts
    plain_error = float(counts @ own_sq / max(counts.sum(), 1))
    fence = (np.sqrt(own_sq) + _REACH * gaps[color_labels]) ** 2
    return dithering.floyd_steinberg(
        index,
        features,
        sorted_entries,
        labels,
        weight,
        low - _OVERSHOOT * span,
        high + _OVERSHOOT * span,
        fence,
        strength * _LEVEL,
        (jnd / 3) ** 2,
        max(2.4 * plain_error, (2 * jnd) ** 2),
        threads,
    )


def pixel_squared_error(colors, palette, index, labels):
    """Sum over the pixels of the squared error of their entries (in what PSNR
    compares: RGB, 0..255), row by row in order (the same whatever the threads)."""
    rows = kernel("quantization._dither").row_squared_errors(
        index,
        np.ascontiguousarray(colors.rgb_features[:, :3]),
        np.ascontiguousarray(to_features(palette[:, :3], False)),
        np.ascontiguousarray(labels, dtype=np.int16),
        get_num_threads(),
    )
    return float(rows.sum())
