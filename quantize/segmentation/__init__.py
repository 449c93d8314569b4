"""Segmentation: colour clusters, their connected regions, speckle cleanup and statistics.

:mod:`.settings` (the validated :class:`SegmentSettings`), :mod:`.api`
(:func:`segment_image`), :mod:`.clustering` (pixels by colour, or colour and
position), :mod:`.regions` (connected regions, merging, statistics) and
:mod:`.result` (:class:`SegmentResult`, its JSON, pictures and files).
"""

from .api import segment_image
from .result import SegmentResult, output_names
from .settings import MAX_SEGMENTS, MAX_SIGMA, SegmentSettings

__all__ = ["MAX_SEGMENTS", "MAX_SIGMA", "SegmentResult", "SegmentSettings", "output_names", "segment_image"]
