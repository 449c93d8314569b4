"""The defaults a segmentation chooses from the image: how much to smooth and the
space its colours are clustered in (from an estimate of its noise), and the smallest
region it keeps (from its size)."""

from collections.abc import Callable

import numpy as np

from .._parallel import thread_map

#: Noise left after the automatic smoothing, in sRGB units (0..255).  Measured on
#: bench/segment.py's scenes: at 5, k-means in CIELAB finds the true regions as
#: k-means in sRGB does (ARI >= 0.95 at noise 10 and 25).
RESIDUAL_NOISE = 5.0
#: Widest automatic smoothing, in pixels.
MAX_AUTO_SIGMA = 3.0
#: Below this, a Gaussian changes almost nothing (at 0.4 each neighbour weighs 4 %).
MIN_USEFUL_SIGMA = 0.4
#: Noise, in sRGB units, from which colours are clustered in sRGB whatever the colour
#: space asked for.  sRGB noise is isotropic in sRGB only: CIELAB, DIN99o or OKLab stretch it
#: along some axes (a grey's spreads 5.6/11.1/22.3 in CIELAB), and k-means there splits a
#: large noisy region along its noisiest axis instead of separating two regions.
#: bench/segment.py's scenes: in CIELAB none fails at noise 2, 2 of 30 at noise 3 and
#: 10 of 24 at noise 6, in sRGB none; photos measure 0 to 0.8.
NOISY = 1.5
#: Smallest region kept by default, as a share of the image's pixels: at most 2,000
#: regions can remain, and in photos tens to a few hundred do.
MIN_REGION_SHARE = 1 / 2000
#: Smallest region kept by default, in pixels, whatever the image's size.
MIN_REGION_FLOOR = 16
#: Pixels the noise is estimated on at most: bands of rows spread over the image.
NOISE_SAMPLE = 1 << 20
_BAND = 64


def estimate_noise(rgb: np.ndarray, visible: np.ndarray | None = None) -> float:
    """Standard deviation of the image's noise, in sRGB units, as Gaussian noise.

    Immerkær's operator (the difference of two Laplacians, which cancels smooth
    shading and straight edges) on every channel, its median absolute value rescaled
    to a standard deviation: the median keeps edges and texture, a minority of the
    pixels, from counting as noise.  Large images are sampled in bands of rows.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
    visible : (H, W) ndarray of bool, optional
        Pixels to consider (windows centred elsewhere are left out).

    Returns
    -------
    float
        The mean over the channels; 0 for an image smaller than 3x3.

    References
    ----------
    J. Immerkær, "Fast noise variance estimation", Computer Vision and Image
    Understanding 64(2), 1996.
    """
    height, width = rgb.shape[:2]

    def read_rows(top, bottom):
        return rgb[top:bottom], None if visible is None else visible[top:bottom]

    return estimate_noise_by_rows(read_rows, height, width)


def estimate_noise_by_rows(read_rows: Callable, height: int, width: int) -> float:
    """:func:`estimate_noise` of an image read a band of rows at a time (one larger than
    memory): ``read_rows(top, bottom)`` gives rows ``top:bottom`` as ((rows, W, 3) uint8,
    (rows, W) bool of the visible pixels or None).  The same bands are read, so the
    same value comes out."""
    if height < 3 or width < 3:
        return 0.0
    bands = max(1, min(height // _BAND, NOISE_SAMPLE // (_BAND * width)))
    if bands * _BAND >= height or height * width <= NOISE_SAMPLE:
        starts = [0]
        rows = height
    else:
        starts = np.linspace(0, height - _BAND, bands).astype(int)
        rows = _BAND

    def band(top):
        block, visible = read_rows(top, top + rows)
        x = block.astype(np.int16)
        response = (
            x[:-2, :-2]
            + x[:-2, 2:]
            + x[2:, :-2]
            + x[2:, 2:]
            - 2 * (x[:-2, 1:-1] + x[1:-1, :-2] + x[1:-1, 2:] + x[2:, 1:-1])
            + 4 * x[1:-1, 1:-1]
        )
        response = np.abs(response).reshape(-1, 3)
        if visible is not None:
            response = response[visible[1:-1, 1:-1].reshape(-1)]
        return response

    responses = np.concatenate(thread_map(band, starts))
    if not len(responses):
        return 0.0
    # The operator's weights square-sum to 36; 0.6745 is the median of |N(0, 1)|.
    return float(np.mean([_integer_median(channel) for channel in responses.T]) / (6 * 0.6745))


def _integer_median(values):
    """np.median of non-negative integers, from their counts: linear time, where
    np.partition slowed to 0.17 s on a million values of two kinds (a transparent
    image's edge)."""
    cumulative = np.cumsum(np.bincount(values))
    n = len(values)
    low, high = np.searchsorted(cumulative, [(n - 1) // 2 + 1, n // 2 + 1])
    return (low + high) / 2


def auto_sigma(noise):
    """Gaussian smoothing, in pixels, that brings ``noise`` down to RESIDUAL_NOISE.

    A Gaussian of standard deviation s (pixels) divides independent noise by about
    2 s sqrt(pi); none is applied when the image is already that clean.
    """
    sigma = noise / (2 * np.sqrt(np.pi) * RESIDUAL_NOISE)
    if sigma < MIN_USEFUL_SIGMA:
        return 0.0
    return float(min(round(sigma, 1), MAX_AUTO_SIGMA))


def residual_noise(noise, sigma):
    """The noise left after a Gaussian smoothing of ``sigma`` pixels (see
    :func:`auto_sigma`), at least the half unit that rounding to 8 bits leaves."""
    return max(noise / (2 * np.sqrt(np.pi) * sigma) if sigma > 0 else noise, 0.5)


def space_for_noise(colorspace, noise):
    """The space the colours of an image with ``noise`` (sRGB units) are clustered in
    when ``colorspace`` is asked for: sRGB from :data:`NOISY` on, ``colorspace``
    below it."""
    return "rgb" if noise >= NOISY else colorspace


def auto_min_region(n_pixels):
    """The smallest region kept by default in an image of ``n_pixels`` pixels."""
    return max(MIN_REGION_FLOOR, round(n_pixels * MIN_REGION_SHARE))
