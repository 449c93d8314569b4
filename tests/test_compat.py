"""The import paths of quantize before its modules moved into packages keep working."""

import importlib

import pytest

from quantize.compat import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_every_old_module_path_imports_and_serves_its_names(old):
    module = importlib.import_module(f"quantize.{old}")
    for target in MOVED[old]:
        new = importlib.import_module(f"quantize.{target}")
        for name in (name for name in vars(new) if not name.startswith("_")):
            assert hasattr(module, name), f"quantize.{old} does not serve {name} of quantize.{target}"


def test_a_module_moved_whole_is_the_module_itself():
    import quantize.color.histogram as new
    import quantize.histogram as old

    assert old is new and new.__spec__.name == "quantize.color.histogram"


def test_split_modules_answer_the_old_names():
    from quantize.io import atomic_write, load_image, load_palette, save_quantized
    from quantize.pipeline import QuantizeResult, check_palette, quantize_image
    from quantize.segment import MAX_SEGMENTS, SegmentResult, segment_image

    assert load_image.__module__ == "quantize.files.read"
    assert atomic_write.__module__ == "quantize.files.write"
    assert save_quantized.__module__ == "quantize.files.encode"
    assert load_palette.__module__ == "quantize.files.palettes"
    assert quantize_image.__module__ == "quantize.quantization.api"
    assert QuantizeResult.__module__ == "quantize.quantization.result"
    assert check_palette.__module__ == "quantize.quantization.settings"
    assert segment_image.__module__ == "quantize.segmentation.api"
    assert SegmentResult.__module__ == "quantize.segmentation.result" and MAX_SEGMENTS == 256
    with pytest.raises(AttributeError, match="module 'quantize.io' has no attribute 'nothing'"):
        importlib.import_module("quantize.io").nothing


def test_unknown_paths_are_still_unknown():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("quantize.no_such_module")
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        import quantize

        quantize.nothing
