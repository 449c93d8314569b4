"""Quantisation: arrays (or a file) in, results out.

:mod:`.settings` (the validated :class:`QuantizeSettings`), :mod:`.api` (the public
functions), :mod:`.colors` (an image's colours ready to cluster, palettes and their
errors from the histogram), :mod:`.search` (the palette search, coarse to fine),
:mod:`.target` (the fewest colours meeting a quality target), :mod:`.dither`,
:mod:`.result` and :mod:`.report` (what comes out), :mod:`.choose_k` (elbow and
silhouette over a range of k), :mod:`.animation` (every frame of an animation, one
palette for all).
"""

from .api import apply_palette, color_histogram, fit_palette, fit_shared_palette, quantize_image
from .report import Report
from .result import QuantizeResult
from .settings import MAX_PALETTE, QuantizeSettings, check_palette

__all__ = [
    "MAX_PALETTE",
    "QuantizeResult",
    "QuantizeSettings",
    "Report",
    "apply_palette",
    "check_palette",
    "color_histogram",
    "fit_palette",
    "fit_shared_palette",
    "quantize_image",
]
