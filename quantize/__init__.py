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
    InputFileError,
    InvalidParameterError,
    OutputError,
    PaletteError,
    QuantizeError,
    QuantizeWarning,
    TargetNotMetError,
)
from .io import load_image
from .kmeans import KMeans
from .pipeline import (
    QuantizeResult, apply_palette, color_histogram, fit_palette, fit_shared_palette, quantize_image,
)
from .report import Report

__all__ = [
    "FewDistinctPointsWarning",
    "ImageError",
    "ImageTooLargeError",
    "InputFileError",
    "InvalidParameterError",
    "KSuggestion",
    "KMeans",
    "OutputError",
    "PaletteError",
    "QuantizeError",
    "QuantizeResult",
    "QuantizeWarning",
    "Report",
    "TargetNotMetError",
    "SegmentResult",
    "__version__",
    "apply_palette",
    "color_histogram",
    "fit_palette",
    "fit_shared_palette",
    "load_image",
    "quantize_image",
    "segment_image",
    "suggest_k",
]


def __getattr__(name):
    # Segmentation pulls in scipy.ndimage and parts of scikit-image (a quarter of a
    # second); load it on first use so that `quantize compress` starts fast.
    if name in ("SegmentResult", "segment_image"):
        from . import segment

        return getattr(segment, name)
    if name in ("KSuggestion", "suggest_k"):
        from . import choose_k

        return getattr(choose_k, name)
    raise AttributeError(f"module 'quantize' has no attribute {name!r}")
