"""The histogram at the search's resolutions: binned levels, exact labels, and
the bounds carried from a level to a finer one."""

import numpy as np
import pytest

from quantize.quantization.levels import Levels


def test_binned_levels_keep_the_exact_weights_and_mean(levels):
    total = levels.exact.w.sum()
    mean = levels.exact.w @ levels.exact.X.astype(np.float64)
    for bits in (4, 5, 6, 7):
        binned = levels.binned(bits)
        assert binned.w.sum() == total and len(binned) < len(levels)
        np.testing.assert_allclose(binned.w @ binned.X.astype(np.float64), mean, atol=1e-2 * total)
        # every colour lies within its bin's radius of the bin mean
        assert levels._bounding_bins() is binned  # the finest bins built so far
        reach = np.sqrt(((levels.exact.X - binned.X[binned.bins]) ** 2).sum(axis=1))
        assert (reach <= binned.radius[binned.bins] + 1e-6).all()


def test_levels_have_enough_bins_per_cluster(levels):
    for k in (2, 16, 64, 256):
        plan = levels.plan(k)
        sizes = [len(level) for level in plan]
        assert sizes == sorted(set(sizes)) and all(size * 2 <= len(levels) for size in sizes)
        assert not plan or sizes[0] >= max(2048, 16 * k)
    assert len(levels.start_level()) >= 4096
    tiny = Levels(np.eye(3, dtype=np.float32), np.ones(3), np.eye(3, dtype=np.uint8) * 255)
    assert tiny.plan(2) == [] and tiny.start_level() is tiny.exact


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 2, 16, 64, 256, 300])
def test_exact_labels_are_the_nearest_centres(levels, k):
    levels.binned(6)  # the bounds come from the finest bins built
    rng = np.random.default_rng(k)
    centers = levels.exact.X[rng.choice(len(levels), k, replace=False)] + rng.normal(0, 0.5, (k, 3)).astype(np.float32)
    labels = levels.exact_labels(centers)
    distances = ((levels.exact.X[:, None, :].astype(np.float64) - centers[None].astype(np.float64)) ** 2).sum(-1)
    np.testing.assert_array_equal(labels, distances.argmin(axis=1))


def test_ties_go_to_the_first_centre():
    colors = np.array([[0, 0, 0], [2, 2, 2], [4, 4, 4]], np.uint8)
    levels = Levels(colors.astype(np.float32), np.ones(3), colors)
    centers = np.array([[1, 1, 1], [3, 3, 3]], np.float32) - levels.offset
    np.testing.assert_array_equal(levels.exact_labels(centers), [0, 0, 1])  # [2,2,2] is equidistant


def _brute_labels(X, centers):
    distances = ((X[:, None, :].astype(np.float64) - centers[None].astype(np.float64)) ** 2).sum(-1)
    return distances.argmin(axis=1)


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 16, 256])
def test_bounds_carried_from_coarser_bins_give_the_exact_labels(levels, k):
    """A bin's label and bounds, widened by each colour's distance from the bin's mean,
    are bounds for its colours: once settled, the labels are the brute-force nearest."""
    from quantize.cluster.lloyd import Assignment

    rng = np.random.default_rng(k)
    coarse, fine = levels.binned(5), levels.binned(6)
    centers = coarse.X[rng.choice(len(coarse), k, replace=False)]
    assignment = Assignment.exact(coarse.X, centers)
    for level in (fine, levels.exact):
        carried = levels.carried(coarse, assignment, level)
        exact = _brute_labels(level.X, centers)
        own = np.sqrt(((level.X.astype(np.float64) - centers[carried.labels]) ** 2).sum(axis=1))
        assert (carried.upper >= own * (1 - 1e-9)).all()
        others = ((level.X[:, None, :].astype(np.float64) - centers[None].astype(np.float64)) ** 2).sum(-1)
        others[np.arange(len(level.X)), carried.labels] = np.inf
        assert (carried.lower <= np.sqrt(others.min(axis=1)) * (1 + 1e-9) + 1e-9).all()
        carried.settle(level.X, centers)
        np.testing.assert_array_equal(carried.labels, exact)
