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
