"""Speckle: the regions of a few pixels that noise leaves, given a neighbour's cluster
before the regions are counted, by a rule that looks no further than their size.

Noise scatters a cluster map into tiny regions: a noisy 16 MP scene has 800,000 regions,
of which 2,300 have 64 pixels or more.  Each region smaller than ``size`` pixels
takes the cluster it shares the most border with (ties: the nearest in colour, then
the lower number), every decision made on the map as it was.  A region of fewer than
``size`` pixels lies within ``size`` pixels of any of its own, so a block of the map
with a margin of ``size`` decides its middle exactly as the whole map does: an image
larger than memory is cleaned tile by tile, and the graph of regions that the
min-region merge then works on (:mod:`~quantize.segmentation.regions`) is ten times
smaller (that scene: 50,000 regions per megapixel before, 5,200 after; the regions that
swapped clusters together are most of what is left).  A second pass would leave 1,200,
but it needs twice the margin.
"""

import numpy as np

from .._parallel import STRIP, slices, thread_map
from .regions import connected_regions

#: Regions below this many pixels are speckle when ``min_region`` is larger (else below
#: ``min_region``): the margin a tile is read with, and the reach of the rule.
SPECKLE = 64


def speckle_size(min_region: int) -> int:
    """Regions below this many pixels are speckle when regions below ``min_region`` are
    merged (0: none, when every region is kept)."""
    return min(min_region, SPECKLE) if min_region > 1 else 0


def despeckle_block(block: np.ndarray, core: tuple, size: int, centers: np.ndarray) -> np.ndarray:
    """The clusters of ``block[core]`` with every region of fewer than ``size`` pixels
    in the cluster it shares the most border with.

    Parameters
    ----------
    block : (h, w) ndarray of int32
        Clusters, -1 where no pixel is (not a neighbour); not modified.
    core : (rows, columns) slices of ``block``
        At least ``size`` pixels from every edge of the block that is not the image's.
    size : int
    centers : (k, d) ndarray
        The clusters' colours: of two clusters that share as much border, the nearer
        in colour wins.

    Returns
    -------
    (core rows, core columns) ndarray of int32
    """
    if size <= 1:
        return block[core].copy()
    height, width = block.shape
    padded = np.full((height + 2, width + 2), -1, dtype=np.int32)  # -1 around: no neighbour there
    padded[1:-1, 1:-1] = block
    regions, n = connected_regions(padded)
    area = np.bincount(regions[regions >= 0], minlength=n)
    tiny = np.append(area < size, False)  # the last entry answers for -1
    inner = regions[1:-1, 1:-1]
    if not tiny[inner[core]].any():
        return block[core].copy()
    # each tiny region's pixels, and their 4-neighbours in other regions
    where = np.flatnonzero(tiny[regions])
    own = regions.reshape(-1)[where]
    flat_regions, flat_clusters = regions.reshape(-1), padded.reshape(-1)
    k = len(centers)
    keys = []
    for step in (1, -1, width + 2, -(width + 2)):
        other = flat_regions[where + step]
        differ = (other != own) & (other >= 0)
        keys.append(own[differ].astype(np.int64) * k + flat_clusters[where[differ] + step])
    keys = np.concatenate(keys)
    cluster = np.zeros(n, dtype=np.int64)
    cluster[own] = flat_clusters[where]  # of the tiny regions, the only ones asked
    region, candidate = _best_borders(keys, k, n, cluster, centers)
    new = np.full(n + 1, -2, dtype=np.int32)  # -2: unchanged (the last entry answers for -1)
    new[region] = candidate
    out = new[inner[core]]
    unchanged = out == -2
    out[unchanged] = block[core][unchanged]
    return out


#: Most cells of the (tiny region x cluster) table of border lengths counted directly;
#: beyond, the borders are sorted instead (a memory bound, for many clusters).
_TABLE = 1 << 22


def _best_borders(keys, k, n, cluster, centers):
    """(regions, their new clusters) from ``keys`` (region x k + neighbour's cluster, one
    per pixel edge): the most border, then the nearest colour, then the lower cluster."""
    if not len(keys):
        return keys, keys
    region_of_key = keys // k
    regions = np.flatnonzero(np.bincount(region_of_key, minlength=n))  # those with a neighbour
    if len(regions) * k <= _TABLE:  # a table of border lengths: no sort of the edges
        rank = np.zeros(n, dtype=np.int64)
        rank[regions] = np.arange(len(regions))
        table = np.bincount(rank[region_of_key] * k + keys % k, minlength=len(regions) * k).reshape(-1, k)
        most = table.max(axis=1, keepdims=True)
        gap = ((centers[cluster[regions]][:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        gap[table != most] = np.inf
        return regions, np.argmin(gap, axis=1)  # the first of equal gaps: the lower cluster
    keys, counts = np.unique(keys, return_counts=True)
    region, candidate = np.divmod(keys, k)
    gap = centers[cluster[region]] - centers[candidate]
    order = np.lexsort((candidate, np.einsum("ij,ij->i", gap, gap), -counts, region))
    region, candidate = region[order], candidate[order]
    best = np.ones(len(region), dtype=bool)  # the first of each region's run
    best[1:] = region[1:] != region[:-1]
    return region[best], candidate[best]


def despeckle(clusters: np.ndarray, size: int, centers: np.ndarray) -> np.ndarray:
    """:func:`despeckle_block` of a whole (H, W) int32 cluster map, rewritten in place:
    by strips of rows with a margin of ``size`` rows, each strip's result kept as int16
    until every strip has been decided on the map as it was."""
    if size <= 1:
        return clusters
    height, width = clusters.shape

    def strip(rows):
        top, bottom = max(rows.start - size, 0), min(rows.stop + size, height)
        core = (slice(rows.start - top, rows.stop - top), slice(0, width))
        return despeckle_block(clusters[top:bottom], core, size, centers).astype(np.int16)

    parts = slices(height, max(STRIP // max(width, 1), 8 * size))
    for rows, cleaned in zip(parts, thread_map(strip, parts)):
        clusters[rows] = cleaned
    return clusters
