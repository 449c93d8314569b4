"""Image quality metrics, computed in bounded memory on uint8 images.

``psnr`` and ``ssim`` give the values of ``skimage.metrics`` (``peak_signal_noise_ratio``
and ``structural_similarity`` with its defaults) but work on row strips with exact
integer sums instead of whole-image float64 copies, so a 20-megapixel image needs tens
of megabytes rather than gigabytes.
"""

import numpy as np

from .parallel import thread_map

_STRIP_ROWS = 256


def _as_3d(image):
    return image[..., None] if image.ndim == 2 else image


def _check_pair(reference, image):
    if reference.shape != image.shape:
        raise ValueError(f"images differ in shape: {reference.shape} vs {image.shape}")


def psnr(reference, image, *, data_range=255):
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
    for start in range(0, reference.shape[0], _STRIP_ROWS):
        diff = reference[start : start + _STRIP_ROWS].astype(np.int32)
        diff -= image[start : start + _STRIP_ROWS]
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


def ssim(reference, image, *, data_range=255, win_size=7):
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
        channel, start = task
        stop = min(start + _STRIP_ROWS, out_rows) + win_size - 1
        x = reference[start:stop, :, channel].astype(np.int32)
        y = image[start:stop, :, channel].astype(np.int32)
        sx, sy = _box_sums(x, win_size), _box_sums(y, win_size)
        sxx, syy = _box_sums(x * x, win_size), _box_sums(y * y, win_size)
        sxy = _box_sums(x * y, win_size)
        means_product = sx * sy                    # n² ux uy
        sx *= sx
        sy *= sy
        sxy *= n
        sxy -= means_product                       # n² cov(x, y)
        sxx *= n
        sxx -= sx
        syy *= n
        syy -= sy
        sxx += syy                                 # n² (var x + var y)
        sx += sy                                   # n² (ux² + uy²)
        numerator = means_product.astype(np.float32) * 2 + c1
        numerator *= sxy.astype(np.float32) * (2 * cov_norm) + c2
        denominator = sx.astype(np.float32) + c1
        denominator *= sxx.astype(np.float32) * cov_norm + c2
        numerator /= denominator
        return float(numerator.sum(dtype=np.float64))

    tasks = [(c, start) for c in range(channels) for start in range(0, out_rows, _STRIP_ROWS)]
    total = sum(thread_map(strip_sum, tasks))
    return total / (channels * out_rows * (width - win_size + 1))


def adjusted_rand_index(labels_true, labels_pred):
    """Adjusted Rand index (Hubert & Arabie 1985) of two labellings of the same points.

    Counts the pairs of points both labellings put together or apart, corrected for
    chance.  1 for identical partitions (whatever the label names), about 0 for random
    ones, and it can go slightly negative.

    Parameters
    ----------
    labels_true, labels_pred : (n,) array-like of int or str
    """
    labels_true = np.asarray(labels_true)
    labels_pred = np.asarray(labels_pred)
    if labels_true.shape != labels_pred.shape or labels_true.ndim != 1:
        raise ValueError("labellings must be 1-D and of the same length")
    _, a = np.unique(labels_true, return_inverse=True)
    _, b = np.unique(labels_pred, return_inverse=True)
    n_b = b.max() + 1 if b.size else 0
    table = np.bincount(a * n_b + b).astype(np.float64)

    def pairs(counts):
        return float((counts * (counts - 1) / 2).sum())

    index = pairs(table)
    rows = pairs(np.bincount(a).astype(np.float64))
    cols = pairs(np.bincount(b).astype(np.float64))
    total = labels_true.size * (labels_true.size - 1) / 2
    expected = rows * cols / total if total else 0.0
    maximum = (rows + cols) / 2
    if maximum == expected:  # both labellings trivial (one cluster, or all singletons)
        return 1.0
    return (index - expected) / (maximum - expected)
