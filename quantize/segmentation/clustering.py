"""Clustering the pixels of a segmentation: by colour (the weighted histogram, as the
palette search does) or by colour and position (SLIC's compactness), after an
optional Gaussian smoothing."""

import warnings

import numpy as np

from .._parallel import STRIP, map_slices
from ..cluster.distances import assign
from ..cluster.kmeans import KMeans
from ..color.histogram import ColorHistogram
from ..color.spaces import to_space
from ..errors import FewDistinctPointsWarning
from ..quantization.levels import Levels
from ..quantization.search import Search, cluster_colors
from .separation import separate, separation

#: Pixels whose features are clustered when ``spatial`` > 0 (then the colour
#: histogram no longer stands for the pixels); the rest are assigned to the centres.
SPATIAL_SAMPLE = 1 << 18


def smoothing_halo(sigma: float) -> int:
    """Pixels a smoothing of ``sigma`` reaches (gaussian_filter's radius at truncate=4):
    the margin a tile is read with to be smoothed as the whole image is."""
    return int(4.0 * sigma + 0.5) if sigma > 0 else 0


def _smoothed(block, sigma):
    """(h, w, 3) uint8 ``block`` smoothed channel by channel (float32 temporaries), its
    edges extended as the image's are."""
    from scipy import ndimage  # scipy and scikit-image load on use: the CLI starts faster

    out = np.empty_like(block)
    for c in range(3):
        channel = ndimage.gaussian_filter(block[..., c].astype(np.float32), sigma, mode="nearest")
        out[..., c] = np.clip(np.rint(channel), 0, 255)
    return out


def smooth(rgb, sigma):
    """Gaussian-smoothed copy of (H, W, 3) uint8, by strips of rows (float32
    temporaries of a strip and its halo, not of the image): the same values as one
    ``gaussian_filter`` of the whole image, whose kernel reaches 4 sigma."""
    height, width = rgb.shape[:2]
    halo = smoothing_halo(sigma)
    out = np.empty_like(rgb)

    def strip(rows):
        top, bottom = max(rows.start - halo, 0), min(rows.stop + halo, height)
        out[rows] = _smoothed(rgb[top:bottom], sigma)[rows.start - top : rows.stop - top]

    map_slices(strip, height, max(1, STRIP // max(width, 1), 4 * halo))
    return out


def smooth_window(read, window, shape, sigma):
    """The pixels of ``window`` ((rows, columns) slices) of an image of ``shape`` read
    by ``read(window)``, smoothed as :func:`smooth` smooths the whole image: read with
    a halo of the kernel's radius, so every value is the same."""
    rows, columns = window
    if sigma <= 0:
        return read(window)
    halo = smoothing_halo(sigma)
    top, left = max(rows.start - halo, 0), max(columns.start - halo, 0)
    bottom, right = min(rows.stop + halo, shape[0]), min(columns.stop + halo, shape[1])
    block = _smoothed(read((slice(top, bottom), slice(left, right))), sigma)
    return block[rows.start - top : rows.stop - top, columns.start - left : columns.stop - left]


def _nearest_mean_rgb(histogram, labels, k):
    """Each colour's nearest cluster by sRGB distance to the clusters' mean sRGB colours.

    Smoothing averages neighbours in sRGB, so a smoothed pixel on an edge is an sRGB
    mix of the two sides, and noise is even in sRGB; CIELAB's curvature would move the
    split between two clusters off the middle of the mix (bench/segment.py measures it).
    """
    rgb = histogram.colors.astype(np.float64)
    weights = np.bincount(labels, weights=histogram.counts, minlength=k)
    means = np.stack([np.bincount(labels, weights=histogram.counts * rgb[:, c], minlength=k) for c in range(3)], 1)
    present = np.flatnonzero(weights)  # a centre that serves no colour has no mean
    means = (means[present] / weights[present, None]).astype(np.float32)
    nearest, _ = assign(histogram.colors.astype(np.float32), means, with_distances=False)
    return present[nearest]


def _separated_centers(levels, k, effort, rng, noise):
    """k-means centres of ``levels``, then :func:`separate` them under ``noise``, in
    offset coordinates.  The thorough search starts from the normal one's result and
    replaces it only with better separated centres: among fully separated ones the
    error does not tell the right regions (edge mixes lower it), so it is never worse
    at telling regions apart."""
    best = None
    for each in ("normal", effort) if effort == "thorough" else (effort,):
        centers = separate(levels, cluster_colors(levels, k, Search(effort=each), rng=rng) - levels.offset, noise)
        if best is None or separation(centers, noise) > separation(best, noise):
            best = centers
    return best + levels.offset


def cluster_histogram(histogram, k, *, colorspace, effort, rng, label_in_rgb=False, noise=None):
    """The colour clustering of :func:`cluster_pixels` (``spatial`` 0) on the pixels'
    histogram: the cluster of each of its colours ((m,) int32) and the centres."""
    colors = to_space(histogram.colors, colorspace)
    if len(histogram) <= k:
        if len(histogram) < k:
            warnings.warn(
                f"the image has only {len(histogram)} distinct colours, fewer than n_segments={k}",
                FewDistinctPointsWarning,
                stacklevel=4,
            )
        centers = colors
    else:
        levels = Levels(colors, histogram.counts, histogram.colors)
        if noise is None:
            centers = cluster_colors(levels, k, Search(effort=effort), rng=rng)
        else:
            centers = _separated_centers(levels, k, effort, rng, noise)
    color_labels, _ = assign(colors, centers, with_distances=False)
    if label_in_rgb:
        color_labels = _nearest_mean_rgb(histogram, color_labels, len(centers))
    return color_labels.astype(np.int32), centers


def cluster_pixels(rgb, where, k, *, colorspace, spatial, effort, rng, label_in_rgb=False, noise=None):
    """Cluster label (0..k-1) of every selected pixel, and the centres' colour features.

    ``rgb`` is (H, W, 3) uint8; ``where`` the flat indices of the pixels to cluster,
    or None for all of them.  With ``label_in_rgb`` (colour only), the centres are
    found in ``colorspace`` and each colour then joins the cluster whose mean sRGB
    colour is nearest.  With ``noise`` (colour only, in sRGB: the noise left in the
    colours, per channel), clusters that the noise cannot tell apart are merged and
    the regions they left out found (:mod:`~quantize.segmentation.separation`).
    """
    width = rgb.shape[1]
    flat = rgb.reshape(-1, 3)
    histogram = ColorHistogram(flat if where is None else flat[where])
    if spatial == 0:  # colour only: label colours, not pixels
        color_labels, centers = cluster_histogram(
            histogram, k, colorspace=colorspace, effort=effort, rng=rng, label_in_rgb=label_in_rgb, noise=noise
        )
        return histogram.lookup(color_labels), centers
    colors = to_space(histogram.colors, colorspace)

    # Colour and position: D² = d_colour² + (spatial / S)² d_xy², S the grid step of k
    # square superpixels (SLIC's compactness).  Fitted on a sample, applied in strips.
    index = histogram.lookup(np.arange(len(histogram), dtype=np.int32))
    n = len(index)
    scale = np.float32(spatial / np.sqrt(n / k))

    def features(rows):
        positions = rows if where is None else where[rows]
        y, x = np.divmod(positions, width)
        return np.column_stack([colors[index[rows]], x * scale, y * scale]).astype(np.float32)

    sample = np.sort(rng.choice(n, size=min(n, SPATIAL_SAMPLE), replace=False))
    model = KMeans(k, algorithm="minibatch", n_init=1, random_state=rng).fit(features(sample))
    labels = np.empty(n, dtype=np.int32)

    def label_strip(part):
        labels[part], _ = assign(
            features(np.arange(part.start, part.stop)), model.cluster_centers_, with_distances=False
        )

    map_slices(label_strip, n, STRIP)
    return labels, model.cluster_centers_[:, :3]
