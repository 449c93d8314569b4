"""pngquant's 0-100 quality scale as PSNR, so that pngquant's command lines
(``--quality 65-80``) mean the same here (``--quality pngquant:65-80``).

libimagequant turns a quality Q into a target mean squared error on a 0..1 channel
scale with a curve "fudged to resemble libjpeg's"::

    unit(Q) = max(0, 0.016 / (0.001 + Q) - 0.001) + 2.5 / (210 + Q) ** 1.2 * (100.1 - Q) / 100

and reports errors as the "standard" MSE on the 0..255 scale, ``unit(Q) * 65536 / 6``
(its ``quality_to_mse`` and ``mse_to_standard_mse``); :func:`libimagequant_psnr` is
the PSNR of that MSE, ``10 log10(255² / MSE)``.  libimagequant measures the error in
its own colour space (gamma 0.57, channels weighted), where it reads smaller than in
sRGB: its results measure :data:`SRGB_GAP` dB less PSNR in sRGB than that target (the
median over 9 photos and 8 qualities, 0.8 to 3.9 dB by photo; bench/pngquant_scale.py).
:func:`pngquant_quality_to_psnr` subtracts it, so that Q asks for what pngquant's
Q-files measure: Q 30 is 31.7 dB, 65 is 35.4 dB, 80 is 38.1 dB, 90 is 41.3 dB.
"""

import math

from ..errors import InvalidParameterError

#: The highest PSNR the scale maps to: Q 100 asks for no error at all.
LOSSLESS_PSNR = 99.0
#: dB of PSNR in sRGB that libimagequant's results fall short of its own target.
SRGB_GAP = 2.2


def libimagequant_psnr(quality: float) -> float:
    """The PSNR of libimagequant's target error for ``quality`` (1-99), in its terms."""
    fudge = max(0.0, 0.016 / (0.001 + quality) - 0.001)
    unit = fudge + 2.5 / (210.0 + quality) ** 1.2 * (100.1 - quality) / 100.0
    return 10.0 * math.log10(255.0**2 / (unit * 65536.0 / 6.0))


def pngquant_quality_to_psnr(quality: float) -> float:
    """The PSNR in dB (sRGB, as this package measures it) that pngquant's ``quality``
    asks for.

    Parameters
    ----------
    quality : float
        pngquant's quality, 0 (anything goes) to 100 (no error).

    Returns
    -------
    float
        The PSNR in dB, rounded to 0.01; 0 for Q 0 and :data:`LOSSLESS_PSNR` for Q 100.
    """
    if not 0 <= quality <= 100:
        raise InvalidParameterError(f"pngquant's quality is 0 to 100, not {quality:g}")
    if quality == 0:
        return 0.0
    if quality == 100:
        return LOSSLESS_PSNR
    return round(min(max(libimagequant_psnr(quality) - SRGB_GAP, 0.01), LOSSLESS_PSNR), 2)
