import numpy as np
import pytest

from quantize.datasets import make_shapes
from quantize.segmentation import auto
from quantize.segmentation.auto import (
    MAX_AUTO_SIGMA,
    MIN_REGION_FLOOR,
    RESIDUAL_NOISE,
    auto_min_region,
    auto_sigma,
    estimate_noise,
)


@pytest.mark.parametrize("noise", [5.0, 10.0, 25.0])
def test_estimate_noise_of_noisy_shapes(noise):
    image, _ = make_shapes((160, 200), 6, noise=noise, random_state=1)
    assert estimate_noise(image) == pytest.approx(noise, rel=0.1)  # edges do not count


def test_estimate_noise_of_clean_images():
    flat = np.full((50, 60, 3), 90, np.uint8)
    assert estimate_noise(flat) == 0.0
    ramp = np.broadcast_to(np.linspace(0, 255, 60).astype(np.uint8)[None, :, None], (50, 60, 3)).copy()
    assert estimate_noise(ramp) <= 0.5  # shading is not noise
    assert estimate_noise(np.zeros((2, 9, 3), np.uint8)) == 0.0  # no 3x3 window


def test_estimate_noise_looks_only_at_visible_pixels():
    rng = np.random.default_rng(0)
    image = np.full((60, 60, 3), 128, np.uint8)
    image[:, 15:] = rng.integers(0, 256, (60, 45, 3))  # noise where nobody sees it
    visible = np.zeros((60, 60), bool)
    visible[:, :13] = True
    assert estimate_noise(image, visible) == 0.0
    assert estimate_noise(image) > 10
    assert estimate_noise(image, np.zeros((60, 60), bool)) == 0.0


def test_estimate_noise_samples_bands_of_large_images(monkeypatch):
    image, _ = make_shapes((400, 300), 4, noise=20.0, random_state=2)
    whole = estimate_noise(image)
    monkeypatch.setattr(auto, "NOISE_SAMPLE", 3 * 64 * 300)  # three bands of 64 rows
    sampled = estimate_noise(image)
    assert sampled != whole and sampled == pytest.approx(20.0, rel=0.1)


def test_auto_sigma_brings_noise_down_to_the_residual():
    assert auto_sigma(0.0) == 0.0 and auto_sigma(3.0) == 0.0  # clean: no smoothing
    for noise in (10.0, 25.0):
        sigma = auto_sigma(noise)
        assert noise / (2 * np.sqrt(np.pi) * sigma) == pytest.approx(RESIDUAL_NOISE, rel=0.1)
    assert auto_sigma(1000.0) == MAX_AUTO_SIGMA


def test_auto_min_region_follows_the_size():
    assert auto_min_region(451 * 300) == 68
    assert auto_min_region(20_000_000) == 10_000
    assert auto_min_region(100) == MIN_REGION_FLOOR


def test_estimate_noise_median_equals_numpys():
    """The medians come from counts (linear time); they equal np.median's, ties and even
    counts included, on an image of two kinds of values as on a noisy one."""
    rng = np.random.default_rng(3)
    for image in (
        rng.integers(0, 256, (40, 51, 3)).astype(np.uint8),
        np.where(rng.random((40, 50, 1)) < 0.5, 255, 0).astype(np.uint8).repeat(3, axis=2),
    ):
        x = image.astype(np.int16)
        response = np.abs(
            x[:-2, :-2]
            + x[:-2, 2:]
            + x[2:, :-2]
            + x[2:, 2:]
            - 2 * (x[:-2, 1:-1] + x[1:-1, :-2] + x[1:-1, 2:] + x[2:, 1:-1])
            + 4 * x[1:-1, 1:-1]
        )
        expected = np.mean(np.median(response.reshape(-1, 3), axis=0)) / (6 * 0.6745)
        assert estimate_noise(image) == pytest.approx(expected, rel=1e-12)
