"""The compiled kernels against plain NumPy oracles: the nearest and second-nearest
centre (brute force, float64 sums feature by feature, first on ties), each centre's
neighbour list (a sort), the cluster sums (bincount), and a bounded Lloyd step (a
plain assignment), on random data with ties, one centre, 256 centres, 1 to 8
features; and the build checks."""

import numpy as np
import pytest

from quantize._compiled import kernel
from quantize.errors import BuildError

nearest_kernel = kernel("cluster._nearest")
lloyd_kernel = kernel("cluster._lloyd")


def oracle_distances(X, centers):
    """(n, k) squared distances in float64, summed feature by feature in order."""
    X, centers = X.astype(np.float64), centers.astype(np.float64)
    out = np.zeros((len(X), len(centers)))
    for j in range(X.shape[1]):
        out += (X[:, j, None] - centers[None, :, j]) ** 2
    return out


def oracle_nearest(X, centers):
    distances = oracle_distances(X, centers)
    labels = distances.argmin(axis=1)  # the first on ties
    ordered = np.sort(distances, axis=1)
    second = ordered[:, 1] if centers.shape[0] > 1 else np.full(len(X), np.inf)
    return labels, ordered[:, 0], second


def _cases():
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for d in (1, 3, 4, 8):
            for k in (1, 2, 7, 64, 256):
                X = rng.normal(scale=30, size=(2000, d)).astype(dtype)
                centers = X[rng.choice(len(X), k, replace=False)].copy()
                yield f"{dtype.__name__}-d{d}-k{k}", X, centers
    # ties: integer grids, duplicate centres, points half-way between centres
    grid = np.array([[i, j, m] for i in range(0, 12, 3) for j in range(0, 12, 3) for m in range(0, 12, 3)], np.float32)
    points = rng.integers(0, 12, size=(3000, 3)).astype(np.float32)
    yield "grid-ties", points, grid
    yield "duplicate-centres", points, np.concatenate([grid[:10], grid[:10]])
    halfway = ((grid[:-1] + grid[1:]) / 2).astype(np.float32)
    yield "halfway", halfway, grid
    yield "one-colour", np.full((500, 3), 7, np.float32), grid[:5]
    lab = rng.uniform([0, -80, -80], [100, 80, 80], size=(5000, 3)).astype(np.float32)
    yield "lab-256", lab, lab[:256].copy()


CASES = list(_cases())


@pytest.mark.parametrize("name, X, centers", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("threads", [1, 2])
def test_nearest_equals_brute_force(name, X, centers, threads):
    labels, first, second = nearest_kernel.nearest(X, centers, threads)
    want_labels, want_first, want_second = oracle_nearest(X, centers)
    np.testing.assert_array_equal(labels, want_labels)
    np.testing.assert_array_equal(first, want_first)
    np.testing.assert_array_equal(second, want_second)


@pytest.mark.parametrize("name, X, centers", CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_cluster_sums_equal_bincount(name, X, centers):
    labels = oracle_nearest(X, centers)[0]
    w = np.random.default_rng(1).uniform(0, 5, len(X))
    counts, sums = lloyd_kernel.cluster_sums(X, w, labels, len(centers))
    np.testing.assert_array_equal(counts, np.bincount(labels, weights=w, minlength=len(centers)))
    want = np.stack(
        [
            np.bincount(labels, weights=w * X[:, j].astype(np.float64), minlength=len(centers))
            for j in range(X.shape[1])
        ],
        axis=1,
    )
    np.testing.assert_allclose(sums, want, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("name, X, centers", CASES[1::4], ids=[c[0] for c in CASES[1::4]])
def test_a_bounded_step_gives_the_exact_labels(name, X, centers):
    """Bounds from the old centres, moved by the centres' moves: after the step the
    labels are the brute-force nearest of the new centres, and the bounds hold."""
    labels, first, second = nearest_kernel.nearest(X, centers, 1)
    upper, lower = np.sqrt(first), np.sqrt(second)
    moved_centers = (centers + np.random.default_rng(2).normal(scale=0.5, size=centers.shape)).astype(X.dtype)
    moved = np.sqrt(((moved_centers.astype(np.float64) - centers) ** 2).sum(axis=1))
    gaps = 0.5 * np.sqrt(nearest_kernel.nearest(moved_centers, moved_centers, 1)[2])
    changed = lloyd_kernel.bounded_step(
        X, nearest_kernel.SortedCentres(moved_centers), labels, upper, lower, moved, float(moved.max()), gaps, 2
    )
    distances = oracle_distances(X, moved_centers)
    want = distances.argmin(axis=1)
    before = oracle_nearest(X, centers)[0]
    np.testing.assert_array_equal(labels, want)
    assert changed == np.count_nonzero(want != before)
    own = np.sqrt(distances[np.arange(len(X)), labels])
    assert (upper >= own * (1 - 1e-9)).all()
    if len(centers) > 1:
        others = distances.copy()
        others[np.arange(len(X)), labels] = np.inf
        assert (lower <= np.sqrt(others.min(axis=1)) * (1 + 1e-9) + 1e-9).all()


def test_a_missing_kernel_names_the_build_step(monkeypatch):
    from quantize import _compiled

    with pytest.raises(BuildError, match=r"quantize.cluster._nowhere is missing .*pip install -e \."):
        _compiled.kernel("cluster._nowhere")


def test_a_stale_kernel_names_the_build_step(monkeypatch):
    from quantize import _compiled

    _compiled.kernel.cache_clear()
    monkeypatch.setattr(_compiled, "source_hash", lambda: "not-the-hash")
    try:
        with pytest.raises(BuildError, match=r"built from other sources than these \(stale\): rebuild it with pip"):
            _compiled.kernel("cluster._nearest")
    finally:
        _compiled.kernel.cache_clear()
    assert issubclass(BuildError, ImportError)


def test_the_kernels_were_built_from_these_sources():
    from quantize import _compiled

    assert nearest_kernel.SOURCE_HASH == lloyd_kernel.SOURCE_HASH == _compiled.source_hash()


@pytest.mark.parametrize("given, kept", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_sleep_unless_told_otherwise(given, kept):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given:
        env["OMP_WAIT_POLICY"] = given
    code = "import os, quantize._compiled as c; c.kernel('cluster._nearest'); print(os.environ['OMP_WAIT_POLICY'])"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == kept


@pytest.mark.parametrize("name, X, centers", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("threads", [1, 2])
def test_neighbour_lists_equal_a_sort_of_every_distance(name, X, centers, threads):
    """Each centre's nearest others, nearest first and the lower index first on ties."""
    centers = centers.astype(np.float64)
    near, near_dist = nearest_kernel._neighbours(centers, 32, threads)
    k = len(centers)
    assert near.shape == (k, min(32, k - 1))
    distances = oracle_distances(centers, centers)
    for a in range(k):
        others = [b for b in range(k) if b != a]
        want = sorted(others, key=lambda b: (distances[a, b], b))[: near.shape[1]]
        np.testing.assert_array_equal(near[a], want)
        np.testing.assert_allclose(near_dist[a], np.sqrt(distances[a, want]), rtol=1e-12)


def test_sorted_centres_are_sorted_along_a_unit_axis():
    rng = np.random.default_rng(3)
    for centers in (rng.normal(size=(50, 3)) * [30, 5, 1], np.zeros((4, 3)), np.ones((1, 2)), np.zeros((0, 3))):
        s = nearest_kernel.SortedCentres(centers, 2)
        assert np.linalg.norm(s.axis) == pytest.approx(1.0)
        np.testing.assert_allclose(s.proj, centers[s.index] @ s.axis)
        assert (np.diff(s.proj) >= 0).all()
        np.testing.assert_array_equal(s.position[s.index], np.arange(len(centers)))
    spread = rng.normal(size=(200, 3)) * [1, 40, 2]
    assert abs(nearest_kernel.SortedCentres(spread).axis[1]) > 0.99  # the principal axis
