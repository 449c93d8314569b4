"""The regions of an image's tiles and how they join: each tile's regions, their
sums, boxes and borders (:class:`TileGraph`), and the regions that meet in one cluster
across the tiles' edges joined and numbered as a labelling of the whole image numbers
them (:class:`TileJoin`)."""

from dataclasses import dataclass, field

import numpy as np

from .regions import adjacency, connected_regions


@dataclass
class TileGraph:
    """What pass 3 keeps of one tile, compactly (a gigapixel image has millions of tile
    regions): its regions by local id, their sums and boxes relative to the tile's
    ``origin``, their borders, and the local ids along its four edges."""

    origin: tuple
    area: np.ndarray  # (n,) int32
    first: np.ndarray  # (n,) int64: the flat index in the image of each one's first pixel
    cluster: np.ndarray  # (n,) int16
    sums: np.ndarray  # (n, 5) int32: of rows and columns from the origin, of R, G, B
    bboxes: np.ndarray  # (n, 4) int16, from the origin
    pairs: np.ndarray  # (m, 2) int32
    border: np.ndarray  # (m,) int32
    edges: tuple  # (top, bottom, left, right) int32 local ids

    def global_sums(self) -> np.ndarray:
        """(n, 5) float64 sums of rows and columns in the image, and of R, G, B."""
        sums = self.sums.astype(np.float64)
        sums[:, 0] += self.origin[0] * self.area
        sums[:, 1] += self.origin[1] * self.area
        return sums

    def global_bboxes(self) -> np.ndarray:
        top, left = self.origin
        return self.bboxes.astype(np.int64) + [top, left, top, left]


def first_pixels(regions, n):
    """Flat index (in the tile) of each region's first pixel: skimage numbers regions in
    raster order of it, so it is where the running maximum grows."""
    flat = regions.reshape(-1)
    grows = np.ones(len(flat), dtype=bool)
    grows[1:] = flat[1:] > np.maximum.accumulate(flat)[:-1]
    starts = np.flatnonzero(grows)
    if len(starts) != n or not np.array_equal(flat[starts], np.arange(n)):
        _, starts = np.unique(flat, return_index=True)
    return starts


def tile_graph(plan, read, window):
    """The :class:`TileGraph` of one tile of ``plan`` (a TilePlan), read by ``read``."""
    from scipy import ndimage

    clusters = plan.clusters(read, window)
    regions, n = connected_regions(clusters)
    rows, columns = window
    height, width = clusters.shape
    starts = first_pixels(regions, n)
    y, x = np.divmod(starts, width)
    ids = regions.reshape(-1)
    pixels = read(window).reshape(-1, 3)
    values = [
        np.repeat(np.arange(height, dtype=np.float64), width),
        np.tile(np.arange(width, dtype=np.float64), height),
    ]
    values += [pixels[:, c] for c in range(3)]
    # each sum is below 512 x 512 x 511: exact in int32
    sums = np.stack([np.bincount(ids, weights=v, minlength=n) for v in values], axis=1).astype(np.int32)
    found = ndimage.find_objects(regions + 1, max_label=n)
    bboxes = np.array([(s[0].start, s[1].start, s[0].stop, s[1].stop) for s in found], dtype=np.int16).reshape(-1, 4)
    if plan.with_pairs and n > 1:
        pairs, border = adjacency(regions, n)
    else:
        pairs, border = np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    return TileGraph(
        (rows.start, columns.start),
        np.bincount(ids, minlength=n).astype(np.int32),
        (y + rows.start) * plan.shape[1] + x + columns.start,
        clusters.reshape(-1)[starts].astype(np.int16),
        sums,
        bboxes,
        pairs.astype(np.int32),
        border.astype(np.int32),
        (regions[0].copy(), regions[-1].copy(), regions[:, 0].copy(), regions[:, -1].copy()),
    )


@dataclass
class TileJoin:
    """The regions of every tile, numbered one after another (tile by tile), and what
    joins them: same-cluster meetings across the tiles' edges, and borders."""

    offsets: list = field(default_factory=list)
    parts: list = field(default_factory=list)
    joins: list = field(default_factory=list)
    meetings: list = field(default_factory=list)
    count: int = 0

    def add(self, index, tile, columns):
        """Add tile ``index`` (raster order) of a grid ``columns`` tiles wide."""
        self.offsets.append(self.count)
        self.count += len(tile.area)
        self.parts.append(tile)
        if index % columns:  # the tile on the left: its right edge meets this left edge
            self._meet(index - 1, 3, index, 2)
        if index >= columns:  # the tile above: its bottom edge meets this top edge
            self._meet(index - columns, 1, index, 0)

    def _meet(self, one, one_side, other, other_side):
        """The regions of two tiles along their shared edge: joined where they are of one
        cluster, else neighbours, with the length of their border (each pair once)."""
        a, b = self.parts[one].edges[one_side], self.parts[other].edges[other_side]
        same = self.parts[one].cluster[a] == self.parts[other].cluster[b]
        span = np.int64(len(self.parts[other].area))
        for chosen, out in ((same, self.joins), (~same, self.meetings)):
            keys, counts = np.unique(a[chosen].astype(np.int64) * span + b[chosen], return_counts=True)
            first, second = np.divmod(keys, span)
            out.append(np.column_stack([first + self.offsets[one], second + self.offsets[other], counts]))


def joined_regions(graph):
    """The joined region of every tile region, numbered in raster order of its first
    pixel, and their number."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    joins = np.concatenate(graph.joins) if graph.joins else np.zeros((0, 3), np.int64)
    n = graph.count
    links = coo_matrix((np.ones(len(joins), np.int8), (joins[:, 0], joins[:, 1])), shape=(n, n))
    count, component = connected_components(links, directed=False)
    first = np.full(count, np.iinfo(np.int64).max)
    np.minimum.at(first, component, np.concatenate([part.first for part in graph.parts]))
    rank = np.empty(count, dtype=np.int64)
    rank[np.argsort(first)] = np.arange(count)
    return rank[component], count
