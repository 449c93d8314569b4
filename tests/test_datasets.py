import numpy as np
import pytest

from quantize import InvalidParameterError
from quantize.datasets import REGION_COLORS, make_regions


@pytest.mark.parametrize("n_regions", range(2, 9))
def test_make_regions_has_every_region(n_regions):
    image, truth = make_regions((96, 128), n_regions, random_state=0)
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8
    assert truth.shape == (96, 128)
    assert np.array_equal(np.unique(truth), np.arange(n_regions))


def test_noise_and_blur():
    clean, truth = make_regions((64, 64), 4, noise=0.0, blur=0.0)
    assert np.array_equal(clean, REGION_COLORS[truth])
    noisy, _ = make_regions((64, 64), 4, blur=0.0, random_state=1)
    residual = noisy.astype(float) - clean
    assert 20 < residual.std() < 26  # sigma 25, a little clipped
    assert np.array_equal(noisy, make_regions((64, 64), 4, blur=0.0, random_state=1)[0])


def test_bad_arguments():
    with pytest.raises(InvalidParameterError, match="n_regions=9"):
        make_regions((64, 64), 9)
    with pytest.raises(InvalidParameterError, match="height=8"):
        make_regions((8, 64), 3)
    with pytest.raises(InvalidParameterError, match="colors must be"):
        make_regions((64, 64), 3, colors=[(0, 0, 0)])
