"""Segmentation of an image larger than memory, tile by tile: the same clusters, regions
and statistics as :func:`~quantize.segment_image` on the whole image.

Four passes over the tiles, run by a runner: :class:`BandRunner` reads bands of
full-width rows (each chunk row of the input once a pass, with the margins its tiles
need) and runs a band's tiles on the threads; ``quantize.batch.tiles.ClusterRunner``
runs them on a Dask cluster's workers.  The work of a tile (:class:`TilePlan`,
:meth:`ArraySegmentation.tile`) is the same on both:

1. the noise, on the bands :func:`~quantize.segmentation.auto.estimate_noise` samples;
2. the histogram of the smoothed colours, summed over the tiles, and the clusters
   fitted to it (:func:`~quantize.segmentation.clustering.cluster_histogram`);
3. each tile's clusters (smoothed with a halo, speckle cleaned with a margin of its
   size: :mod:`~quantize.segmentation.speckle`), its connected regions, their areas,
   first pixels, sums and boxes, the borders between them and the region ids along
   its four edges.  Regions that meet across a tile's edge in one cluster are joined
   (union-find over the edges: connected components of the graph of those meetings),
   numbered in raster order of their first pixel as a labelling of the whole image
   numbers them, and the min-region merge runs on the joined graph
   (:func:`~quantize.segmentation.regions.merge_graph`); every statistic is a sum;
4. on demand (:meth:`ArraySegmentation.tiles`), each tile's final maps and boundaries,
   recomputed as in 3 and renumbered, its edges' neighbours known from 3.

Memory: a band of rows with its margins, the histogram, and a few numbers for each
region of each tile (after the speckle cleanup, thousands per megapixel of a noisy image).
"""

import dataclasses
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._parallel import slices
from .._validation import RandomState, resolve_seed, settings_for_call
from ..color.histogram import ColorHistogram, pack_colors
from ..color.spaces import DEFAULT_SPACE
from ..drawing import inner_boundaries
from ..errors import InvalidParameterError
from ..quantization.search import DEFAULT_EFFORT
from ..quantization.tiled import TileHistogram, tile_histogram
from .auto import NOISY, auto_min_region, auto_sigma, estimate_noise_by_rows, residual_noise, space_for_noise
from .bands import BandRunner, RowReader
from .clustering import cluster_histogram, smooth_window, smoothing_halo
from .regions import connected_regions, merge_graph, region_statistics
from .result import segments_summary
from .settings import AUTO, SegmentSettings
from .speckle import despeckle_block, speckle_size
from .tile_regions import TileJoin, joined_regions, tile_graph

#: Side of the tiles, in pixels (those of a tiled output too).
TILE = 512
_RGB_CODES = 1 << 24


@dataclass
class SegmentTile:
    """One tile of a segmentation larger than memory (see :meth:`ArraySegmentation.tiles`).

    Attributes
    ----------
    window : (rows, columns) slices
    pixels : (h, w, 3) ndarray of uint8
    clusters, regions : (h, w) ndarray of int32
        As :class:`~quantize.segmentation.result.SegmentResult`'s maps hold them.
    boundaries : (h, w) ndarray of bool
        The pixels with a 4-neighbour in another region (the whole image's neighbours).
    """

    window: tuple
    pixels: np.ndarray
    clusters: np.ndarray
    regions: np.ndarray
    boundaries: np.ndarray


class TilePlan:
    """The work of each tile of one segmentation, as the passes learn it: the image's
    shape, the smoothing, the speckle size, then the colour table and the clusters'
    centres.  Its methods take ``read(window)``, which gives a window's (h, w, 3) uint8
    pixels (from a band in memory, or from the file on a cluster's worker)."""

    def __init__(self, shape, sigma, size, with_pairs):
        self.shape = shape
        self.sigma, self.size, self.with_pairs = sigma, size, with_pairs
        self.tile = TILE
        self.grid = (slices(shape[0], TILE), slices(shape[1], TILE))
        self.table = np.zeros(0, np.uint8)
        self.centers = np.zeros((0, 3), np.float32)

    @property
    def columns(self) -> int:
        return len(self.grid[1])

    def windows(self) -> list:
        """Every tile's (rows, columns) slices, in raster order."""
        return [(rows, columns) for rows in self.grid[0] for columns in self.grid[1]]

    def smoothing_margin(self) -> int:
        return smoothing_halo(self.sigma)

    def margin(self) -> int:
        """Pixels a tile's clusters are read with around it."""
        return self.size + self.smoothing_margin()

    def smoothed(self, read, window):
        return smooth_window(read, window, self.shape, self.sigma)

    def histogram(self, read, window, index):
        """(codes, counts) of a tile's smoothed colours."""
        return tile_histogram(self.smoothed(read, window))

    def clusters(self, read, window):
        """(h, w) int32 clusters of a window, speckle cleaned as the whole map is."""
        (rows, columns), (height, width), size = window, self.shape[:2], self.size
        top, left = max(rows.start - size, 0), max(columns.start - size, 0)
        outer = (slice(top, min(rows.stop + size, height)), slice(left, min(columns.stop + size, width)))
        pixels = self.smoothed(read, outer)
        block = self.table[pack_colors(pixels.reshape(-1, 3))].reshape(pixels.shape[:2]).astype(np.int32)
        core = (slice(rows.start - top, rows.stop - top), slice(columns.start - left, columns.stop - left))
        return despeckle_block(block, core, size, self.centers)

    def graph(self, read, window, index):
        """A tile's regions and borders (see :class:`TileGraph`)."""
        return tile_graph(self, read, window)


@dataclass
class ArraySegmentation:
    """What :func:`segment_array` gives: every statistic of
    :class:`~quantize.segmentation.result.SegmentResult` (same names, same values), and
    its maps tile by tile from :meth:`tiles`.

    Attributes
    ----------
    shape : (int, int)
        (height, width).
    colors, cluster_pixels, cluster_regions, cluster_bboxes, region_cluster, region_area,
    region_centroids, region_bboxes, region_colors, parameters, input, notes, seconds
        As in :class:`~quantize.segmentation.result.SegmentResult`.
    """

    shape: tuple
    colors: np.ndarray
    cluster_pixels: np.ndarray
    cluster_regions: np.ndarray
    cluster_bboxes: np.ndarray
    region_cluster: np.ndarray
    region_area: np.ndarray
    region_centroids: np.ndarray
    region_bboxes: np.ndarray
    region_colors: np.ndarray
    parameters: dict = field(default_factory=dict)
    input: str | None = None
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    _plan: Any = field(default=None, repr=False)
    _runner: Any = field(default=None, repr=False)
    _final: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _offsets: list = field(default_factory=list, repr=False)
    _edges: dict = field(default_factory=dict, repr=False)

    @property
    def shares(self) -> np.ndarray:
        """(k,) float64: each cluster's share of the pixels (sums to 1)."""
        total = self.cluster_pixels.sum()
        return self.cluster_pixels / total if total else self.cluster_pixels.astype(np.float64)

    @property
    def tile_size(self) -> int:
        """Side of the tiles, in pixels."""
        return self._plan.tile

    @property
    def n_tiles(self) -> int:
        """The tiles :meth:`tiles` gives."""
        return len(self._plan.windows())

    def to_dict(self, extension: str = ".png") -> dict[str, Any]:
        """segments.json's content, as :meth:`SegmentResult.to_dict` gives it (masks
        named with ``extension``)."""
        height, width = self.shape
        return segments_summary(self, height, width, extension)

    def tiles(self, function: Callable[[SegmentTile], Any] | None = None) -> Iterator[Any]:
        """Every tile's maps, in raster order (bands of :data:`TILE` rows, the tiles of
        a band computed on the threads, or on a cluster's workers): the image is read
        once more.  With ``function``, what it makes of each tile, made there too (a
        writer's encoded tiles, say; on a cluster it must pickle)."""
        maker = _TileMaker(dataclasses.replace(self, _runner=None), function)
        return self._runner.map(maker, "make", self._plan, self._plan.margin())

    def tile(self, read: Callable, window: tuple, index: int) -> SegmentTile:
        """The maps of tile ``index`` (raster order), at ``window``, read by ``read``."""
        plan = self._plan
        clusters = plan.clusters(read, window)
        local, _ = connected_regions(clusters)
        regions = self._final[local + self._offsets[index]].astype(np.int32)
        edge = inner_boundaries(self._ring(index, plan.columns, regions), 1, regions.shape[0] + 1)[:, 1:-1]
        return SegmentTile(window, read(window), self.region_cluster[regions].astype(np.int32), regions, edge)

    def _ring(self, index, columns, regions):
        """(h + 2, w + 2) final regions of a tile and, around it, of its 4-neighbours
        (its own edge again at the image's edges: no boundary there)."""
        rows_total = len(self._plan.grid[0])
        padded = np.empty((regions.shape[0] + 2, regions.shape[1] + 2), dtype=regions.dtype)
        padded[1:-1, 1:-1] = regions
        above = self._edges[index - columns][1] if index >= columns else regions[0]
        below = self._edges[index + columns][0] if index + columns < rows_total * columns else regions[-1]
        left = self._edges[index - 1][3] if index % columns else regions[:, 0]
        right = self._edges[index + 1][2] if (index + 1) % columns else regions[:, -1]
        padded[0, 1:-1], padded[-1, 1:-1], padded[1:-1, 0], padded[1:-1, -1] = above, below, left, right
        padded[0, 0], padded[0, -1], padded[-1, 0], padded[-1, -1] = -1, -1, -1, -1  # corners: never looked at
        return padded


@dataclass
class _TileMaker:
    """A segmentation's tiles, each through ``function`` (what a runner's workers call)."""

    segmentation: ArraySegmentation
    function: Callable | None

    def make(self, read, window, index):
        tile = self.segmentation.tile(read, window, index)
        return tile if self.function is None else self.function(tile)


def segment_array(
    array: Any,
    n_segments: int = 4,
    *,
    settings: SegmentSettings | None = None,
    min_region: int | str = AUTO,
    sigma: float | str = AUTO,
    colorspace: str = DEFAULT_SPACE,
    effort: str = DEFAULT_EFFORT,
    random_state: RandomState = None,
    progress: Callable[[str, int, int], None] | None = None,
    runner: Any = None,
) -> ArraySegmentation:
    """Segment an (H, W, 3|4) array that may not fit in memory, tile by tile: a NumPy
    array, a Zarr array or any sliceable array (a Dask array too, read a band at a time).

    Parameters
    ----------
    array : (H, W, 3) or (H, W, 4) array of uint8 or uint16 (opaque)
    n_segments, settings, min_region, sigma, colorspace, effort, random_state
        As in :func:`quantize.segment_image` (by colour alone: ``spatial`` 0).
    progress : callable, optional, keyword-only
        Called as ``progress(step, done, total)`` with step "count" (the histogram's
        pass) and "regions", ``done`` of ``total`` tiles, after each band of them.

    Returns
    -------
    ArraySegmentation
        The statistics; :meth:`ArraySegmentation.tiles` gives the maps.

    Guarantees
    ----------
    The statistics, clusters and regions are those of ``segment_image`` on the same
    pixels with the same settings and integer ``random_state``.
    """
    s = settings_for_call(SegmentSettings, settings, {**locals(), "spatial": 0.0})
    if s.spatial != 0:
        raise InvalidParameterError("an image larger than memory is segmented by colour alone: spatial=0")
    if len(array.shape) != 3 or array.shape[2] not in (3, 4) or not array.shape[0] or not array.shape[1]:
        raise InvalidParameterError(f"array must have shape (H, W, 3) or (H, W, 4); got {tuple(array.shape)}")
    start = time.perf_counter()
    seed, rng = resolve_seed(s.random_state)
    height, width = shape = tuple(int(n) for n in array.shape[:2])
    report = progress or (lambda step, done, total: None)

    runner = runner or BandRunner(array)
    # the rows read for the noise serve the first pass when it runs here
    rows = runner.rows if isinstance(runner, BandRunner) else RowReader(array)
    noise = estimate_noise_by_rows(lambda top, bottom: (rows(top, bottom), None), height, width)
    smoothing = auto_sigma(noise) if isinstance(s.sigma, str) else s.sigma
    space = space_for_noise(s.colorspace, noise)
    min_region = auto_min_region(height * width) if s.min_region == AUTO else s.min_region
    plan = TilePlan(shape, smoothing, speckle_size(min_region), min_region > 1)
    columns, n_tiles = plan.columns, len(plan.windows())

    histogram = TileHistogram()
    for done, (codes, counts) in enumerate(runner.map(plan, "histogram", plan, plan.smoothing_margin()), 1):
        histogram.add_counts(codes, counts)
        if done % columns == 0:
            report("count", done, n_tiles)
    colors, counts = histogram.merged()
    color_labels, centers = cluster_histogram(
        ColorHistogram.from_counts(colors, counts),
        s.n_segments,
        colorspace=space,
        effort=s.effort,
        rng=rng,
        label_in_rgb=smoothing > 0 and space != "rgb",
        noise=residual_noise(noise, smoothing) if noise >= NOISY else None,
    )
    plan.table = np.zeros(_RGB_CODES, dtype=np.uint8)
    plan.table[pack_colors(colors)] = color_labels
    plan.centers = centers
    notes = []
    if len(centers) < s.n_segments:
        notes.append(f"only {len(centers)} clusters: the image has too few distinct colours for {s.n_segments}")

    graph = TileJoin()
    for index, tile in enumerate(runner.map(plan, "graph", plan, plan.margin())):
        graph.add(index, tile, columns)
        if (index + 1) % columns == 0:
            report("regions", index + 1, n_tiles)

    joined, n = joined_regions(graph)
    parts, offsets = graph.parts, graph.offsets
    area = np.bincount(joined, weights=np.concatenate([p.area for p in parts]), minlength=n).astype(np.int64)
    cluster = np.zeros(n, dtype=np.int64)
    cluster[joined] = np.concatenate([p.cluster for p in parts])
    pairs = border = None
    if min_region > 1 and n > 1:
        meetings = np.concatenate(graph.meetings) if graph.meetings else np.zeros((0, 3), np.int64)
        inside = [(joined[p.pairs.astype(np.int64) + offset], p.border) for p, offset in zip(parts, offsets)]
        ends = np.concatenate([ends for ends, _ in inside] + [joined[meetings[:, :2]]])
        lengths = np.concatenate([lengths for _, lengths in inside] + [meetings[:, 2]])
        del inside
        keys, inverse = np.unique(ends.min(axis=1) * n + ends.max(axis=1), return_inverse=True)
        border = np.bincount(inverse, weights=lengths).astype(np.int64)
        pairs = np.column_stack(np.divmod(keys, n))
        del ends, lengths, keys, inverse
    piece, piece_cluster, piece_area, n_clusters = merge_graph(area, cluster, pairs, border, centers, min_region)
    final = piece[joined]
    count = len(piece_area)
    sums = np.zeros((count, 5))
    bboxes = np.zeros((count, 4), dtype=np.int64)
    bboxes[:, :2] = np.iinfo(np.int64).max
    for part, offset in zip(parts, offsets):  # tile by tile: no copy of every region's sums
        ids = final[offset : offset + len(part.area)]
        np.add.at(sums, ids, part.global_sums())
        boxes = part.global_bboxes()
        for column, extreme in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
            extreme.at(bboxes[:, column], ids, boxes[:, column])
    edges = {
        index: tuple(final[edge + offset].astype(np.int32) for edge in part.edges)
        for index, (part, offset) in enumerate(zip(parts, graph.offsets))
    }
    return ArraySegmentation(
        shape,
        **region_statistics(sums.T, bboxes, piece_cluster, piece_area, n_clusters),
        parameters={
            "n_segments": s.n_segments,
            "colorspace": s.colorspace,
            "effort": s.effort,
            "spatial": 0.0,
            "min_region": min_region,
            "sigma": smoothing,
            "noise": round(noise, 2),
            "cluster_space": space,
            "seed": seed,
        },
        notes=notes,
        seconds=time.perf_counter() - start,
        _plan=plan,
        _runner=runner,
        _final=final,
        _offsets=graph.offsets,
        _edges=edges,
    )
