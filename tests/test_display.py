"""Notebook display of results (quantize.display and the results' _repr_png_ /
_repr_html_)."""

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

import quantize
from quantize import display

from .conftest import IMAGES


def _png(data):
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def _images(page):
    return [_png(base64.b64decode(uri)) for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


@pytest.mark.parametrize("shape", [(1, 1), (300, 451), (401, 7), (1200, 1600), (999, 1000)])
def test_before_and_after_shrink_to_the_same_size(shape):
    factor = display.step(shape)
    pixels = np.zeros((*shape, 3), np.uint8)
    labels = np.zeros(shape, np.int16)
    before, after = display.reduced(pixels, factor), display.reduced_labels(np.zeros((1, 3), np.uint8), labels, factor)
    assert before.shape[:2] == after.shape[:2] and max(before.shape[:2]) <= display.DISPLAY_SIZE


def test_reduced_labels_shows_palette_colours_only_and_keeps_transparency():
    palette = np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    labels = np.tile(np.repeat(np.array([0, 1, -1], np.int16), 300), (900, 1))  # three bands
    shown = display.reduced_labels(palette, labels, display.step(labels.shape))
    colours = {tuple(int(v) for v in p) for p in shown.reshape(-1, 4)}
    assert colours == {(255, 0, 0, 255), (0, 0, 255, 255), (0, 0, 0, 0)}


@pytest.fixture(scope="module")
def result():
    return quantize.quantize_image(quantize.load_image(IMAGES / "chelsea.png"), 8, random_state=0)


def test_a_result_shows_before_after_and_its_palette_as_png(result):
    picture = _png(result._repr_png_())
    factor = display.step(result.labels.shape)
    height, width = -(-300 // factor), -(-451 // factor)
    assert picture.shape == (height + 8 + display.STRIP_HEIGHT, 2 * width + 8, 4)
    strip = picture[-1, :, :3]  # the palette, in its order, across the width
    runs = [tuple(strip[0])] + [tuple(c) for a, c in zip(strip, strip[1:]) if tuple(a) != tuple(c)]
    assert runs == [tuple(c) for c in result.palette]
    after = picture[:height, width + 8 :, :3].reshape(-1, 3)
    assert {tuple(c) for c in after} <= {tuple(c) for c in result.palette}  # not blended
    assert "image" not in result.__dict__  # the full-size picture was never rebuilt for it


def test_a_result_shows_as_html_with_captions_swatches_and_figures(result):
    page = result._repr_html_()
    before, after = _images(page)
    assert before.shape == after.shape and "<figcaption>before</figcaption>" in page
    for color in result.palette:
        assert 'title="#{:02x}{:02x}{:02x}"'.format(*color) in page
    assert f"8 colours, PSNR {result.report.psnr:.2f} dB, mean ΔE2000" in page and "451 x 300 px" in page


def test_a_transparent_result_stays_transparent_in_its_pictures():
    transparent = quantize.quantize_image(quantize.load_image(IMAGES / "rocket-vignette.png"), 8)
    before, after = _images(transparent._repr_html_())
    assert before[0, 0, 3] == after[0, 0, 3] == 0 and after[..., 3].max() > 200  # a clear corner, a solid middle


def test_an_animation_shows_its_first_middle_and_last_frames():
    frames = [np.full((40, 60, 3), 40 * i, np.uint8) for i in range(5)]
    animation = quantize.quantize_animation(frames, 4)
    page = animation._repr_html_()
    assert [len(_images(page))] == [3] and "frame 1 of 5" in page and "frame 5 of 5" in page
    assert _png(animation._repr_png_()).shape[1] == 3 * 60 + 2 * 8


def test_a_segmentation_shows_the_image_and_its_clusters():
    segments = quantize.segment_image(quantize.load_image(IMAGES / "chelsea.png"), 3, random_state=0)
    page = segments._repr_html_()
    image, clusters = _images(page)
    assert image.shape == clusters.shape
    assert {tuple(c) for c in clusters[..., :3].reshape(-1, 3)} <= {tuple(c) for c in segments.colors}
    assert f"3 clusters, {len(segments.region_area)} regions" in page
    assert _png(segments._repr_png_()).shape[0] == image.shape[0] + 8 + display.STRIP_HEIGHT


def test_report_facts_say_lossless_and_leave_out_what_is_unknown(result):
    from dataclasses import replace

    assert replace(result.report, psnr=float("inf"), delta_e=None).facts() == "8 colours, lossless, 451 x 300 px"
