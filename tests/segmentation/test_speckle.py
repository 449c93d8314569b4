"""Speckle (quantize.segmentation.speckle): every region below the size takes the cluster
it shares the most border with, decided on the map as it was; a block with a margin of
the size decides its middle as the whole map does."""

import numpy as np
import pytest
from skimage import measure

from quantize.segmentation.speckle import SPECKLE, despeckle, despeckle_block, speckle_size


def oracle(clusters, size, centers):
    """The rule, region by region (a loop over regions, not pixels)."""
    regions = measure.label(clusters + 1, background=0, connectivity=1)
    out = clusters.copy()
    padded = np.pad(clusters, 1, constant_values=-1)
    padded_regions = np.pad(regions, 1, constant_values=0)
    for r in range(1, regions.max() + 1):
        mask = padded_regions == r
        if mask.sum() >= size:
            continue
        own = padded[mask][0]
        borders = {}
        for axis, step in ((0, 1), (0, -1), (1, 1), (1, -1)):
            shifted = np.roll(mask, step, axis=axis)  # the pixels next to the region's
            near = shifted & ~mask & (padded >= 0)
            # each pixel pair counts once: count the region's pixels that have it as neighbour
            for cluster in np.unique(padded[near]):
                borders[cluster] = borders.get(cluster, 0) + int((near & (padded == cluster)).sum())
        if not borders:
            continue
        best = min(borders, key=lambda c: (-borders[c], float(((centers[own] - centers[c]) ** 2).sum()), c))
        out[regions == r] = best
    return out


def speckled(shape=(60, 80), k=4, seed=0):
    rng = np.random.default_rng(seed)
    base = (np.arange(shape[1])[None, :] // 20 + np.arange(shape[0])[:, None] // 25) % k
    noise = rng.random(shape) < 0.15
    return np.where(noise, rng.integers(0, k, shape), base).astype(np.int32)


@pytest.mark.parametrize("size", [2, 5, 16])
def test_the_rule_region_by_region(size):
    clusters = speckled()
    centers = np.random.default_rng(1).random((4, 3))
    whole = (slice(0, clusters.shape[0]), slice(0, clusters.shape[1]))
    assert np.array_equal(despeckle_block(clusters, whole, size, centers), oracle(clusters, size, centers))


def test_a_tie_goes_to_the_nearest_colour_then_the_lower_cluster():
    clusters = np.array([[0, 0, 0], [1, 3, 2], [1, 4, 2]], dtype=np.int32)
    whole = (slice(0, 3), slice(0, 3))
    # the single pixel of cluster 3 touches 0, 1, 2 and 4 once each
    near_two = np.array([[0.0], [5.0], [9.0], [10.0], [30.0]])
    assert despeckle_block(clusters, whole, 2, near_two)[1, 1] == 2
    equal = np.zeros((5, 1))
    assert despeckle_block(clusters, whole, 2, equal)[1, 1] == 0


def test_missing_pixels_are_no_neighbour():
    clusters = np.array([[-1, -1, -1], [-1, 2, 1], [-1, 1, 1]], dtype=np.int32)
    out = despeckle_block(clusters, (slice(0, 3), slice(0, 3)), 2, np.zeros((3, 1)))
    assert out[1, 1] == 1 and (out[clusters < 0] == -1).all()
    alone = np.array([[-1, -1], [-1, 0]], dtype=np.int32)  # no neighbour: stays
    assert np.array_equal(despeckle_block(alone, (slice(0, 2), slice(0, 2)), 5, np.zeros((1, 1))), alone)


def test_a_block_with_a_margin_decides_as_the_whole_map():
    clusters = speckled((150, 170), seed=3)
    centers = np.random.default_rng(2).random((4, 3))
    size = 12
    whole = despeckle_block(clusters, (slice(0, 150), slice(0, 170)), size, centers)
    for top, left in [(0, 0), (40, 50), (100, 120), (30, 0)]:
        rows, columns = slice(top, top + 50), slice(left, left + 50)
        outer_top, outer_left = max(top - size, 0), max(left - size, 0)
        block = clusters[outer_top : top + 50 + size, outer_left : left + 50 + size]
        core = (slice(top - outer_top, top - outer_top + 50), slice(left - outer_left, left - outer_left + 50))
        assert np.array_equal(despeckle_block(block, core, size, centers), whole[rows, columns])


def test_despeckle_by_strips_is_the_whole_map_in_place(monkeypatch):
    from quantize.segmentation import speckle

    monkeypatch.setattr(speckle, "STRIP", 1)  # strips of 8 x size rows
    clusters = speckled((200, 90), seed=5)
    centers = np.random.default_rng(4).random((4, 3))
    expected = despeckle_block(clusters, (slice(0, 200), slice(0, 90)), 6, centers)
    out = despeckle(clusters, 6, centers)
    assert out is clusters and np.array_equal(out, expected)


def test_sizes_that_clean_nothing():
    clusters = speckled()
    assert np.array_equal(despeckle(clusters.copy(), 1, np.zeros((4, 1))), clusters)
    assert np.array_equal(despeckle(clusters.copy(), 0, np.zeros((4, 1))), clusters)
    whole = (slice(0, 60), slice(0, 80))
    assert np.array_equal(despeckle_block(clusters, whole, 1, np.zeros((4, 1))), clusters)
    assert [speckle_size(m) for m in (0, 1, 10, 10_000)] == [0, 0, 10, SPECKLE]


def test_many_clusters_sort_the_borders_instead_of_a_table(monkeypatch):
    from quantize.segmentation import speckle

    monkeypatch.setattr(speckle, "_TABLE", 0)
    clusters = speckled((50, 70), k=5, seed=7)
    centers = np.random.default_rng(3).random((5, 3))
    whole = (slice(0, 50), slice(0, 70))
    assert np.array_equal(despeckle_block(clusters, whole, 9, centers), oracle(clusters, 9, centers))
