"""A palette's errors measured exactly from the colour histogram, without rebuilding
the pixels: the squared error, PSNR and CIEDE2000 the report gives."""

import numpy as np

from ..color.alpha import to_features
from ..color.difference import ciede2000_rows
from ..color.spaces import srgb_to_lab
from ..metrics.image import mean_and_p95


def squared_error(colors, palette, color_labels):
    """Sum over the pixels of the squared error of the rebuilt colour (the inertia of
    the rounded palette), from the histogram."""
    diff = colors.rgb_features - to_features(palette, colors.premultiplied)[color_labels]
    return float(colors.histogram.counts @ np.einsum("ij,ij->i", diff, diff))


def color_psnr(colors, palette, color_labels, sse=None):
    """PSNR of the image the palette rebuilds, from the histogram alone: exactly the
    report's value (premultiplied RGBA when the image has transparency)."""
    height, width, channels = colors.shape
    if sse is None:
        sse = squared_error(colors, palette, color_labels)
    if sse == 0:
        return float("inf")
    return float(10 * np.log10(255.0**2 * height * width * channels / sse))


def color_delta_e(colors, palette, color_labels, *, p95=True):
    """Mean and 95th percentile (None without ``p95``: it takes a sort) of the
    CIEDE2000 difference over the visible pixels (their RGB, from the histogram):
    only the palette entries are converted."""
    differences = ciede2000_rows(colors.lab, srgb_to_lab(palette[:, :3], np.float32), color_labels, dtype=np.float32)
    return mean_and_p95(differences, colors.histogram.counts, p95=p95)
