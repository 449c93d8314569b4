"""Regions of a cluster map: its 4-connected pieces, the merging of small ones into a
neighbour, the clusters renumbered by size, and every statistic of a segmentation.

The pixels are labelled once; merging then works on the graph of adjacent regions
(areas, shared border lengths, clusters), whose size is the number of regions, not of
pixels, and the maps are rewritten once at the end.
"""

from dataclasses import dataclass

import numpy as np

from .._parallel import STRIP, map_slices, slices

# Cleanup rounds: each merges every small region that has a neighbour, so a handful
# suffice; the cap only guards against a pathological image.
_MAX_ROUNDS = 64


def _rows_per_strip(image):
    """Rows of a strip of about STRIP pixels of an (H, W) map."""
    return max(1, STRIP // max(image.shape[1], 1))


def connected_regions(clusters):
    """4-connected regions of each cluster: (H, W) int32 (-1 outside) and their number,
    numbered in raster order of their first pixel.

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


def adjacency(regions, n):
    """Pairs (a < b) of 4-neighbouring regions of an (H, W) map of ``n`` regions (-1
    outside), (m, 2) int64, and the length of their shared border in pixel edges,
    (m,) int64; by strips of rows."""
    height = regions.shape[0]

    def strip(rows):
        own = regions[rows]
        block = regions[rows.start : min(rows.stop + 1, height)]  # and the next strip's first row
        keys = []
        for before, after in ((own[:, :-1], own[:, 1:]), (block[:-1], block[1:])):
            differ = (before != after) & (before >= 0) & (after >= 0)
            a, b = before[differ].astype(np.int64), after[differ].astype(np.int64)
            keys.append(np.minimum(a, b) * n + np.maximum(a, b))
        return np.unique(np.concatenate(keys), return_counts=True)

    parts = map_slices(strip, height, _rows_per_strip(regions))
    keys = np.concatenate([k for k, _ in parts])
    keys, inverse = np.unique(keys, return_inverse=True)
    border = np.bincount(inverse, weights=np.concatenate([c for _, c in parts])).astype(np.int64)
    return np.column_stack(np.divmod(keys, n)), border


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


def _groups(pairs, cluster, n):
    """Connected pieces of the region graph whose adjacent members share a cluster:
    (n,) int64 piece of every region, numbered by their smallest region (raster
    order of their first pixel), and the number of pieces."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    same = cluster[pairs[:, 0]] == cluster[pairs[:, 1]]
    graph = coo_matrix((np.ones(np.count_nonzero(same), np.int8), (pairs[same, 0], pairs[same, 1])), shape=(n, n))
    count, piece = connected_components(graph, directed=False)
    first = np.full(count, n, dtype=np.int64)
    np.minimum.at(first, piece, np.arange(n))
    rank = np.empty(count, dtype=np.int64)
    rank[np.argsort(first)] = np.arange(count)
    return rank[piece], count


def _merge_small(pairs, border, cluster, area, min_region, centers):
    """Merge regions smaller than ``min_region`` on the region graph.

    Every round, each small region joins the cluster of the neighbour it shares the
    longest border with (ties: the nearest colour); regions are then the connected
    pieces of same-cluster neighbours again, as a new labelling of the pixels would
    find them.  Returns the piece of every original region, the pieces' clusters and
    their number.
    """
    n = len(area)
    piece, count = np.arange(n), n
    piece_cluster = cluster.copy()
    for _ in range(_MAX_ROUNDS):
        piece_area = np.bincount(piece, weights=area, minlength=count)
        small = piece_area < min_region
        a, b = piece[pairs[:, 0]], piece[pairs[:, 1]]
        involved = (a != b) & (small[a] | small[b])
        if not involved.any():
            break
        keys, shared = np.unique(np.minimum(a, b)[involved] * count + np.maximum(a, b)[involved], return_inverse=True)
        lengths = np.bincount(shared, weights=border[involved]).astype(np.int64)
        a, b = np.divmod(keys, count)
        a, b, lengths = np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([lengths, lengths])
        keep = small[a]
        a, b, lengths = a[keep], b[keep], lengths[keep]
        gap = centers[piece_cluster[a]] - centers[piece_cluster[b]]
        target = _merge_targets(a, b, lengths, np.einsum("ij,ij->i", gap, gap), piece_area)
        cluster = piece_cluster[target][piece]
        piece, count = _groups(pairs, cluster, n)
        piece_cluster = np.zeros(count, dtype=cluster.dtype)
        piece_cluster[piece] = cluster
    return piece, piece_cluster, count


@dataclass
class RegionMap:
    """The maps of a segmentation and what is known of its regions without the pixels.

    Clusters are numbered by decreasing pixel count (none empty), regions in raster
    order of their first pixel.
    """

    clusters: np.ndarray  # (H, W) int32, -1 outside
    regions: np.ndarray  # (H, W) int32, -1 outside
    region_cluster: np.ndarray  # (R,) int64
    region_area: np.ndarray  # (R,) int64
    n_clusters: int


def merge_graph(area, cluster, pairs, border, centers, min_region, *, by_size=True):
    """The regions left when those smaller than ``min_region`` are merged, from the
    graph of regions alone (see :func:`region_map`).

    Parameters
    ----------
    area, cluster : (n,) ndarray of int64
        Pixels and cluster of every region, numbered in raster order of their first pixel.
    pairs, border : (m, 2) and (m,) ndarray of int64, or None
        :func:`adjacency` of the regions (needed when ``min_region`` > 1 and n > 1).
    centers : (k, d) ndarray
    min_region : int
    by_size : bool, keyword-only

    Returns
    -------
    piece : (n,) ndarray of int64
        The new region of every region.
    piece_cluster, piece_area : (R,) ndarray of int64
        The new regions' clusters (renumbered by size with ``by_size``) and pixels.
    n_clusters : int
    """
    n = len(area)
    if min_region > 1 and n > 1:
        piece, piece_cluster, count = _merge_small(pairs, border, cluster, area, min_region, centers)
    else:
        piece, piece_cluster, count = np.arange(n), cluster, n
    piece_area = np.bincount(piece, weights=area, minlength=count).astype(np.int64)
    n_clusters = len(centers)
    if by_size:  # clusters by decreasing pixel count; those that lost every pixel are gone
        cluster_pixels = np.bincount(piece_cluster, weights=piece_area, minlength=len(centers))
        order = np.argsort(-cluster_pixels, kind="stable")[: np.count_nonzero(cluster_pixels)]
        renumber = np.full(len(cluster_pixels), -1, dtype=np.int64)
        renumber[order] = np.arange(len(order))
        piece_cluster, n_clusters = renumber[piece_cluster], len(order)
    return piece, piece_cluster, piece_area, n_clusters


def region_map(clusters, centers, min_region=0, *, by_size=True):
    """Regions of a cluster map, regions smaller than ``min_region`` merged into a
    neighbour (a small region with no neighbour, alone or surrounded by transparency,
    stays), clusters renumbered by size.

    Parameters
    ----------
    clusters : (H, W) ndarray of int32
        Cluster of every pixel, -1 outside; rewritten in place.
    centers : (k, d) ndarray
        The clusters' colours, for ties between borders of equal length.
    min_region : int
    by_size : bool, keyword-only
        Renumber the clusters by decreasing pixel count, dropping empty ones (else
        they keep their numbers).

    Returns
    -------
    RegionMap
    """
    regions, n = connected_regions(clusters)
    area = np.zeros(n, dtype=np.int64)
    cluster = np.zeros(n, dtype=np.int64)
    flat_regions, flat_clusters = regions.reshape(-1), clusters.reshape(-1)
    for part in slices(flat_regions.size, STRIP):  # strips: no whole-map temporaries
        ids, values = flat_regions[part], flat_clusters[part]
        if ids.min(initial=0) < 0:  # pixels in no region
            inside = ids >= 0
            ids, values = ids[inside], values[inside]
        area += np.bincount(ids, minlength=n)
        cluster[ids] = values
    pairs, border = adjacency(regions, n) if min_region > 1 and n > 1 else (None, None)
    piece, piece_cluster, piece_area, n_clusters = merge_graph(
        area, cluster, pairs, border, centers, min_region, by_size=by_size
    )
    new_region = np.append(piece, -1).astype(np.int32)  # the last entry maps -1 to -1
    new_cluster = np.append(piece_cluster[piece], -1).astype(np.int32)
    for part in slices(flat_regions.size, STRIP):  # in place, by strips
        flat_clusters[part] = new_cluster[flat_regions[part]]
        flat_regions[part] = new_region[flat_regions[part]]
    return RegionMap(clusters, regions, piece_cluster, piece_area, n_clusters)


def merge_small_regions(clusters, min_region, centers):
    """A copy of the cluster map with regions smaller than ``min_region`` merged into
    a neighbour (see :func:`region_map`), clusters keeping their numbers."""
    return region_map(clusters.astype(np.int32), centers, min_region, by_size=False).clusters


def _region_sums(regions, rgb, n):
    """Per region: sums of row and column indices, sums of R, G and B."""
    height, width = regions.shape
    columns = np.arange(width, dtype=np.float64)

    def strip(rows):  # strips of rows keep temporaries small
        part = regions[rows]
        y = np.repeat(np.arange(rows.start, rows.stop, dtype=np.float64), width)
        x = np.tile(columns, rows.stop - rows.start)
        values = [y, x] + [rgb[rows, :, c].reshape(-1) for c in range(3)]
        ids = part.reshape(-1)
        if ids.min(initial=0) < 0:  # pixels in no region
            inside = ids >= 0
            ids, values = ids[inside], [v[inside] for v in values]
        return np.stack([np.bincount(ids, weights=v, minlength=n) for v in values])

    return sum(map_slices(strip, height, _rows_per_strip(regions)), np.zeros((5, n)))


def _bboxes(regions, n):
    """(n, 4) int64 [top, left, bottom, right] of every region, bottom/right exclusive."""
    from scipy import ndimage

    regions += 1  # in place: find_objects takes 0 as background
    try:
        found = ndimage.find_objects(regions, max_label=n)
    finally:
        regions -= 1
    if not found:
        return np.zeros((0, 4), dtype=np.int64)
    return np.array([(s[0].start, s[1].start, s[0].stop, s[1].stop) for s in found], dtype=np.int64)


def statistics(rgb, segments):
    """Every statistic of :class:`SegmentResult` from the pixels and their RegionMap."""
    n = len(segments.region_area)
    return {
        "clusters": segments.clusters,
        "regions": segments.regions,
        **region_statistics(
            _region_sums(segments.regions, rgb, n),
            _bboxes(segments.regions, n),
            segments.region_cluster,
            segments.region_area,
            segments.n_clusters,
        ),
    }


def region_statistics(sums, region_bboxes, region_cluster, area, k):
    """The statistics of :class:`SegmentResult` but its maps, from each region's sums
    ((5, R) float64: of rows, of columns, of R, G and B), bounding box ((R, 4) int64),
    cluster and area, with ``k`` clusters."""
    n = len(area)
    safe_area = np.maximum(area, 1)[:, None]
    cluster_pixels = np.bincount(region_cluster, weights=area, minlength=k).astype(np.int64)
    color_sums = np.stack([np.bincount(region_cluster, weights=row, minlength=k) for row in sums[2:]], 1)
    cluster_bboxes = np.zeros((k, 4), dtype=np.int64)
    if n:
        cluster_bboxes[:, :2] = np.iinfo(np.int64).max
        for column, extreme in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
            extreme.at(cluster_bboxes[:, column], region_cluster, region_bboxes[:, column])
    return {
        "colors": _mean_colors(color_sums, cluster_pixels),
        "cluster_pixels": cluster_pixels,
        "cluster_regions": np.bincount(region_cluster, minlength=k).astype(np.int64),
        "cluster_bboxes": cluster_bboxes,
        "region_cluster": region_cluster,
        "region_area": area,
        "region_centroids": sums[:2].T / safe_area,
        "region_bboxes": region_bboxes,
        "region_colors": _mean_colors(sums[2:].T, area),
    }


def _mean_colors(color_sums, counts):
    return np.clip(np.rint(color_sums / np.maximum(counts, 1)[:, None]), 0, 255).astype(np.uint8)
