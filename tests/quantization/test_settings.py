"""QuantizeSettings: checked once, when made; the public functions take it or its fields."""

import dataclasses

import numpy as np
import pytest

from quantize import (
    InvalidParameterError,
    QuantizeSettings,
    TargetNotMetError,
    apply_palette,
    fit_palette,
    load_image,
    quantize_image,
)
from quantize.quantization.search import Search


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("n_colors", 0, "n_colors=0 must be >= 1"),
        ("algorithm", "elkan", "algorithm='elkan' must be one of"),
        ("init", "kmeans", "init='kmeans' must be one of"),
        ("effort", "max", "effort='max' must be one of"),
        ("quality", -1, "quality=-1.0 must be a finite number >= 0.0"),
        ("max_delta_e", float("inf"), "max_delta_e=inf must be a finite number"),
        ("colorspace", "hsv", "colorspace='hsv' must be one of"),
        ("dither", "atkinson", "dither='atkinson' must be one of"),
        ("dither_strength", 1.5, "dither_strength=1.5 must be in"),
        ("random_state", -3, "random_state=-3 must be >= 0"),
        ("random_state", "seed", "random_state='seed' must be None, an int"),
        ("lock", [[0, 0, 0]] * 2, "lock must hold at most n_colors=16 distinct colours"),
        ("lock", [[0, 0, 300]], "palette values must be integers in 0..255"),
    ],
)
def test_every_field_is_checked_when_the_settings_are_made(field, value, message):
    with pytest.raises(InvalidParameterError, match=message):
        QuantizeSettings(**{field: value})


def test_lock_and_a_target_exclude_each_other():
    with pytest.raises(InvalidParameterError, match="lock cannot be combined with a quality target"):
        QuantizeSettings(lock=[[255, 0, 0]], quality=30)


def test_settings_are_normalised_frozen_and_replaced_with_checks():
    s = QuantizeSettings(n_colors=np.int64(8), quality=30, ssim=1)
    assert (type(s.n_colors), type(s.quality), s.ssim) == (int, float, True)
    assert QuantizeSettings(lock=[[1, 2, 3]]).lock.dtype == np.uint8
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_colors = 4
    assert s.replace(n_colors=4).n_colors == 4 and s.n_colors == 8
    with pytest.raises(InvalidParameterError, match="n_colors=0"):
        s.replace(n_colors=0)
    assert QuantizeSettings(quality=30).targeted and QuantizeSettings(max_delta_e=2).targeted
    assert not QuantizeSettings().targeted
    assert QuantizeSettings(init="sharding", algorithm="minibatch", effort="fast").search == Search(
        "sharding", "minibatch", "fast"
    )


def test_settings_for_call_refuses_unknown_keywords_and_other_objects(photo):
    from quantize._validation import settings_for_call

    with pytest.raises(TypeError, match="unexpected keyword argument 'colours'"):
        quantize_image(photo, colours=8)
    with pytest.raises(InvalidParameterError, match="settings must be a QuantizeSettings; got dict"):
        quantize_image(photo, settings={"n_colors": 8})
    base = QuantizeSettings(n_colors=8)
    assert settings_for_call(QuantizeSettings, base, {"effort": "normal"}) is base  # at its default: kept
    assert settings_for_call(QuantizeSettings, base, {"effort": "fast"}) == QuantizeSettings(n_colors=8, effort="fast")
    assert settings_for_call(QuantizeSettings, None, {"n_colors": 3}) == QuantizeSettings(n_colors=3)


def test_quantize_image_takes_settings_or_keywords_alike(photo):
    settings = QuantizeSettings(n_colors=6, colorspace="rgb", random_state=0)
    by_settings = quantize_image(photo, settings=settings)
    by_keywords = quantize_image(photo, 6, colorspace="rgb", random_state=0)
    np.testing.assert_array_equal(by_settings.palette, by_keywords.palette)
    np.testing.assert_array_equal(by_settings.labels, by_keywords.labels)
    # n_colors and keywords beside the settings replace its fields
    assert len(quantize_image(photo, 3, settings=settings).palette) == 3
    assert quantize_image(photo, settings=settings, effort="fast").report.effort == "fast"
    with pytest.raises(TypeError, match="unexpected keyword argument 'k'"):
        quantize_image(photo, k=4)


def test_fit_palette_takes_loaded_files_too(photo, tmp_path):
    from PIL import Image

    Image.fromarray(photo).save(tmp_path / "p.png")
    palette, labels = fit_palette(load_image(tmp_path / "p.png"), 5, random_state=0)
    same_palette, same_labels = fit_palette(photo, 5, random_state=0)
    np.testing.assert_array_equal(palette, same_palette)
    np.testing.assert_array_equal(labels, same_labels)


@pytest.mark.parametrize("dither", ["none", "floyd-steinberg"])
def test_a_missed_target_carries_the_k_colour_result(photo, dither):
    with pytest.raises(TargetNotMetError, match="target not met: 6 colours reach") as caught:
        quantize_image(photo, 6, quality=60, random_state=0, dither=dither)
    direct = quantize_image(photo, 6, random_state=0, dither=dither)
    missed = caught.value.result
    np.testing.assert_array_equal(missed.palette, direct.palette)
    np.testing.assert_array_equal(missed.labels, direct.labels)
    assert missed.report.notes == direct.report.notes + [str(caught.value)]
    assert caught.value.reached["psnr"] == pytest.approx(direct.report.psnr) or dither != "none"


def test_apply_palette_checks_its_options(photo):
    with pytest.raises(InvalidParameterError, match="dither_strength=2.0 must be in"):
        apply_palette(photo, [[0, 0, 0]], dither="ordered", dither_strength=2)
