"""Quantising tile by tile (quantize.quantization.tiled): the summed histogram gives
the in-memory palette and labels exactly, for NumPy, sliceable and Dask arrays."""

import numpy as np
import pytest

import quantize
from quantize import InvalidParameterError
from quantize.quantization.settings import QuantizeSettings
from quantize.quantization.tiled import TileHistogram, fit_tiled_palette, quantize_array

from ..conftest import IMAGES


@pytest.fixture(scope="module")
def photo():
    return quantize.load_image(IMAGES / "chelsea.png").pixels


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"colorspace": "rgb", "effort": "fast"},
        {"colorspace": "lab", "effort": "thorough", "random_state": 3},
        {"algorithm": "minibatch", "random_state": 1},
        {"lock": [[255, 255, 255]]},
    ],
)
def test_quantize_array_gives_the_in_memory_palette_and_labels(photo, options):
    options = {"random_state": 0, **options}
    expected = quantize.quantize_image(photo, 12, **options)
    got = quantize.quantize_array(photo, 12, **options)
    assert np.array_equal(got.palette, expected.palette)
    assert np.array_equal(got.labels, expected.labels) and got.labels.dtype == np.uint8


def test_the_histogram_sums_tiles_in_any_order_exactly(photo):
    whole = TileHistogram()
    whole.add(photo)
    tiles = TileHistogram()
    pieces = [photo[r : r + 64, c : c + 100] for r in range(0, 300, 64) for c in range(0, 451, 100)]
    for piece in reversed(pieces):  # more than the parts kept before a merge
        tiles.add(piece)
    (colors, counts), (tile_colors, tile_counts) = whole.merged(), tiles.merged()
    assert np.array_equal(colors, tile_colors) and np.array_equal(counts, tile_counts)
    assert tiles.pixels == 300 * 451 == int(counts.sum())


def test_a_dask_array_gives_a_lazy_label_array(photo):
    da = pytest.importorskip("dask.array")
    expected = quantize.quantize_image(photo, 8, random_state=0)
    got = quantize_array(da.from_array(photo, chunks=(100, 150, 3)), 8, random_state=0)
    assert isinstance(got.labels, da.Array) and got.labels.chunks == ((100, 100, 100), (150, 150, 150, 1))
    assert np.array_equal(got.palette, expected.palette)
    assert np.array_equal(got.labels.compute(), expected.labels)


def test_uint16_and_opaque_rgba_convert_as_in_memory(photo):
    wide = photo.astype(np.uint16) * 257 + 100
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    for array in (wide, rgba):
        expected = quantize.quantize_image(array, 6, random_state=0)
        got = quantize_array(array, 6, random_state=0)
        assert np.array_equal(got.palette, expected.palette) and np.array_equal(got.labels, expected.labels)


def test_many_colours_take_int16_labels():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    got = quantize_array(pixels, 300, random_state=0, effort="fast")
    assert got.labels.dtype == np.int16 and got.labels.max() >= 256
    assert np.array_equal(got.labels, quantize.quantize_image(pixels, 300, random_state=0, effort="fast").labels)


@pytest.mark.parametrize(
    ("array", "options", "message"),
    [
        (np.zeros((4, 4, 2), np.uint8), {}, "shape"),
        (np.zeros((4, 4), np.uint8), {}, "shape"),
        (np.dstack([np.zeros((4, 4, 3), np.uint8), np.full((4, 4), 7, np.uint8)]), {}, "transparent"),
        (np.zeros((4, 4, 3), np.uint8), {"settings": QuantizeSettings(quality=30)}, "no quality target"),
        (np.zeros((4, 4, 3), np.uint8), {"settings": QuantizeSettings(dither="ordered")}, "without dithering"),
        (np.zeros((4, 4, 3), np.int32), {}, "uint8, uint16"),
    ],
)
def test_bad_arrays_and_options_are_refused(array, options, message):
    with pytest.raises(InvalidParameterError, match=message):
        quantize_array(array, 4, **options)


def test_fit_refuses_an_empty_histogram():
    with pytest.raises(InvalidParameterError, match="no pixel"):
        fit_tiled_palette(np.zeros((0, 3), np.uint8), np.zeros(0, np.int64), settings=QuantizeSettings())


def test_a_sliceable_array_is_read_a_block_of_rows_at_a_time(photo, monkeypatch):
    from quantize.quantization import tiled

    class Reads:  # a Zarr-like array that records what is read
        shape, dtype = photo.shape, photo.dtype

        def __init__(self):
            self.read = []

        def __getitem__(self, rows):
            self.read.append((rows.start, rows.stop))
            return photo[rows]

    monkeypatch.setattr(tiled, "_ROWS", 64)
    array = Reads()
    got = quantize_array(array, 9, random_state=0)
    assert np.array_equal(got.labels, quantize.quantize_image(photo, 9, random_state=0).labels)
    blocks = [(0, 64), (64, 128), (128, 192), (192, 256), (256, 300)]
    assert sorted(array.read) == sorted(blocks * 2)  # each block read once a pass, never the whole


@pytest.mark.parametrize("method", ["floyd-steinberg", "ordered"])
def test_dithered_bands_are_the_whole_image_dithered(photo, method):
    from quantize.metrics import mean_and_p95
    from quantize.quantization.exact import color_psnr
    from quantize.quantization.tiled import DITHER_BLOCK, dithered_band

    tall = np.vstack([photo, photo[::-1]])  # 600 rows: bands of one kernel block each
    expected = quantize.quantize_image(tall, 10, random_state=0, dither=method, dither_strength=0.8)
    histogram = TileHistogram()
    histogram.add(tall)
    settings = QuantizeSettings(n_colors=10, random_state=0, dither=method, dither_strength=0.8)
    fitted = fit_tiled_palette(*histogram.merged(), settings=settings)
    bands = [
        dithered_band(
            fitted, lambda a, b: tall[a:b], top, min(top + DITHER_BLOCK, 600), tall.shape, method=method, strength=0.8
        )
        for top in range(0, 600, DITHER_BLOCK)
    ]
    assert np.array_equal(np.concatenate([band.labels for band in bands]), expected.labels)
    sse = sum(band.squared_error for band in bands)
    assert color_psnr(fitted.colors, fitted.palette, fitted.color_labels, sse=sse) == expected.report.psnr
    mean, p95 = mean_and_p95(np.concatenate([band.delta_e for band in bands]))
    assert (mean, p95) == (expected.report.delta_e, expected.report.delta_e_p95)
    with pytest.raises(InvalidParameterError, match="multiple of 128"):
        dithered_band(fitted, lambda a, b: tall[a:b], 100, 200, tall.shape, method=method, strength=0.8)
