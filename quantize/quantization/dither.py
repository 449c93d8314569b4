"""Dithering against a fitted palette: Floyd–Steinberg (Pillow's) and ordered (Bayer 8×8).

Error diffusion is sequential by nature, so it is delegated to Pillow, which does
exactly this in C (``Image.quantize(palette=..., dither=FLOYDSTEINBERG)``).  Ordered
dithering is a fixed threshold per pixel position and is vectorised here.
"""

import numpy as np
from PIL import Image

from .._parallel import map_slices
from ..cluster.distances import assign


METHODS = ("none", "floyd-steinberg", "ordered")
_STRIP_ROWS = 256


def bayer_matrix(order=3):
    """The (2^order, 2^order) Bayer threshold map, scaled to (-0.5, 0.5) with mean 0."""
    matrix = np.zeros((1, 1), dtype=np.int64)
    for _ in range(order):
        matrix = np.block([[4 * matrix, 4 * matrix + 2], [4 * matrix + 3, 4 * matrix + 1]])
    return (matrix + 0.5) / matrix.size - 0.5


def _spread(palette):
    """Typical distance between neighbouring palette colours (median nearest-entry distance)."""
    if len(palette) < 2:
        return 0.0
    entries = palette.astype(np.float64)
    distances = np.sqrt(((entries[:, None] - entries[None]) ** 2).sum(-1))
    np.fill_diagonal(distances, np.inf)
    return float(np.median(distances.min(axis=1)))


def dither(rgb, palette, labels, *, method, strength=1.0):
    """Palette index of every pixel, dithered.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
    palette : (k, 3) ndarray of uint8
    labels : (H, W) ndarray of int
        The undithered labels (nearest entry of each pixel).
    method : {"floyd-steinberg", "ordered"}
    strength : float in [0, 1]
        0 gives ``labels`` back.  Ordered: the threshold amplitude, as a share of the
        typical distance between palette colours.  Floyd–Steinberg: the image is moved
        towards its undithered result by 1 - strength before diffusing, which scales
        the error that is diffused.

    Returns
    -------
    (H, W) ndarray of int16
    """
    labels = labels.astype(np.int16)
    if strength == 0 or len(palette) < 2:
        return labels
    if method == "floyd-steinberg":
        source = rgb
        if strength < 1:
            plain = palette[np.maximum(labels, 0)].astype(np.float32)
            source = np.rint(rgb + (1 - strength) * (plain - rgb)).astype(np.uint8)
        holder = Image.new("P", (1, 1))
        holder.putpalette(palette.astype(np.uint8).tobytes())
        dithered = Image.fromarray(source, "RGB").quantize(palette=holder, dither=Image.Dither.FLOYDSTEINBERG)
        return np.asarray(dithered).astype(np.int16)
    threshold = (strength * _spread(palette) * bayer_matrix()).astype(np.float32)
    entries = palette.astype(np.float32)
    height, width = labels.shape
    out = np.empty((height, width), dtype=np.int16)

    def strip(part):
        rows = rgb[part].astype(np.float32)
        y = np.arange(part.start, part.stop) % 8
        offset = threshold[y[:, None], np.arange(width)[None, :] % 8]
        shifted = (rows + offset[..., None]).reshape(-1, 3)
        out[part] = assign(shifted, entries, with_distances=False)[0].reshape(len(rows), width)

    map_slices(strip, height, _STRIP_ROWS)
    return out
