"""quantize: colour quantisation and segmentation with a vectorised k-means core.

The public API is here; docs/ARCHITECTURE.md says where everything lives.  Heavy
parts (segmentation's scipy and scikit-image, suggest-k, batch) load on first use.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quantize")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.1.0"

from . import compat
from ._parallel import get_num_threads, set_num_threads
from .cluster import KMeans
from .errors import (
    ClusterError,
    FewDistinctPointsWarning,
    ImageError,
    ImageTooLargeError,
    InputFileError,
    InvalidParameterError,
    NotFittedError,
    OutputError,
    PaletteError,
    QuantizeError,
    QuantizeWarning,
    TargetNotMetError,
)
from .files.read import load_image
from .quantization import (
    QuantizeResult, QuantizeSettings, Report, apply_palette, color_histogram, fit_palette, fit_shared_palette,
    quantize_image,
)

compat.install()

#: Names loaded on first use, and the module that holds each.
_LAZY = {
    "SegmentResult": "segmentation", "SegmentSettings": "segmentation", "segment_image": "segmentation",
    "KSuggestion": "quantization.choose_k", "suggest_k": "quantization.choose_k",
    "BatchSettings": "batch", "quantize_folder": "batch",
    "AnimationResult": "quantization.animation", "quantize_animation": "quantization.animation",
}

__all__ = [
    "AnimationResult",
    "BatchSettings",
    "ClusterError",
    "FewDistinctPointsWarning",
    "ImageError",
    "ImageTooLargeError",
    "InputFileError",
    "InvalidParameterError",
    "KSuggestion",
    "KMeans",
    "NotFittedError",
    "OutputError",
    "PaletteError",
    "QuantizeError",
    "QuantizeResult",
    "QuantizeSettings",
    "QuantizeWarning",
    "Report",
    "SegmentResult",
    "SegmentSettings",
    "TargetNotMetError",
    "__version__",
    "apply_palette",
    "color_histogram",
    "fit_palette",
    "fit_shared_palette",
    "get_num_threads",
    "load_image",
    "quantize_animation",
    "quantize_folder",
    "quantize_image",
    "segment_image",
    "set_num_threads",
    "suggest_k",
]


def __getattr__(name):
    # Segmentation pulls in scipy.ndimage and parts of scikit-image (a quarter of a
    # second); load it and the other heavy parts on first use, so that
    # `quantize compress` starts fast.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'quantize' has no attribute {name!r}")
