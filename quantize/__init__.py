"""quantize: colour quantisation and segmentation with a vectorised k-means core."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quantize")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.1.0"

from .errors import (
    FewDistinctPointsWarning,
    ImageError,
    ImageTooLargeError,
    InvalidParameterError,
    OutputError,
    QuantizeError,
    QuantizeWarning,
)
from .io import load_image
from .kmeans import KMeans
from .pipeline import QuantizeResult, fit_palette, quantize_image
from .report import Report
from .segment import SegmentResult, segment_image

__all__ = [
    "FewDistinctPointsWarning",
    "ImageError",
    "ImageTooLargeError",
    "InvalidParameterError",
    "KMeans",
    "OutputError",
    "QuantizeError",
    "QuantizeResult",
    "QuantizeWarning",
    "Report",
    "SegmentResult",
    "__version__",
    "fit_palette",
    "load_image",
    "quantize_image",
    "segment_image",
]
