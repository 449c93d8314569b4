"""Regions of a cluster map: its 4-connected pieces, the merging of small ones into a
neighbour, the clusters renumbered by size, and every statistic of a segmentation."""

import numpy as np

from .._parallel import STRIP, slices

# Cleanup rounds: each merges every small region that has a neighbour, so a handful
# suffice; the cap only guards against a pathological image.
_MAX_ROUNDS = 64


def _rows_per_strip(image):
    """Rows of a strip of about STRIP pixels of an (H, W) map."""
    return max(1, STRIP // max(image.shape[1], 1))


def connected_regions(clusters):
    """4-connected regions of each cluster: (H, W) int32 (-1 outside) and their number.

    ``clusters`` is shifted in place for skimage's background 0 and shifted back, and
    skimage's int64 labels become int32 strip by strip: on 81 megapixels each whole
    temporary would cost 0.3 to 0.6 GB.
    """
    from skimage import measure

    clusters += 1
    try:
        labels, n = measure.label(clusters, background=0, connectivity=1, return_num=True)
    finally:
        clusters -= 1
    regions = np.empty(clusters.shape, dtype=np.int32)
    for rows in slices(clusters.shape[0], _rows_per_strip(clusters)):
        np.subtract(labels[rows], 1, out=regions[rows], casting="unsafe")
    return regions, n


def _adjacent_pairs(regions):
    """(a, b) for every pair of 4-neighbouring pixels in different regions, both ways."""
    firsts, seconds = [], []
    for before, after in ((regions[:, :-1], regions[:, 1:]), (regions[:-1], regions[1:])):
        differ = (before != after) & (before >= 0) & (after >= 0)
        firsts.append(before[differ])
        seconds.append(after[differ])
    a, b = np.concatenate(firsts + seconds), np.concatenate(seconds + firsts)
    return a.astype(np.int64), b.astype(np.int64)


def _merge_targets(a, b, border, color_gap, area):
    """Region each small region is merged into, following chains to their end.

    Every small region ``a`` picks the neighbour with the longest shared border (then
    the nearest colour).  Edges are ranked by a symmetric strict order, so the only
    cycles are mutual pairs, which the larger region of the pair ends.
    """
    n = len(area)
    order = np.lexsort((np.maximum(a, b), np.minimum(a, b), -color_gap, border, a))
    a, b = a[order], b[order]
    last = np.append(a[1:] != a[:-1], True)  # the best edge closes each run of a
    target = np.arange(n)
    target[a[last]] = b[last]
    ids = np.arange(n)
    mutual = (target[target] == ids) & (target != ids)
    keeps = mutual & ((area > area[target]) | ((area == area[target]) & (ids > target)))
    target[keeps] = ids[keeps]
    while True:  # pointer jumping: log(chain length) passes
        jumped = target[target]
        if np.array_equal(jumped, target):
            return target
        target = jumped


def merge_small_regions(clusters, min_region, centers):
    """Reassign the pixels of regions smaller than ``min_region`` to a neighbour's cluster.

    Returns the new (H, W) cluster map; a small region with no neighbour (alone in
    the image or surrounded by transparency) is left as it is.
    """
    for _ in range(_MAX_ROUNDS):
        regions, n = connected_regions(clusters)
        inside = regions >= 0
        area = np.bincount(regions[inside], minlength=n)
        small = area < min_region
        if not small.any():
            break
        a, b = _adjacent_pairs(regions)
        involved = small[a]
        if not involved.any():
            break
        a, b = a[involved], b[involved]
        region_cluster = np.zeros(n, dtype=np.int64)
        region_cluster[regions[inside]] = clusters[inside]
        keys, border = np.unique(a * n + b, return_counts=True)
        a, b = np.divmod(keys, n)
        gap = centers[region_cluster[a]] - centers[region_cluster[b]]
        target = _merge_targets(a, b, border, np.einsum("ij,ij->i", gap, gap), area)
        clusters = np.where(inside, region_cluster[target][regions], -1).astype(np.int32)
    return clusters


def _region_sums(regions, rgb, n):
    """Per region: pixel count, sums of row and column indices, sums of R, G and B."""
    height, width = regions.shape
    totals = np.zeros((6, n))
    columns = np.arange(width, dtype=np.float64)
    for rows in slices(height, _rows_per_strip(regions)):  # strips of rows keep temporaries small
        strip = regions[rows]
        inside = strip >= 0
        ids = strip[inside]
        y, x = np.nonzero(inside)
        totals[0] += np.bincount(ids, minlength=n)
        totals[1] += np.bincount(ids, weights=y + float(rows.start), minlength=n)
        totals[2] += np.bincount(ids, weights=columns[x], minlength=n)
        for channel in range(3):
            totals[3 + channel] += np.bincount(ids, weights=rgb[rows, :, channel][inside], minlength=n)
    return totals


def _bboxes(regions, n):
    """(n, 4) int64 [top, left, bottom, right] of every region, bottom/right exclusive."""
    from scipy import ndimage

    regions += 1  # in place: find_objects takes 0 as background
    try:
        slices = ndimage.find_objects(regions, max_label=n)
    finally:
        regions -= 1
    if not slices:
        return np.zeros((0, 4), dtype=np.int64)
    return np.array([(s[0].start, s[1].start, s[0].stop, s[1].stop) for s in slices], dtype=np.int64)


def by_size(clusters, n_clusters):
    """The cluster map renumbered by decreasing pixel count, without empty clusters."""
    counts = np.bincount(clusters[clusters >= 0], minlength=n_clusters)
    order = np.argsort(-counts, kind="stable")[: np.count_nonzero(counts)]
    renumber = np.full(len(counts) + 1, -1, dtype=np.int32)  # the last entry maps -1 to -1
    renumber[order] = np.arange(len(order), dtype=np.int32)
    flat = clusters.reshape(-1)
    for part in slices(flat.size, STRIP):  # in place, by strips: no second whole map
        flat[part] = renumber[flat[part]]
    return clusters


def statistics(rgb, clusters):
    """The regions of a cluster map and every statistic of :class:`SegmentResult`."""
    inside = clusters >= 0
    k = int(clusters.max(initial=-1)) + 1
    regions, n = connected_regions(clusters)
    sums = _region_sums(regions, rgb, n)
    area = sums[0].astype(np.int64)
    safe_area = np.maximum(area, 1)[:, None]
    region_cluster = np.zeros(n, dtype=np.int64)
    flat_regions, flat_clusters, flat_inside = regions.reshape(-1), clusters.reshape(-1), inside.reshape(-1)
    for part in slices(flat_regions.size, STRIP):  # strips: no whole-map temporaries
        region_cluster[flat_regions[part][flat_inside[part]]] = flat_clusters[part][flat_inside[part]]
    region_bboxes = _bboxes(regions, n)

    per_cluster = np.stack([np.bincount(region_cluster, weights=row, minlength=k) for row in sums[[0, 3, 4, 5]]])
    cluster_pixels = per_cluster[0].astype(np.int64)
    cluster_bboxes = np.zeros((k, 4), dtype=np.int64)
    if n:
        cluster_bboxes[:, :2] = np.iinfo(np.int64).max
        for column, extreme in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
            extreme.at(cluster_bboxes[:, column], region_cluster, region_bboxes[:, column])
    return {
        "clusters": clusters,
        "regions": regions,
        "colors": _mean_colors(per_cluster[1:].T, cluster_pixels),
        "cluster_pixels": cluster_pixels,
        "cluster_regions": np.bincount(region_cluster, minlength=k).astype(np.int64),
        "cluster_bboxes": cluster_bboxes,
        "region_cluster": region_cluster,
        "region_area": area,
        "region_centroids": sums[1:3].T / safe_area,
        "region_bboxes": region_bboxes,
        "region_colors": _mean_colors(sums[3:6].T, area),
    }


def _mean_colors(color_sums, counts):
    return np.clip(np.rint(color_sums / np.maximum(counts, 1)[:, None]), 0, 255).astype(np.uint8)
