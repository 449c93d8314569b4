import numpy as np
import pytest

from quantize.quantization.levels import Levels
from quantize.quantization.search import EFFORTS, Search, cluster_colors, search


@pytest.mark.parametrize("effort", EFFORTS)
def test_search_is_deterministic_and_lowers_the_objective(levels, effort):
    rng = np.random.default_rng(0)
    start_only = levels.objective(search(levels, 16, effort="fast", rng=rng))[0]
    a = search(levels, 16, effort=effort, rng=np.random.default_rng(1))
    b = search(levels, 16, effort=effort, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (16, 3) and a.dtype == np.float32
    assert levels.objective(a)[0] <= start_only * (1 + 1e-6)


def test_cluster_colors_on_few_colours_and_random_inits():
    colors = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], np.uint8)
    counts = np.array([5, 4, 3, 2, 1])
    for init in ("wu", "k-means++", "random", "sharding"):
        centers = cluster_colors(
            Levels(colors.astype(np.float32), counts, colors), 5, Search(init=init), rng=np.random.default_rng(0)
        )
        np.testing.assert_allclose(np.unique(centers.round(3), axis=0), np.unique(colors, axis=0), atol=1e-3)


def test_exact_labels_after_a_search_use_its_bounds_and_stay_exact(levels):
    """The search leaves the colours' assignment to its centres; the labels of other
    centres (rounded palette entries, or any) computed from it are still exact."""
    centers = search(levels, 64, rng=np.random.default_rng(0))
    assert levels._fitted is not None
    rng = np.random.default_rng(1)
    for shift in (0.0, 0.3, 5.0):
        moved = (centers + rng.normal(0, shift, centers.shape)).astype(np.float32)
        distances = ((levels.exact.X[:, None, :].astype(np.float64) - moved[None].astype(np.float64)) ** 2).sum(-1)
        np.testing.assert_array_equal(levels.exact_labels(moved), distances.argmin(axis=1))
