import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantize import FewDistinctPointsWarning, InvalidParameterError, KMeans, NotFittedError, QuantizeError
from quantize.metrics import adjusted_rand_index

ALGORITHMS = ["minibatch", "lloyd"]
INITS = ["k-means++", "random", "sharding"]


def make_blobs(n_per, centers, std, seed):
    rng = np.random.default_rng(seed)
    centers = np.asarray(centers, dtype=float)
    X = np.concatenate([c + std * rng.standard_normal((n_per, centers.shape[1])) for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per)
    return X, y


@pytest.fixture
def blobs():
    centers = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10], [10, 10, 10]]
    return make_blobs(200, centers, 0.8, seed=1)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("init", INITS)
def test_recovers_separated_blobs(blobs, algorithm, init):
    X, y = blobs
    km = KMeans(5, init=init, algorithm=algorithm, random_state=0).fit(X)
    assert adjusted_rand_index(y, km.labels_) >= 0.99
    assert km.cluster_centers_.shape == (5, 3)
    assert km.n_clusters_ == 5
    assert np.isfinite(km.cluster_centers_).all()


def test_iris_gives_the_familiar_kmeans_result(iris):
    X, species = iris
    km = KMeans(3, algorithm="lloyd", n_init=10, random_state=0).fit(X)
    assert adjusted_rand_index(species, km.labels_) == pytest.approx(0.730, abs=0.005)
    assert km.inertia_ == pytest.approx(78.85, abs=0.01)


def test_iris_through_the_default_minibatch(iris):
    X, species = iris
    km = KMeans(3, n_init=5, random_state=0).fit(X)
    assert 0.70 <= adjusted_rand_index(species, km.labels_) <= 0.75


def test_lloyd_inertia_never_increases(blobs):
    X, _ = blobs
    rng = np.random.default_rng(3)
    init = X[rng.choice(len(X), 8, replace=False)]
    inertias = [KMeans(8, init=init, algorithm="lloyd", max_iter=i, tol=0).fit(X).inertia_ for i in range(1, 15)]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(inertias, inertias[1:]))
    assert inertias[-1] < inertias[0]


def test_kmeans_plus_plus_beats_random_on_average():
    grid = [[i * 6, j * 6] for i in range(5) for j in range(5)]
    X, _ = make_blobs(40, grid, 1.0, seed=2)

    def mean_inertia(init):
        return np.mean(
            [KMeans(25, init=init, algorithm="lloyd", n_init=1, random_state=s).fit(X).inertia_ for s in range(10)]
        )

    assert mean_inertia("k-means++") < mean_inertia("random")


def test_weighted_histogram_matches_all_points():
    rng = np.random.default_rng(0)
    distinct = rng.integers(0, 50, size=(300, 3)).astype(float)
    counts = rng.integers(1, 20, size=300)
    everything = np.repeat(distinct, counts, axis=0)
    init = distinct[:6]
    full = KMeans(6, init=init, algorithm="lloyd", tol=0).fit(everything)
    weighted = KMeans(6, init=init, algorithm="lloyd", tol=0).fit(distinct, sample_weight=counts)
    assert weighted.inertia_ == pytest.approx(full.inertia_, rel=1e-9)
    np.testing.assert_allclose(weighted.cluster_centers_, full.cluster_centers_, rtol=1e-9)


def test_weight_acts_as_repetition_for_minibatch_sampling():
    # Two points, one carrying almost all the weight: a single cluster sits on it.
    X = np.array([[0.0], [100.0]])
    km = KMeans(1, random_state=0).fit(X, sample_weight=[1e6, 1])
    assert km.cluster_centers_[0, 0] == pytest.approx(1e-4, abs=1e-3)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_empty_cluster_is_reseeded_not_nan(blobs, algorithm):
    X, _ = blobs
    init = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10], [1e4, 1e4, 1e4]], float)
    km = KMeans(5, init=init, algorithm=algorithm, random_state=0).fit(X)
    assert np.isfinite(km.cluster_centers_).all()
    assert np.bincount(km.labels_, minlength=5).min() > 0
    assert km.n_clusters_ == 5


@pytest.mark.parametrize("init", INITS)
def test_fewer_distinct_points_than_k(init):
    X = np.array([[0, 0], [0, 0], [1, 1], [1, 1], [2, 2], [2, 2]], float)
    with pytest.warns(FewDistinctPointsWarning, match="only 3 distinct points"):
        km = KMeans(5, init=init, random_state=0).fit(X)
    assert km.n_clusters_ == 3
    assert sorted(map(tuple, km.cluster_centers_)) == [(0, 0), (1, 1), (2, 2)]
    assert km.inertia_ == 0
    np.testing.assert_array_equal(km.cluster_centers_[km.labels_], X)


def test_zero_weight_points_are_not_real_clusters():
    X = np.array([[0.0], [5.0], [9.0]])
    with pytest.warns(FewDistinctPointsWarning):
        km = KMeans(3, random_state=0).fit(X, sample_weight=[1, 1, 0])
    assert km.n_clusters_ == 2


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("init", INITS)
def test_same_seed_same_result(blobs, algorithm, init):
    X, _ = blobs
    a = KMeans(5, init=init, algorithm=algorithm, random_state=7).fit(X)
    b = KMeans(5, init=init, algorithm=algorithm, random_state=7).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_


def test_generator_random_state_is_accepted(blobs):
    X, _ = blobs
    km = KMeans(5, random_state=np.random.default_rng(1)).fit(X)
    assert km.n_clusters_ == 5


def test_n_init_keeps_the_lowest_inertia(monkeypatch):
    grid = [[i * 6, j * 6] for i in range(4) for j in range(4)]
    X, _ = make_blobs(30, grid, 1.5, seed=5)
    runs = []
    original = KMeans._fit_once

    def recording(self, *args):
        result = original(self, *args)
        runs.append(result[2])
        return result

    monkeypatch.setattr(KMeans, "_fit_once", recording)
    km = KMeans(16, init="random", n_init=8, random_state=0).fit(X)
    assert len(runs) == 8
    assert len(set(runs)) > 1  # the restarts really differ
    assert km.inertia_ == min(runs)


def test_predict_transform_fit_predict_and_score(blobs):
    X, _ = blobs
    km = KMeans(5, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    distances = km.transform(X)
    assert distances.shape == (len(X), 5)
    np.testing.assert_array_equal(distances.argmin(axis=1), km.labels_)
    expected = np.linalg.norm(X[:, None, :] - km.cluster_centers_[None], axis=2)
    np.testing.assert_allclose(distances, expected, atol=1e-6)
    assert km.score(X) == pytest.approx(-km.inertia_)
    np.testing.assert_array_equal(KMeans(5, random_state=0).fit_predict(X), km.labels_)


def test_float32_input_stays_float32(blobs):
    X, y = blobs
    km = KMeans(5, random_state=0).fit(X.astype(np.float32))
    assert km.cluster_centers_.dtype == np.float32
    assert adjusted_rand_index(y, km.labels_) >= 0.99


def test_minibatch_counts_steps_and_polish(blobs):
    X, _ = blobs
    km = KMeans(5, algorithm="minibatch", polish_iter=0, batch_size=64, random_state=0).fit(X)
    assert km.n_steps_ > 0 and km.n_iter_ == 0
    lloyd = KMeans(5, algorithm="lloyd", random_state=0).fit(X)
    assert lloyd.n_steps_ == 0 and lloyd.n_iter_ >= 1


def test_repr_shows_parameters():
    assert repr(KMeans(4, algorithm="lloyd")).startswith("KMeans(n_clusters=4, init='k-means++'")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_clusters": 0}, "n_clusters=0 must be >= 1"),
        ({"n_clusters": 11}, "n_clusters=11 is larger than the number of samples n_samples=10"),
        ({"n_clusters": 2.5}, "n_clusters=2.5 must be an integer"),
        ({"init": "best"}, "init='best' must be one of"),
        ({"init": np.zeros((3, 2))}, r"init array has shape \(3, 2\); expected"),
        ({"algorithm": "elkan"}, "algorithm='elkan' must be one of"),
        ({"n_init": 0}, "n_init=0 must be >= 1"),
        ({"max_iter": 0}, "max_iter=0 must be >= 1"),
        ({"tol": -1.0}, "tol=-1.0 must be a finite number >= 0"),
        ({"batch_size": 0}, "batch_size=0 must be >= 1"),
        ({"max_no_improvement": 0}, "max_no_improvement=0 must be >= 1"),
        ({"polish_iter": -1}, "polish_iter=-1 must be >= 0"),
        ({"init_size": 0}, "init_size=0 must be >= 1"),
        ({"random_state": -3}, "random_state=-3 must be >= 0"),
        ({"random_state": "x"}, "random_state='x' must be None, an int or a numpy Generator"),
    ],
)
def test_bad_parameters_name_parameter_and_value(params, message):
    X = np.arange(20, dtype=float).reshape(10, 2)
    params = {"n_clusters": 2, **params}
    with pytest.raises(InvalidParameterError, match=message):
        KMeans(**params).fit(X)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.arange(5.0), r"X must be 2-D .* got shape \(5,\) \(use X.reshape\(-1, 1\)"),
        (np.zeros((2, 2, 2)), r"X must be 2-D .* got shape \(2, 2, 2\)"),
        (np.zeros((0, 3)), "X must not be empty"),
        (np.array([[1.0, np.nan], [0, 0]]), "X contains NaN or infinity"),
        (np.array([[1.0, np.inf], [0, 0]]), "X contains NaN or infinity"),
        (np.array([["a", "b"], ["c", "d"]]), "X must be numeric"),
        (np.array([[1 + 1j, 0], [0, 0]]), "X must be real"),
    ],
)
def test_bad_X(X, message):
    with pytest.raises(InvalidParameterError, match=message):
        KMeans(1).fit(X)


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(3), r"sample_weight has shape \(3,\) but X has 4 samples"),
        (np.ones((4, 1)), r"sample_weight has shape \(4, 1\)"),
        ([1, -1, 1, 1], "sample_weight must be non-negative; got minimum -1"),
        ([1, np.nan, 1, 1], "sample_weight contains NaN or infinity"),
        ([0, 0, 0, 0], "sample_weight sums to zero"),
        (["a", "b", "c", "d"], "sample_weight must be numeric"),
    ],
)
def test_bad_sample_weight(weights, message):
    X = np.arange(8, dtype=float).reshape(4, 2)
    with pytest.raises(InvalidParameterError, match=message):
        KMeans(2).fit(X, sample_weight=weights)


def test_unfitted_and_wrong_features(blobs):
    X, _ = blobs
    with pytest.raises(QuantizeError, match="not fitted yet"):
        KMeans(2).predict(X)
    for method in ("predict", "transform", "score"):  # scikit-learn's contract: also a ValueError and AttributeError
        with pytest.raises(NotFittedError, match="call fit first") as caught:
            getattr(KMeans(2), method)(X)
        assert isinstance(caught.value, ValueError) and isinstance(caught.value, AttributeError)
    km = KMeans(2, random_state=0).fit(X)
    with pytest.raises(InvalidParameterError, match="X has 2 features, but KMeans was fitted with 3"):
        km.predict(X[:, :2])


def test_errors_are_value_errors():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, QuantizeError)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)), elements=st.integers(-5, 5).map(float)),
    k=st.integers(1, 6),
    algorithm=st.sampled_from(ALGORITHMS),
    init=st.sampled_from(INITS),
    seed=st.integers(0, 2**16),
)
def test_guarantees(X, k, algorithm, init, seed):
    k = min(k, len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewDistinctPointsWarning)
        km = KMeans(k, algorithm=algorithm, init=init, random_state=seed).fit(X)
        again = KMeans(k, algorithm=algorithm, init=init, random_state=seed).fit(X)
    n_distinct = len(np.unique(X, axis=0))
    assert km.n_clusters_ == min(k, n_distinct)
    assert np.isfinite(km.cluster_centers_).all()
    # every cluster is used, every label is a nearest centre
    assert len(np.unique(km.labels_)) == km.n_clusters_
    d = ((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(axis=2)
    assert np.all(d[np.arange(len(X)), km.labels_] <= d.min(axis=1) + 1e-9)
    assert km.inertia_ == pytest.approx(d.min(axis=1).sum(), rel=1e-9, abs=1e-9)
    np.testing.assert_array_equal(km.cluster_centers_, again.cluster_centers_)


@pytest.mark.parametrize("k", [5, 40])
def test_bounded_lloyd_matches_plain_lloyd_steps(k):
    """Hamerly's bounds only skip work: the
    centres after each iteration are those of plain Lloyd (recomputed here from
    scratch with dense distances)."""
    grid = (
        [[3 * i, 3 * j] for i in range(7) for j in range(6)][:k]
        if k > 5
        else [[0, 0], [3, 0], [0, 3], [3, 3], [1.5, 1.5]]
    )
    X, _ = make_blobs(100, grid, 1.0, seed=9)
    start = X[np.random.default_rng(0).choice(len(X), k, replace=False)]
    centers = start.copy()
    for iterations in range(1, 8):
        km = KMeans(k, init=start, algorithm="lloyd", max_iter=iterations, tol=0).fit(X)
        labels = ((X[:, None] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
        centers = np.array([X[labels == j].mean(axis=0) for j in range(k)])
        if km.n_iter_ < iterations:  # converged earlier
            break
        np.testing.assert_allclose(km.cluster_centers_, centers, rtol=1e-9, atol=1e-9)


def test_lloyd_reseeding_reaches_a_fixed_point():
    """An emptied cluster re-seeded where a mean also moves a centre must not stop the
    iterations short of a fixed point (issue 13: inertia 0.25 where 0 is reached)."""
    X = np.array([[0], [2], [3], [1], [1], [1], [1]], dtype=float)
    km = KMeans(4, init="sharding", algorithm="lloyd", tol=0, n_init=1, random_state=0).fit(X)
    assert km.inertia_ == 0.0
    assert sorted(km.cluster_centers_.ravel().tolist()) == [0.0, 1.0, 2.0, 3.0]


def test_duplicate_starting_centres_keep_inertia_monotone_in_max_iter():
    X = np.array([[3, 0], [1, 0], [0, 1], [0, 0]], dtype=float)
    init = np.array([[0, 0], [0, 1], [0, 1], [1, 0]], dtype=float)
    inertias = [
        KMeans(4, init=init, algorithm="lloyd", tol=0, n_init=1, max_iter=m).fit(X).inertia_ for m in (1, 2, 3, 10)
    ]
    assert inertias == sorted(inertias, reverse=True)
    assert inertias[-1] == 0.0


@pytest.mark.parametrize(
    "dtype, scale", [(np.float32, 1e37), (np.float32, 1e-30), (np.float64, 1e300), (np.float64, 1e-300)]
)
@pytest.mark.parametrize("algorithm", ["lloyd", "minibatch"])
def test_data_near_the_float_limits(dtype, scale, algorithm, recwarn):
    """Power-of-two scaling: the same clusters as the data at ordinary scale, finite
    centres, no RuntimeWarning; inertia is inf or 0 only where float64 cannot hold it."""
    rng = np.random.default_rng(0)
    base = np.concatenate([rng.normal(size=(100, 2)) + c for c in ([0, 0], [10, 0], [0, 10])])
    km = KMeans(3, random_state=0, algorithm=algorithm).fit((base * scale).astype(dtype))
    ref = KMeans(3, random_state=0, algorithm=algorithm).fit(base.astype(dtype))
    assert km.n_clusters_ == 3 and np.isfinite(km.cluster_centers_).all()
    assert np.array_equal(km.labels_, ref.labels_)
    assert np.allclose(km.cluster_centers_ / scale, ref.cluster_centers_, rtol=1e-4, atol=1e-4)
    assert np.array_equal(km.predict((base * scale).astype(dtype)), ref.labels_)
    if 1e-150 < scale < 1e150:
        assert km.inertia_ / scale / scale == pytest.approx(ref.inertia_, rel=1e-4)
    assert not [w for w in recwarn.list if issubclass(w.category, RuntimeWarning)]


@pytest.mark.slow
def test_minibatch_batches_are_no_larger_than_the_data():
    """10 rows of 20,000 features: batches of 1,024 drawn from 10 rows made a 44 s fit."""
    X = np.random.default_rng(0).normal(size=(10, 2000))
    km = KMeans(3, random_state=0).fit(X)
    assert km.n_steps_ <= km.max_iter  # one 10-row batch per epoch, not 1,024 rows
    assert km.n_clusters_ == 3


@pytest.mark.parametrize("weight", [1e308, 1e-300, 3.0])
def test_the_scale_of_the_weights_does_not_move_the_centres(weight):
    """Equal weights of any size give the unweighted centres (1e308 once gave NaN
    centres and a false 'only 1 distinct point' warning); the inertia scales with
    them, to infinity past float64."""
    X = np.random.default_rng(0).normal(size=(100, 2))
    plain = KMeans(3, random_state=0).fit(X)
    weighted = KMeans(3, random_state=0).fit(X, sample_weight=np.full(100, weight))
    np.testing.assert_allclose(weighted.cluster_centers_, plain.cluster_centers_, rtol=1e-12, atol=1e-12)
    assert (weighted.labels_ == plain.labels_).all() and weighted.n_clusters_ == 3
    expected = np.inf if weight > 1e300 else plain.inertia_ * weight
    assert weighted.inertia_ == pytest.approx(expected, rel=1e-9)


def test_the_default_is_lloyd_with_five_kmeans_plus_plus_runs_on_small_data(monkeypatch):
    """n_init="auto": 5 k-means++ runs up to 100,000 samples, 1 above; 10 for random,
    1 for the deterministic inits and arrays; full Lloyd iterations by default."""
    import quantize.cluster.kmeans as kmeans_module

    runs = []
    real = KMeans._fit_once
    monkeypatch.setattr(KMeans, "_fit_once", lambda self, *a: runs.append(self.algorithm) or real(self, *a))
    X, _ = make_blobs(300, [[0, 0], [5, 5], [0, 5]], 1.0, seed=1)
    cases = [({}, 5), ({"init": "random"}, 10), ({"init": "wu"}, 1), ({"init": "sharding"}, 1), ({"init": X[:3]}, 1)]
    for params, expected in cases:
        runs.clear()
        model = KMeans(3, random_state=0, **params).fit(X)
        assert len(runs) == expected and set(runs) == {"lloyd"}, params
        assert model.n_steps_ == 0  # no mini-batch steps
    monkeypatch.setattr(kmeans_module, "_AUTO_N_INIT_MAX_SAMPLES", 299)
    runs.clear()
    KMeans(3, random_state=0).fit(X)
    assert len(runs) == 1


def test_the_default_beats_one_kmeans_plus_plus_run_on_a_rugged_data_set():
    """Data with poor local minima (scikit-learn's wine has them): the best of the
    default's runs is at least as good as any single run from the same seeds."""
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, s, (60, 3)) for c, s in [(0, 0.3), (3, 2.0), (9, 0.4), (12, 3.0)]])
    better = 0
    for seed in range(5):
        default = KMeans(7, random_state=seed).fit(X).inertia_
        single = KMeans(7, n_init=1, random_state=seed).fit(X).inertia_  # the first of the default's runs
        assert default <= single * (1 + 1e-12)
        better += default < single * (1 - 1e-9)
    assert better  # some seed's single run ended in a worse minimum


def test_lloyd_keeps_fixed_centres_and_moves_the_others_as_plain_lloyd():
    """``fixed`` centres take their points but never move, even when empty; the free
    ones follow plain Lloyd steps (a NumPy oracle)."""
    from quantize.cluster.lloyd import lloyd

    X, _ = make_blobs(200, [[0, 0], [6, 0], [0, 6]], 1.0, seed=3)
    w = np.ones(len(X))
    start = np.array([[50.0, 50.0], [0.0, 0.5], [6.0, 1.0], [1.0, 5.0]])  # the first serves no point
    centers, state, _ = lloyd(X, w, start.copy(), max_iter=100, tol_abs=0.0, fixed=2)
    np.testing.assert_array_equal(centers[:2], start[:2])
    expected = start.copy()
    for _ in range(100):
        labels = ((X[:, None] - expected[None]) ** 2).sum(axis=2).argmin(axis=1)
        moved = np.array([X[labels == j].mean(axis=0) for j in (2, 3)])
        if np.array_equal(moved, expected[2:]):
            break
        expected[2:] = moved
    np.testing.assert_allclose(centers, expected, atol=1e-9)
    np.testing.assert_array_equal(state.labels, labels)
    assert not (state.labels == 0).any()  # the far fixed centre stayed empty, not re-seeded
