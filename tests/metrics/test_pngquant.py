import math

import numpy as np
import pytest

from quantize.errors import InvalidParameterError
from quantize.metrics.pngquant import LOSSLESS_PSNR, SRGB_GAP, libimagequant_psnr, pngquant_quality_to_psnr


def test_libimagequant_target_error_as_psnr():
    # libimagequant's quality_to_mse(80), as the standard MSE it reports: 6.09 on 0..255
    unit = 2.5 / 290**1.2 * 20.1 / 100
    assert libimagequant_psnr(80) == pytest.approx(10 * math.log10(255**2 / (unit * 65536 / 6)))
    assert libimagequant_psnr(80) == pytest.approx(40.28, abs=0.01)
    assert libimagequant_psnr(5) > libimagequant_psnr(4) + 0.3  # the fudge of the lowest qualities


def test_pngquant_scale_is_libimagequants_less_the_measured_srgb_gap():
    qualities = np.arange(1, 100)
    psnrs = [pngquant_quality_to_psnr(q) for q in qualities]
    assert all(b > a for a, b in zip(psnrs, psnrs[1:]))  # higher quality, higher PSNR
    assert pngquant_quality_to_psnr(65) == round(libimagequant_psnr(65) - SRGB_GAP, 2) == 35.39
    assert pngquant_quality_to_psnr(0) == 0 and pngquant_quality_to_psnr(100) == LOSSLESS_PSNR


@pytest.mark.parametrize("quality", [-1, 100.5, 250])
def test_pngquant_scale_is_0_to_100(quality):
    with pytest.raises(InvalidParameterError, match="0 to 100"):
        pngquant_quality_to_psnr(quality)
