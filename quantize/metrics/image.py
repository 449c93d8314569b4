"""Quality of images: PSNR, SSIM and the CIEDE2000 colour difference.

``psnr`` and ``ssim`` give the values of ``skimage.metrics`` (``peak_signal_noise_ratio``
and ``structural_similarity`` with its defaults) but work on row strips with exact
integer sums instead of whole-image float64 copies, so a 20-megapixel image needs tens
of megabytes rather than gigabytes.
"""

import numpy as np
from numpy.typing import ArrayLike

from .._compiled import kernel
from .._parallel import slices, thread_map
from .._validation import weights_or_ones
from ..color.difference import ciede2000_rows
from ..color.spaces import srgb_to_lab
from ..errors import InvalidParameterError

_STRIP_ROWS = 256


def _as_3d(image):
    return image[..., None] if image.ndim == 2 else image


def _check_pair(reference, image):
    if np.shape(reference) != np.shape(image):
        raise InvalidParameterError(f"images differ in shape: {np.shape(reference)} vs {np.shape(image)}")


def psnr(reference: ArrayLike, image: ArrayLike, *, data_range: float = 255) -> float:
    """Peak signal-to-noise ratio in decibels: 10 log10(data_range² / MSE).

    Parameters
    ----------
    reference, image : (H, W) or (H, W, C) ndarray of uint8, same shape

    Returns
    -------
    float
        Higher is better; ``inf`` when the images are identical.  Typical values for
        8-bit images run from about 20 dB (poor) to 50 dB (visually lossless).
    """
    _check_pair(reference, image)
    reference, image = _as_3d(reference), _as_3d(image)
    total = 0
    for rows in slices(reference.shape[0], _STRIP_ROWS):
        diff = reference[rows].astype(np.int32)
        diff -= image[rows]
        np.square(diff, out=diff)
        total += int(diff.sum(dtype=np.int64))
    if total == 0:
        return float("inf")
    mse = total / reference.size
    return float(10 * np.log10(data_range**2 / mse))


def _box_sums(a, size):
    """Sums over every size×size window lying fully inside ``a``."""
    rows = a[:, : a.shape[1] - size + 1].copy()
    for i in range(1, size):
        rows += a[:, i : a.shape[1] - size + 1 + i]
    out = rows[: rows.shape[0] - size + 1].copy()
    for i in range(1, size):
        out += rows[i : rows.shape[0] - size + 1 + i]
    return out


def ssim(reference: ArrayLike, image: ArrayLike, *, data_range: float = 255, win_size: int = 7) -> float | None:
    """Mean structural similarity (Wang et al. 2004), as ``skimage.metrics``' default.

    Uniform 7×7 windows, sample covariance, K1 = 0.01, K2 = 0.03; the mean is taken over
    the windows that lie fully inside the image and then over the channels.

    Window sums of x, y, x², y² and xy are exact int32 integers, and so are n² times the
    means, variances and covariance built from them (all below 2^31 for 8-bit data), so
    nothing cancels in floating point: the result agrees with scikit-image's float64
    computation to about 1e-8 at a fraction of its time and memory.

    Parameters
    ----------
    reference, image : (H, W) or (H, W, C) ndarray of uint8, same shape

    Returns
    -------
    float or None
        In [-1, 1], 1 for identical images; None when the image is smaller than the
        window (H or W < ``win_size``), where SSIM is undefined.
    """
    _check_pair(reference, image)
    reference, image = _as_3d(reference), _as_3d(image)
    height, width, channels = reference.shape
    if height < win_size or width < win_size:
        return None
    n = win_size * win_size
    cov_norm = np.float32(n / (n - 1))
    # The constants scaled by n², like every term below.
    c1 = np.float32((0.01 * data_range) ** 2 * n * n)
    c2 = np.float32((0.03 * data_range) ** 2 * n * n)
    out_rows = height - win_size + 1

    def strip_sum(task):
        channel, rows = task  # output rows; the window reaches win_size - 1 further
        x = reference[rows.start : rows.stop + win_size - 1, :, channel].astype(np.int32)
        y = image[rows.start : rows.stop + win_size - 1, :, channel].astype(np.int32)
        sx, sy = _box_sums(x, win_size), _box_sums(y, win_size)
        sxx, syy = _box_sums(x * x, win_size), _box_sums(y * y, win_size)
        sxy = _box_sums(x * y, win_size)
        means_product = sx * sy  # n² ux uy
        sx *= sx
        sy *= sy
        sxy *= n
        sxy -= means_product  # n² cov(x, y)
        sxx *= n
        sxx -= sx
        syy *= n
        syy -= sy
        sxx += syy  # n² (var x + var y)
        sx += sy  # n² (ux² + uy²)
        numerator = means_product.astype(np.float32) * 2 + c1
        numerator *= sxy.astype(np.float32) * (2 * cov_norm) + c2
        denominator = sx.astype(np.float32) + c1
        denominator *= sxx.astype(np.float32) * cov_norm + c2
        numerator /= denominator
        return float(numerator.sum(dtype=np.float64))

    tasks = [(c, rows) for c in range(channels) for rows in slices(out_rows, _STRIP_ROWS)]
    total = sum(thread_map(strip_sum, tasks))
    return total / (channels * out_rows * (width - win_size + 1))


# --- clustering metrics -----------------------------------------------------------
#
# The internal ones take the data as points with optional weights (an image's colour
# histogram: distinct colours weighted by their pixel counts), so that they measure
# the pixels without a row per pixel.


def delta_e_2000(
    reference_rgb: ArrayLike, rgb: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> tuple[float, float | None]:
    """Mean and 95th percentile of the CIEDE2000 colour difference between two sets of
    sRGB colours, weighted (the values of skimage.color.deltaE_ciede2000 on rgb2lab,
    computed without importing scikit-image: see :func:`quantize.color.difference.ciede2000`).

    Parameters
    ----------
    reference_rgb, rgb : (n, 3) arrays of uint8
    sample_weight : (n,) array, optional
        Pixel counts when the rows are an image's distinct colours.

    Returns
    -------
    (mean, p95) : floats >= 0.  About 1 is the smallest difference people notice; 0
    for identical colours.
    """
    return mean_and_p95(ciede2000_rows(srgb_to_lab(reference_rgb), srgb_to_lab(rgb)), sample_weight)


def mean_and_p95(
    values: ArrayLike, sample_weight: ArrayLike | None = None, *, p95: bool = True
) -> tuple[float, float | None]:
    """Weighted mean and weighted 95th percentile of (n,) values; (0, 0) with no weight.
    Without ``p95`` the percentile (a selection pass over a copy) is None."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    w = weights_or_ones(sample_weight, len(values))
    if w.sum() == 0:
        return 0.0, 0.0 if p95 else None
    if not p95:
        return float(w @ values / w.sum()), None
    p95 = kernel("metrics._quantile").weighted_quantile(
        values, np.ascontiguousarray(w, dtype=np.float64), 0.95 * float(w.sum())
    )
    return float(w @ values / w.sum()), float(p95)
