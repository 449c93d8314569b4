import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantize.color.histogram import ColorHistogram, coarse_bins, pack_colors, unpack_colors


@pytest.mark.parametrize("channels", [3, 4])
def test_pack_unpack_round_trip(channels):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(500, channels), dtype=np.uint8)
    codes = pack_colors(pixels)
    assert codes.dtype == np.uint32
    np.testing.assert_array_equal(unpack_colors(codes, channels), pixels)
    if channels == 3:
        assert codes.max() < 2**24


def test_histogram_of_a_photo(photo):
    pixels = photo.reshape(-1, 3)
    hist = ColorHistogram(pixels)
    assert hist.counts.sum() == len(pixels)
    assert len(np.unique(hist.colors, axis=0)) == len(hist)
    labels = hist.lookup(np.arange(len(hist), dtype=np.int32))
    np.testing.assert_array_equal(hist.colors[labels], pixels)


@settings(max_examples=50, deadline=None)
@given(
    pixels=arrays(
        np.uint8,
        st.tuples(st.integers(1, 200), st.sampled_from([3, 4])),
        elements=st.sampled_from([0, 1, 127, 128, 254, 255]),
    ),
)
def test_guarantees(pixels):
    hist = ColorHistogram(pixels)
    assert (hist.counts > 0).all() and hist.counts.sum() == len(pixels)
    assert len(np.unique(hist.colors, axis=0)) == len(hist)
    np.testing.assert_array_equal(hist.colors[hist.lookup(np.arange(len(hist)))], pixels)


def test_empty_pixels():
    hist = ColorHistogram(np.zeros((0, 3), np.uint8))
    assert len(hist) == 0 and hist.colors.shape == (0, 3)


def test_coarse_bins_group_nearby_colours():
    colors = np.array([[0, 0, 0], [3, 3, 3], [4, 0, 0], [255, 255, 255]], np.uint8)
    bins, n_bins = coarse_bins(colors, 6)  # 6 bits: bins 4 values wide
    assert n_bins == 3
    assert bins[0] == bins[1] != bins[2] != bins[3]


def assert_same_histogram(histogram, expected, pixels):
    """Same colours and counts, and the lookup gives every pixel back its colour."""
    np.testing.assert_array_equal(histogram.colors, expected.colors)
    np.testing.assert_array_equal(histogram.counts, expected.counts)
    labels = histogram.lookup(np.arange(len(histogram), dtype=np.int32))
    np.testing.assert_array_equal(histogram.colors[labels], pixels)


@pytest.mark.parametrize("channels", [3, 4])
def test_coarse_bins_table_and_sort_agree(monkeypatch, photo, channels):
    """The presence table and np.unique number the bins identically, in key order."""
    import quantize.color.histogram as histogram

    colors = ColorHistogram(photo.reshape(-1, 3)).colors
    if channels == 4:
        colors = np.column_stack([colors, colors[:, 0] // 2])
    monkeypatch.setattr(histogram, "_DENSE_KEYS", 1 << 30)
    by_table = coarse_bins(colors, 5)
    monkeypatch.setattr(histogram, "_DENSE_KEYS", 0)
    by_sort = coarse_bins(colors, 5)
    np.testing.assert_array_equal(by_table[0], by_sort[0])
    assert by_table[1] == by_sort[1] == len(np.unique(by_sort[0])) > 1


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("table_min", [0, 1 << 40])
def test_strips_are_merged_exactly(monkeypatch, photo, channels, table_min):
    """Small strips force the threaded per-strip histograms (of images too big for
    the compiled pass) and their merge; the lookup goes through the 2^24 table or
    the binary search."""
    import quantize.color.histogram as histogram

    monkeypatch.setattr(histogram, "_TABLE_MIN_PIXELS", table_min)
    monkeypatch.setattr(histogram, "_KERNEL_MAX_PIXELS", 0)
    pixels = photo.reshape(-1, 3)
    if channels == 4:
        pixels = np.column_stack([pixels, (pixels[:, 0] // 64 * 85).astype(np.uint8)])
    whole = ColorHistogram(pixels)
    monkeypatch.setattr(histogram, "_STRIP", 5000)
    stripped = ColorHistogram(pixels)
    assert_same_histogram(stripped, whole, pixels)


def test_dense_count_table_gives_the_same_histogram(monkeypatch, photo):
    """Big RGB images are counted in one 2^24 table instead of sorted strips."""
    import quantize.color.histogram as histogram

    pixels = photo.reshape(-1, 3)
    sorted_strips = ColorHistogram(pixels)
    monkeypatch.setattr(histogram, "_DENSE_MIN_PIXELS", 0)
    monkeypatch.setattr(histogram, "_DENSE_STRIP", 10_000)
    dense = ColorHistogram(pixels)
    assert_same_histogram(dense, sorted_strips, pixels)


def test_merge_keeps_counts_past_two_to_the_32():
    from quantize.color.histogram import merge_histograms

    big = (1 << 32) + 5
    a = (np.array([3, 7], np.uint32), np.array([big, 1], np.int64))
    b = (np.array([7, 9], np.uint32), np.array([2, 4], np.int64))
    codes, counts = merge_histograms([a, b])
    assert codes.tolist() == [3, 7, 9] and counts.tolist() == [big, 3, 4]
    small = merge_histograms([(np.array([1, 2], np.uint32), np.array([5, 6])), b])
    assert small[0].tolist() == [1, 2, 7, 9] and small[1].tolist() == [5, 6, 2, 4]
    empty = merge_histograms([])
    assert len(empty[0]) == len(empty[1]) == 0


def test_a_shared_palette_weighs_counts_past_two_to_the_32():
    from quantize import fit_shared_palette

    red = (np.array([[255, 0, 0]], np.uint8), np.array([1 << 32]))
    blue = (np.array([[0, 0, 255]], np.uint8), np.array([1]))
    palette = fit_shared_palette([red, blue], 1, random_state=0)
    assert palette[0, 0] > 250 and palette[0, 2] < 5


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("levels", [2, 40, 256])
def test_the_compiled_histogram_equals_numpy_unique(channels, threads, levels):
    """Codes in increasing order, their counts and every pixel's index, as
    np.unique gives them, whatever the threads (strips merged)."""
    from quantize._compiled import kernel

    rng = np.random.default_rng(levels)
    pixels = rng.integers(0, levels, (200_003, channels)).astype(np.uint8)
    pixels[1000:5000] = pixels[999]  # a run of one colour
    codes, counts, inverse = kernel("color._histogram").histogram(pixels, threads)
    want, want_inverse, want_counts = np.unique(pack_colors(pixels), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(codes, want)
    np.testing.assert_array_equal(counts, want_counts)
    np.testing.assert_array_equal(inverse, want_inverse.reshape(-1))
    assert codes.dtype == np.uint32 and counts.dtype == np.int64 and inverse.dtype == np.int32
