"""Segmentation: colour clusters, their connected regions, speckle cleanup and statistics.

:mod:`.settings` (the validated :class:`SegmentSettings`), :mod:`.auto` (the
smoothing and the smallest region chosen from the image), :mod:`.api`
(:func:`segment_image`), :mod:`.clustering` (pixels by colour, or colour and
position), :mod:`.regions` (connected regions, merging, statistics) and
:mod:`.result` (:class:`SegmentResult`, its JSON, pictures and files),
:mod:`.speckle` (tiny regions cleaned by a rule of bounded reach), :mod:`.tiled`
(:func:`segment_array`: an image larger than memory, tile by tile), with
:mod:`.bands` (reading it a band of rows at a time) and :mod:`.tile_regions` (each
tile's regions, joined across the tiles' edges).
"""

from .api import segment_image
from .auto import estimate_noise
from .result import OVERLAY_MODES, SegmentResult, output_names
from .settings import AUTO, MAX_SEGMENTS, MAX_SIGMA, MAX_SPATIAL, SegmentSettings
from .tiled import ArraySegmentation, segment_array

__all__ = [
    "AUTO",
    "ArraySegmentation",
    "MAX_SEGMENTS",
    "MAX_SIGMA",
    "MAX_SPATIAL",
    "OVERLAY_MODES",
    "SegmentResult",
    "SegmentSettings",
    "estimate_noise",
    "output_names",
    "segment_array",
    "segment_image",
]
