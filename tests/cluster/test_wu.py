import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantize import InvalidParameterError, KMeans
from quantize.cluster.wu import wu_centers, wu_splits


def test_two_separated_clusters_are_split_at_the_gap():
    rng = np.random.default_rng(0)
    low = rng.uniform(0, 10, (200, 3))
    high = rng.uniform(90, 100, (300, 3))
    X = np.vstack([low, high])
    centers = wu_centers(X, 2)
    centers = centers[np.argsort(centers[:, 0])]
    np.testing.assert_allclose(centers, [low.mean(axis=0), high.mean(axis=0)], rtol=1e-12)
    splits = wu_splits(X, 2)
    boxes = splits.assign_boxes(X, 2)
    assert len(set(boxes[:200])) == 1 and len(set(boxes[200:])) == 1 and boxes[0] != boxes[-1]


def test_k_distinct_colours_give_k_boxes_on_them():
    corners = np.array([[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)], dtype=float)
    X = np.repeat(corners, np.arange(1, 9), axis=0)  # distinct counts, so no tie in the cuts
    centers = wu_centers(X, 8)
    assert len(centers) == 8
    np.testing.assert_allclose(np.unique(centers.round(9), axis=0), np.unique(corners, axis=0), atol=1e-9)


def test_box_moments_and_errors_equal_brute_force_sums():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 3)) * [40, 10, 3] + 100
    w = rng.integers(1, 20, len(X)).astype(float)
    splits = wu_splits(X, 24, sample_weight=w)
    assert splits.n_boxes == 24
    for k in (1, 2, 7, 24):
        boxes = splits.assign_boxes(X, k)
        assert len(np.unique(boxes)) == k  # the boxes partition the points
        weight = np.bincount(boxes, weights=w, minlength=k)
        sums = np.stack([np.bincount(boxes, weights=w * X[:, j], minlength=k) for j in range(3)], axis=1)
        lower, upper = splits.bounds(k)
        moments = splits._boxes.moments(lower, upper)
        np.testing.assert_allclose(moments[:, 0], weight, rtol=1e-9)
        np.testing.assert_allclose(splits.centers(k), sums / weight[:, None], rtol=1e-9)
        sse = float(w @ ((X - splits.centers(k)[boxes]) ** 2).sum(axis=1))
        assert splits.sse[k - 1] == pytest.approx(sse, rel=1e-6)
    assert (np.diff(splits.sse) <= 1e-9 * splits.sse[0]).all()  # every cut lowers the error


def test_a_deeper_run_gives_the_same_palette_bit_for_bit():
    rng = np.random.default_rng(2)
    X = rng.uniform(0, 255, (3000, 3))
    w = rng.integers(1, 9, len(X)).astype(float)
    deep = wu_splits(X, 64, sample_weight=w)
    for k in (1, 3, 16, 63, 64):
        np.testing.assert_array_equal(deep.centers(k), wu_splits(X, k, sample_weight=w).centers(k))
    with pytest.raises(InvalidParameterError, match="k=65 must be in 1..64"):
        deep.centers(65)


def test_weights_count_as_repeated_points():
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 100, (500, 3))
    w = rng.integers(1, 4, len(X))
    np.testing.assert_allclose(wu_centers(X, 10, sample_weight=w), wu_centers(np.repeat(X, w, axis=0), 10), rtol=1e-9)


def test_a_constant_channel_takes_one_bin():
    """A grey image with alpha (R = G = B) has two live axes: they get the grid's
    cells, so Wu tells apart many more of its colours."""
    rng = np.random.default_rng(4)
    grey, alpha = rng.integers(0, 256, 5000), rng.integers(1, 256, 5000)
    X = np.column_stack([grey, grey, grey, alpha]).astype(float)
    splits = wu_splits(X, 200)
    assert splits.n_boxes == 200
    assert sorted(splits._boxes.bins)[:2] == [1, 1] and np.prod(splits._boxes.bins) > 10_000


def test_wu_stops_when_no_box_can_be_cut():
    X = np.array([[0.0, 0, 0], [10, 10, 10], [20, 20, 20]])
    splits = wu_splits(X, 8)
    assert splits.n_boxes == 3 and len(wu_centers(X, 8)) == 3
    assert splits.sse[-1] == pytest.approx(0, abs=1e-9)


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="at most 4 features"):
        wu_centers(np.zeros((10, 5)), 2)
    with pytest.raises(InvalidParameterError, match="n_clusters=0"):
        wu_centers(np.zeros((10, 3)), 0)
    with pytest.raises(InvalidParameterError, match="sample_weight"):
        wu_centers(np.zeros((10, 3)), 2, sample_weight=-np.ones(10))
    with pytest.raises(InvalidParameterError, match="cells=1"):
        wu_centers(np.zeros((10, 3)), 2, cells=1)


def test_kmeans_init_wu_is_deterministic_and_valid_for_weighted_data():
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 255, (2000, 3))
    w = rng.integers(1, 50, len(X)).astype(float)
    a = KMeans(12, init="wu", algorithm="lloyd", random_state=0).fit(X, sample_weight=w)
    b = KMeans(12, init="wu", algorithm="lloyd", random_state=99).fit(X, sample_weight=w)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.n_clusters_ == 12 and np.isfinite(a.cluster_centers_).all()
    d = ((X[:, None] - a.cluster_centers_[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(a.labels_, d.argmin(axis=1))
    # a good start: Lloyd from it ends at least as low as k-means++ on average
    plusplus = np.mean(
        [KMeans(12, algorithm="lloyd", random_state=s).fit(X, sample_weight=w).inertia_ for s in range(5)]
    )
    assert a.inertia_ <= plusplus * 1.02
    with pytest.raises(InvalidParameterError, match="init='wu' takes at most 4 features"):
        KMeans(3, init="wu").fit(rng.normal(size=(50, 6)))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), k=st.integers(1, 12), d=st.integers(1, 4), seed=st.integers(0, 1000))
def test_guarantees_on_random_data(n, k, d, seed):
    """Deterministic; at most k centres, each the weighted mean of its box's points;
    the error never rises with k."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 6, (n, d)).astype(float)  # few distinct values: ties and empty cuts
    w = rng.integers(1, 5, n).astype(float)
    splits = wu_splits(X, k, sample_weight=w)
    assert 1 <= splits.n_boxes <= k
    boxes = splits.assign_boxes(X, splits.n_boxes)
    for box in range(splits.n_boxes):
        inside = boxes == box
        assert inside.any()
        np.testing.assert_allclose(
            splits.centers(splits.n_boxes)[box], w[inside] @ X[inside] / w[inside].sum(), atol=1e-9
        )
    assert (np.diff(splits.sse) <= 1e-9 * max(splits.sse[0], 1)).all()
    np.testing.assert_array_equal(splits.centers(splits.n_boxes), wu_centers(X, k, sample_weight=w))
