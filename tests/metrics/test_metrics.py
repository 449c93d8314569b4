import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from quantize.metrics import adjusted_rand_index, psnr, ssim


@pytest.fixture
def pair(photo):
    degraded = (photo // 24 * 24 + 5).astype(np.uint8)
    return photo, degraded


def test_psnr_matches_skimage(pair):
    a, b = pair
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255), rel=1e-12)


def test_psnr_known_value_and_identity():
    a = np.zeros((4, 4, 3), np.uint8)
    b = np.full((4, 4, 3), 255, np.uint8)
    assert psnr(a, b) == pytest.approx(0.0)
    assert psnr(a, a) == float("inf")


def test_ssim_matches_skimage(pair):
    a, b = pair
    expected = structural_similarity(a, b, channel_axis=-1, data_range=255)
    assert ssim(a, b) == pytest.approx(expected, abs=1e-7)


def test_ssim_matches_skimage_on_noise_and_greyscale():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (300, 41), dtype=np.uint8)  # taller than one strip
    b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    assert ssim(a, b) == pytest.approx(structural_similarity(a, b, data_range=255), abs=1e-7)
    assert ssim(a, a) == pytest.approx(1.0)


def test_ssim_undefined_below_window():
    a = np.zeros((6, 20, 3), np.uint8)
    assert ssim(a, a) is None


def test_shapes_must_match():
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="differ in shape"):
        ssim(np.zeros((8, 8)), np.zeros((8, 9)))


def test_adjusted_rand_index():
    assert adjusted_rand_index([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9]) == 1.0
    # by hand: 2 agreeing pairs, 1.6 expected by chance, 4 at most: (2-1.6)/(4-1.6)
    assert adjusted_rand_index([0, 0, 0, 1, 1], [0, 0, 1, 1, 1]) == pytest.approx(1 / 6)
    assert adjusted_rand_index(["a", "a", "b"], ["x", "y", "y"]) == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="same length"):
        adjusted_rand_index([0, 1], [0])


# --- clustering metrics: hand-solvable values and published ones on iris ---------------

from quantize import KMeans  # noqa: E402
from quantize.metrics import (  # noqa: E402
    davies_bouldin_score,
    delta_e_2000,
    dunn_index,
    inertia,
    pair_f_measure,
    rand_index,
    silhouette_score,
)

LINE = np.array([[0.0], [1.0], [10.0], [11.0]])
TWO = np.array([0, 0, 1, 1])


def test_internal_metrics_on_a_hand_solvable_set():
    # point 0: a = 1, b = (10 + 11) / 2; point 1: a = 1, b = (9 + 10) / 2; the rest mirror them
    expected = ((10.5 - 1) / 10.5 + (9.5 - 1) / 9.5) / 2
    assert silhouette_score(LINE, TWO) == pytest.approx(expected, abs=1e-12)
    assert davies_bouldin_score(LINE, TWO) == pytest.approx((0.5 + 0.5) / 10, abs=1e-12)
    assert dunn_index(LINE, TWO) == pytest.approx(9.0, abs=1e-12)
    assert inertia(LINE, TWO, np.array([[0.5], [10.5]])) == pytest.approx(4 * 0.25)
    assert silhouette_score(LINE, np.zeros(4, int)) == 0.0 and davies_bouldin_score(LINE, np.zeros(4, int)) == 0.0


def test_weights_stand_for_repeated_points():
    """A histogram's counts weigh as repeated rows: exact for inertia and Davies–Bouldin,
    and silhouette's weighted sample estimates the repeated set's value."""
    weights = np.array([3, 1, 2, 2])
    repeated = np.repeat(LINE, weights, axis=0)
    labels = np.repeat(TWO, weights)
    centers = np.array([[0.25], [10.5]])
    assert inertia(LINE, TWO, centers, sample_weight=weights) == pytest.approx(inertia(repeated, labels, centers))
    assert davies_bouldin_score(LINE, TWO, sample_weight=weights) == pytest.approx(
        davies_bouldin_score(repeated, labels)
    )
    many = np.repeat(LINE, weights * 500, axis=0)  # a pixel-sized population
    assert silhouette_score(LINE, TWO, sample_weight=weights) == pytest.approx(
        silhouette_score(many, np.repeat(TWO, weights * 500), sample_size=len(many)), abs=0.01
    )


def test_pair_counting_metrics():
    truth, pred = [0, 0, 1, 1], [0, 0, 0, 1]
    # pairs: 6; together in truth 2, in pred 3, in both 1; apart in both 6 - 2 - 3 + 1 = 2
    assert rand_index(truth, pred) == pytest.approx(3 / 6)
    assert pair_f_measure(truth, pred) == pytest.approx(2 * 1 / (2 + 3))
    permuted = [5, 5, 2, 2]
    assert rand_index(truth, permuted) == adjusted_rand_index(truth, permuted) == pair_f_measure(truth, permuted) == 1.0
    with pytest.raises(ValueError, match="same length"):
        rand_index([0, 1], [0])


def test_published_values_on_iris(iris):
    """k-means with 3 clusters on iris: the values of the textbooks and of scikit-learn."""
    X, species = iris
    model = KMeans(3, n_init=10, random_state=0).fit(X)
    assert inertia(X, model.labels_, model.cluster_centers_) == pytest.approx(78.851441, abs=1e-6)
    assert silhouette_score(X, model.labels_) == pytest.approx(0.552819, abs=1e-6)
    assert davies_bouldin_score(X, model.labels_) == pytest.approx(0.661972, abs=1e-6)
    assert rand_index(species, model.labels_) == pytest.approx(0.879732, abs=1e-6)
    assert adjusted_rand_index(species, model.labels_) == pytest.approx(0.730238, abs=1e-6)
    assert 0 < dunn_index(X, model.labels_) < 1  # overlapping versicolor / virginica


def test_delta_e_2000():
    black, white = np.zeros((1, 3), np.uint8), np.full((1, 3), 255, np.uint8)
    assert delta_e_2000(black, white)[0] == pytest.approx(100.0, abs=1e-3)  # L* 0 to 100, S_L = 1
    assert delta_e_2000(white, white) == (0.0, 0.0)
    colors = np.array([[0, 0, 0], [0, 0, 0]], np.uint8)
    mean, p95 = delta_e_2000(colors, np.array([[0, 0, 0], [255, 255, 255]], np.uint8), sample_weight=[19, 1])
    assert mean == pytest.approx(100 / 20, abs=1e-3) and p95 == 0.0  # 95 % of the weight is exact


def test_weighted_mean_and_p95_with_and_without_the_percentile():
    from quantize.metrics import mean_and_p95

    values, weights = np.array([1.0, 2.0, 10.0]), np.array([3, 1, 1])
    assert mean_and_p95(values, weights) == (pytest.approx(3.0), 10.0)  # 95 % of the weight lies at or below 10
    assert mean_and_p95(values, weights, p95=False) == (mean_and_p95(values, weights)[0], None)
    assert mean_and_p95(values, np.zeros(3)) == (0.0, 0.0)
    assert mean_and_p95(values, np.zeros(3), p95=False) == (0.0, None)


@pytest.mark.slow
def test_dunn_index_is_exact_and_a_sample_only_overstates_it():
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 2)) * 10
    X = np.concatenate([c + rng.normal(size=(2000, 2)) for c in centres])
    labels = np.repeat(np.arange(3), 2000)
    D = cdist(X, X)
    same = labels[:, None] == labels[None, :]
    exact = D[~same].min() / D[same].max()
    assert dunn_index(X, labels) == pytest.approx(exact, rel=1e-9)
    assert dunn_index(X, labels, sample_size=500) >= exact
    # weights do not change it: a point of weight 5 is that point
    weights = rng.integers(0, 6, size=len(X))
    kept = weights > 0
    assert dunn_index(X, labels, sample_weight=weights) == pytest.approx(dunn_index(X[kept], labels[kept]))


def test_psnr_of_different_shapes_is_an_invalid_parameter():
    from quantize import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=r"images differ in shape: \(2, 2\) vs \(2, 3\)"):
        psnr(np.zeros((2, 2), np.uint8), np.zeros((2, 3), np.uint8))


def test_labellings_of_different_lengths_are_refused():
    from quantize import InvalidParameterError
    from quantize.metrics import rand_index

    for function in (adjusted_rand_index, rand_index):
        with pytest.raises(InvalidParameterError, match="labellings must be 1-D and of the same length"):
            function([0, 1, 1], [0, 1])


@pytest.mark.parametrize("seed", range(8))
def test_weighted_p95_equals_a_walk_of_the_sorted_values(seed):
    """The selection kernel against the plain definition: sort, cumulate the weights,
    take the first value whose cumulated weight reaches 95 % (ties and zero weights in)."""
    from quantize.metrics import mean_and_p95

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    values = rng.integers(0, 20, n).astype(float) if seed % 2 else rng.gamma(2.0, 1.0, n)
    weights = rng.integers(0, 5, n).astype(float)
    weights[0] += 1
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    want = values[order[min(np.searchsorted(cumulative, 0.95 * cumulative[-1]), n - 1)]]
    assert mean_and_p95(values, weights)[1] == want
