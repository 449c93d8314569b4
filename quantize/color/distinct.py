"""Colours that tell clusters apart at a glance, and the ink that stands out on a colour."""

import functools
import threading

import numpy as np

from .._validation import check_int
from .difference import ciede2000
from .spaces import relative_luminance, srgb_to_lab

#: Most colours :func:`distinct_colors` gives (segment's largest k).
MAX_DISTINCT = 256
# The candidates: a grid of sRGB, kept to colours that read as a hue, neither near
# black nor near white, so that they show over a grey picture.
_GRID = np.linspace(0, 255, 18).round().astype(np.uint8)
_LIGHTNESS = (35.0, 88.0)
_LEAST_CHROMA = 25.0
_LOCK = threading.Lock()


class _FarthestPoints:
    """The candidates in farthest-point order by CIEDE2000, from the most chromatic:
    each colour is the one farthest from all picked before it, so any first n are
    well apart.  Picked as far as asked (1 ms a colour) and kept."""

    def __init__(self):
        grid = np.stack(np.meshgrid(_GRID, _GRID, _GRID, indexing="ij"), -1).reshape(-1, 3)
        lab = srgb_to_lab(grid)
        chroma = np.hypot(lab[:, 1], lab[:, 2])
        keep = (lab[:, 0] >= _LIGHTNESS[0]) & (lab[:, 0] <= _LIGHTNESS[1]) & (chroma >= _LEAST_CHROMA)
        self.grid, self.lab = grid[keep], lab[keep]
        self.picked = [int(np.argmax(chroma[keep]))]
        self.nearest = np.full(len(self.lab), np.inf)

    def first(self, n):
        while len(self.picked) < n:
            last = np.broadcast_to(self.lab[self.picked[-1]], self.lab.shape)
            self.nearest = np.minimum(self.nearest, ciede2000(self.lab, last))
            self.picked.append(int(np.argmax(self.nearest)))
        return self.grid[self.picked[:n]]


@functools.lru_cache(maxsize=1)
def _order():
    return _FarthestPoints()


def distinct_colors(n):
    """``n`` colours, each as far in CIELAB from the ones before it as the table allows.

    Parameters
    ----------
    n : int
        0..MAX_DISTINCT.

    Returns
    -------
    (n, 3) ndarray of uint8
        The same first colours for every ``n`` (a cluster keeps its colour when k grows).
    """
    n = check_int(n, "n", low=0, high=MAX_DISTINCT)
    with _LOCK:  # overlays are drawn on threads
        return _order().first(n)


def contrasting_ink(rgb):
    """Black or white, whichever stands out more on each colour (the larger WCAG
    contrast ratio).

    Parameters
    ----------
    rgb : (..., 3) ndarray of uint8

    Returns
    -------
    (..., 3) ndarray of uint8: 0 or 255 in all three channels.
    """
    # White's ratio (1.05 / (Y + 0.05)) beats black's ((Y + 0.05) / 0.05) below Y = 0.179.
    white = relative_luminance(rgb) < 0.179
    return np.repeat(np.where(white, 255, 0).astype(np.uint8)[..., None], 3, axis=-1)
