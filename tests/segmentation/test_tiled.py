"""Segmenting tile by tile (quantize.segmentation.tiled): the clusters, regions, boundaries
and statistics of segment_image on the whole image, exactly, whatever the tiles."""

import numpy as np
import pytest

import quantize
from quantize import InvalidParameterError
from quantize.drawing import inner_boundaries
from quantize.segmentation import SegmentSettings, bands, tiled
from quantize.segmentation.tiled import segment_array

from ..conftest import IMAGES

STATISTICS = [
    "colors",
    "cluster_pixels",
    "cluster_regions",
    "cluster_bboxes",
    "region_cluster",
    "region_area",
    "region_centroids",
    "region_bboxes",
    "region_colors",
]


@pytest.fixture(autouse=True)
def small_tiles(monkeypatch):
    monkeypatch.setattr(tiled, "TILE", 96)  # many tiles on small images: every border crossed


@pytest.fixture(scope="module")
def photo():
    return quantize.load_image(IMAGES / "chelsea.png").pixels


def noisy(photo, sigma, seed=0):
    rng = np.random.default_rng(seed)
    return np.clip(photo + rng.normal(0, sigma, photo.shape), 0, 255).astype(np.uint8)


def maps(segmentation, pixels):
    """The clusters, regions and boundaries put together from the tiles (whose pixels
    must be the image's)."""
    height, width = segmentation.shape
    clusters = np.full((height, width), -9, np.int32)
    regions, boundaries = clusters.copy(), np.zeros((height, width), bool)
    for tile in segmentation.tiles():
        clusters[tile.window], regions[tile.window], boundaries[tile.window] = (
            tile.clusters,
            tile.regions,
            tile.boundaries,
        )
        assert np.array_equal(tile.pixels, pixels[tile.window])
    return clusters, regions, boundaries


def assert_same(image, **options):
    expected = quantize.segment_image(image, random_state=0, **options)
    got = segment_array(image, random_state=0, **options)
    clusters, regions, boundaries = maps(got, expected.image[..., :3])
    assert np.array_equal(clusters, expected.clusters)
    assert np.array_equal(regions, expected.regions)
    assert np.array_equal(boundaries, inner_boundaries(expected.regions))
    for name in STATISTICS:
        assert np.array_equal(getattr(got, name), getattr(expected, name)), name
    assert got.parameters == expected.parameters
    summary, expected_summary = got.to_dict(), expected.to_dict()
    for key in ("seconds",):
        summary.pop(key), expected_summary.pop(key)
    assert summary == expected_summary
    return got


@pytest.mark.parametrize(
    "options",
    [
        {"n_segments": 6},
        {"n_segments": 3, "min_region": 0},
        {"n_segments": 5, "min_region": 300, "colorspace": "lab"},
        {"n_segments": 8, "sigma": 2.0},
        {"n_segments": 4, "min_region": 40, "effort": "thorough"},
    ],
)
def test_the_in_memory_segmentation_of_a_photo(photo, options):
    assert_same(photo, **options)


@pytest.mark.parametrize("sigma, smoothed", [(6, False), (20, True)])
def test_the_in_memory_segmentation_of_a_noisy_photo(photo, sigma, smoothed):
    got = assert_same(noisy(photo, sigma), n_segments=5)
    assert got.parameters["cluster_space"] == "rgb" and (got.parameters["sigma"] > 0) == smoothed


def test_uint16_and_opaque_rgba_segment_as_in_memory(photo):
    assert_same(photo.astype(np.uint16) * 257, n_segments=4)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    assert_same(rgba, n_segments=4)


def test_a_zarr_array_is_read_a_band_at_a_time(photo, tmp_path, monkeypatch):
    zarr = pytest.importorskip("zarr")
    array = zarr.open_array(str(tmp_path / "a.zarr"), mode="w", shape=photo.shape, chunks=(64, 128, 3), dtype="u1")
    array[:] = photo
    reads = []
    original = bands.RowReader._chunk_row

    def counted(self, index):
        reads.append(index)
        return original(self, index)

    monkeypatch.setattr(bands.RowReader, "_chunk_row", counted)
    got = segment_array(array, 5, random_state=0)
    expected = quantize.segment_image(photo, 5, random_state=0)
    assert np.array_equal(maps_of(got), expected.clusters)
    chunk_rows = -(-photo.shape[0] // 64)
    # the noise, the histogram, the regions and the maps read each chunk row once at most
    assert set(reads) == set(range(chunk_rows)) and len(reads) <= 4 * chunk_rows


def maps_of(segmentation):
    clusters = np.zeros(segmentation.shape, np.int32)
    for tile in segmentation.tiles():
        clusters[tile.window] = tile.clusters
    return clusters


def test_progress_counts_bands(photo):
    seen = []
    segment_array(photo, 3, random_state=0, progress=lambda step, done, total: seen.append((step, done, total)))
    bands, columns = -(-photo.shape[0] // 96), -(-photo.shape[1] // 96)
    tiles = [(i * columns, bands * columns) for i in range(1, bands + 1)]
    assert seen == [("count", *t) for t in tiles] + [("regions", *t) for t in tiles]


def test_few_colours_are_noted_as_in_memory():
    image = np.zeros((150, 200, 3), np.uint8)
    image[:, 100:] = 200
    with pytest.warns(quantize.FewDistinctPointsWarning):
        expected = quantize.segment_image(image, 4, random_state=0)
    with pytest.warns(quantize.FewDistinctPointsWarning):
        got = segment_array(image, 4, random_state=0)
    assert got.notes == expected.notes and "only 2 clusters" in got.notes[0]
    assert got.shares.tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    "array, options, message",
    [
        (np.zeros((8, 8, 3), np.uint8), {"settings": SegmentSettings(spatial=2.0)}, "by colour alone"),
        (np.zeros((8, 8), np.uint8), {}, r"shape \(H, W, 3\)"),
        (np.zeros((0, 8, 3), np.uint8), {}, r"shape \(H, W, 3\)"),
        (np.dstack([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8)]), {}, "transparent"),
        (np.zeros((8, 8, 3), np.uint8), {"n_segments": 0}, "n_segments"),
    ],
)
def test_bad_arrays_and_options_are_refused(array, options, message):
    with pytest.raises(InvalidParameterError, match=message):
        segment_array(array, **options)
