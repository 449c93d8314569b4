"""quantize: colour quantisation and segmentation with a vectorised k-means core.

The public API is here; docs/ARCHITECTURE.md says where everything lives.  Each
public name but the errors loads its module on first use.
"""

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

#: The public names loaded on first use, and the module that holds each: importing
#: quantize (and so starting the command line) loads neither NumPy nor Pillow.
_LAZY = {
    "get_num_threads": "_parallel",
    "set_num_threads": "_parallel",
    "KMeans": "cluster",
    "load_image": "files.read",
    "save": "files.results",
    "encode": "files.results",
    "save_segments": "files.results",
    **dict.fromkeys(
        [
            "QuantizeResult",
            "QuantizeSettings",
            "Report",
            "apply_palette",
            "color_histogram",
            "fit_palette",
            "fit_shared_palette",
            "quantize_image",
        ],
        "quantization",
    ),
    "SegmentResult": "segmentation",
    "SegmentSettings": "segmentation",
    "segment_image": "segmentation",
    "KSuggestion": "quantization.choose_k",
    "suggest_k": "quantization.choose_k",
    "BatchSettings": "batch",
    "quantize_folder": "batch",
    "AnimationResult": "quantization.animation",
    "quantize_animation": "quantization.animation",
    "ArrayQuantization": "quantization.tiled",
    "TileHistogram": "quantization.tiled",
    "quantize_array": "quantization.tiled",
    "ArraySegmentation": "segmentation.tiled",
    "segment_array": "segmentation.tiled",
    "save_tiled_segments": "files.tiled_segments",
}

__all__ = [
    "AnimationResult",
    "ArrayQuantization",
    "ArraySegmentation",
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
    "TileHistogram",
    "__version__",
    "apply_palette",
    "color_histogram",
    "encode",
    "fit_palette",
    "fit_shared_palette",
    "get_num_threads",
    "load_image",
    "quantize_animation",
    "quantize_array",
    "quantize_folder",
    "quantize_image",
    "save",
    "save_segments",
    "save_tiled_segments",
    "segment_array",
    "segment_image",
    "set_num_threads",
    "suggest_k",
]


def __getattr__(name):
    if name == "__version__":
        from ._meta import installed_version

        globals()[name] = value = installed_version()
        return value
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module 'quantize' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
