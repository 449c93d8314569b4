"""Images larger than memory, tile by tile.

The palette depends only on the image's colour histogram, and the mapping of a pixel
only on its colour: so the histogram is summed over tiles (exactly: integer counts,
merged as :func:`~quantize.color.histogram.merge_histograms` merges strips), the
palette fitted to the sum is the one :func:`quantize_image` fits to the whole image,
and each tile is then mapped on its own with a table of every colour's entry, the
labels ``quantize_image`` gives those pixels.  Memory: the histogram (16 bytes a
distinct colour), one table of 2^24 labels, and the tiles in hand.

Opaque images only (RGB, or RGBA whose alpha is 255 everywhere): partly transparent
pixels are clustered as premultiplied RGBA in memory, which this path does not do.
"""

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._parallel import get_num_threads, slices, thread_map
from .._validation import RandomState, check_image, resolve_seed, settings_for_call
from ..color.difference import ciede2000_rows
from ..color.histogram import ColorHistogram, merge_histograms, pack_colors, unpack_colors
from ..color.spaces import DEFAULT_SPACE, srgb_to_lab
from ..errors import InvalidParameterError
from .colors import ImageColors, histogram_colors
from .dither import dither as dither_labels
from .dither import pixel_squared_error
from .exact import color_delta_e, color_psnr
from .result import sample_rows
from .search import DEFAULT_EFFORT
from .settings import QuantizeSettings
from .target import fitted_palette

#: Distinct-colour parts kept before they are merged into one.
_MERGE_EVERY = 16
#: Rows of a NumPy array counted or mapped at a time.
_ROWS = 1024
_RGB_CODES = 1 << 24


def opaque_tile(tile: np.ndarray, name: str = "tile") -> np.ndarray:
    """A tile as (h, w, 3) uint8 (``check_image``'s conversions); InvalidParameterError
    when some pixel is not opaque."""
    tile = check_image(tile, name)
    if tile.shape[2] == 4:
        raise InvalidParameterError(
            f"the {name} has transparent pixels: images larger than memory are quantised opaque only"
        )
    return tile


def tile_histogram(tile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, counts) of a tile's colours, sorted by code (see :func:`pack_colors`)."""
    pixels = opaque_tile(tile)
    histogram = ColorHistogram(pixels.reshape(-1, 3))
    return pack_colors(histogram.colors), histogram.counts


class TileHistogram:
    """The colour histogram of an image summed over its tiles, in any order and from any
    thread (as libimagequant's histogram, which many images add to).

    Attributes
    ----------
    pixels : int
        Pixels added so far.
    """

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray]] = []
        self._lock = threading.Lock()
        self.pixels = 0

    def add(self, tile: np.ndarray) -> None:
        """Count the pixels of ``tile`` ((h, w, 3|4) array, see :func:`opaque_tile`)."""
        self.add_counts(*tile_histogram(tile))

    def add_counts(self, codes: np.ndarray, counts: np.ndarray) -> None:
        """Add a histogram already counted (a worker's :func:`tile_histogram`)."""
        with self._lock:
            self._parts.append((codes, counts))
            self.pixels += int(counts.sum())
            if len(self._parts) >= _MERGE_EVERY:  # bounded: a merged sum and a few parts
                self._parts = [merge_histograms(self._parts)]

    def merged(self) -> tuple[np.ndarray, np.ndarray]:
        """(colors (m, 3) uint8, counts (m,) int64) of every pixel added, in code order."""
        with self._lock:
            codes, counts = merge_histograms(self._parts)
            self._parts = [(codes, counts)]
        return unpack_colors(codes, 3), counts


@dataclass
class TiledPalette:
    """A palette fitted to a summed histogram, and the label of each of its colours.

    Attributes
    ----------
    palette : (n, 3) ndarray of uint8
    seed : int or None
        The seed the search drew from (as a report records it).
    notes : list of str
    psnr, delta_e, delta_e_p95 : float
        Of the whole image, exactly, from the histogram (as ``quantize_image``
        measures them without dithering).
    """

    palette: np.ndarray
    seed: int | None
    notes: list
    psnr: float
    delta_e: float
    delta_e_p95: float
    _table: np.ndarray = field(repr=False)
    colors: ImageColors = field(repr=False)  # the summed histogram's, for dithering
    color_labels: np.ndarray = field(repr=False)
    _index: np.ndarray | None = field(default=None, repr=False)

    @property
    def dtype(self) -> np.dtype:
        """The labels' dtype: uint8 up to 256 entries, else int16."""
        return self._table.dtype

    def index_of(self, pixels: np.ndarray) -> np.ndarray:
        """(h, w) row of the summed histogram of each of ``pixels`` ((h, w, 3) uint8)."""
        if self._index is None:  # 64 MB, made only when dithering asks for it
            self._index = np.zeros(_RGB_CODES, dtype=np.int32)
            self._index[pack_colors(self.colors.histogram.colors)] = np.arange(len(self.colors.histogram.colors))
        return self._index[pack_colors(pixels.reshape(-1, 3))].reshape(pixels.shape[:2])

    def labels(self, tile: np.ndarray) -> np.ndarray:
        """(h, w) labels of a tile's pixels: uint8 up to 256 entries, else int16.

        Guarantees: the labels ``quantize_image`` gives these pixels of the whole image
        (same histogram, settings and seed)."""
        pixels = opaque_tile(tile)
        return self._table[pack_colors(pixels.reshape(-1, 3))].reshape(pixels.shape[:2])


def fit_tiled_palette(
    colors: np.ndarray,
    counts: np.ndarray,
    *,
    settings: QuantizeSettings,
) -> TiledPalette:
    """The palette ``settings`` ask for, fitted to a summed histogram (``colors``,
    ``counts``, as :meth:`TileHistogram.merged` gives them) exactly as
    :func:`quantize_image` fits it to the whole image, with every colour's label."""
    if not len(counts):
        raise InvalidParameterError("the image has no pixel")
    seed, rng = resolve_seed(settings.random_state)
    notes: list[str] = []
    histogram = ColorHistogram.from_counts(colors, counts)
    # the shape counts the pixels (PSNR's mean); the tiles, not this, lay them out
    image_colors = histogram_colors(histogram, settings.colorspace, False, None, (int(counts.sum()), 1, 3))
    fitted = fitted_palette(image_colors, settings, seed=seed, rng=rng, notes=notes)
    if fitted.miss is not None:
        notes.append(fitted.miss.message)
    dtype = np.uint8 if len(fitted.palette) <= 256 else np.int16
    table = np.zeros(_RGB_CODES, dtype=dtype)
    table[pack_colors(colors)] = fitted.color_labels
    delta_e, delta_e_p95 = color_delta_e(image_colors, fitted.palette, fitted.color_labels)
    psnr = color_psnr(image_colors, fitted.palette, fitted.color_labels)
    return TiledPalette(
        fitted.palette, seed, notes, psnr, delta_e, delta_e_p95, table, image_colors, fitted.color_labels
    )


def _row_blocks(array, function):
    """``function`` of each block of :data:`_ROWS` rows, in order: a couple of blocks a
    thread are read (a Zarr array's, say) and in memory at a time."""
    parts = slices(array.shape[0], _ROWS)
    batch = 2 * get_num_threads()
    for start in range(0, len(parts), batch):
        yield from thread_map(lambda part: function(array[part]), parts[start : start + batch])


def _is_dask(array):
    return type(array).__module__.split(".")[0] == "dask"


@dataclass
class ArrayQuantization:
    """What :func:`quantize_array` gives: the palette, the labels (a NumPy array, or a
    lazy Dask array for a Dask input) and the fit's seed and notes."""

    palette: np.ndarray
    labels: Any
    seed: int | None
    notes: list


def quantize_array(
    array: Any,
    n_colors: int = 16,
    *,
    settings: QuantizeSettings | None = None,
    algorithm: str = "lloyd",
    init: str = "wu",
    effort: str = DEFAULT_EFFORT,
    random_state: RandomState = None,
    colorspace: str = DEFAULT_SPACE,
    lock: np.ndarray | Sequence | None = None,
) -> ArrayQuantization:
    """Quantise an (H, W, 3|4) array that may not fit in memory: a NumPy array, a Zarr
    or other sliceable array (read a block of rows at a time), or a Dask array.

    Parameters
    ----------
    array : (H, W, 3) or (H, W, 4) array of uint8 or uint16 (opaque)
    n_colors, settings, algorithm, init, effort, random_state, colorspace, lock
        As in :func:`quantize_image` (no dithering, no quality target).

    Returns
    -------
    ArrayQuantization
        With a Dask array, ``labels`` is a lazy Dask array (one block per block of the
        input, ``map_blocks``), and the histogram is summed by a tree reduction on the
        workers before the palette is fitted here; otherwise ``labels`` is an (H, W)
        NumPy array.

    Guarantees
    ----------
    The palette and labels are those of ``quantize_image`` on the same pixels with the
    same settings and integer ``random_state``.
    """
    s = settings_for_call(QuantizeSettings, settings, locals())
    if s.targeted:
        raise InvalidParameterError("quantize_array takes no quality target: give n_colors")
    if s.dither != "none":  # dithered bands: see dithered_band (compress of a tiled file uses them)
        raise InvalidParameterError("quantize_array maps without dithering: dither='none'")
    if len(array.shape) != 3 or array.shape[2] not in (3, 4):
        raise InvalidParameterError(f"array must have shape (H, W, 3) or (H, W, 4); got {tuple(array.shape)}")
    if _is_dask(array):
        return _quantize_dask(array, s)
    histogram = TileHistogram()
    for codes, counts in _row_blocks(array, tile_histogram):
        histogram.add_counts(codes, counts)
    fitted = fit_tiled_palette(*histogram.merged(), settings=s)
    labels = np.concatenate(list(_row_blocks(array, fitted.labels)), axis=0)
    return ArrayQuantization(fitted.palette, labels, fitted.seed, fitted.notes)


def _quantize_dask(array, s):
    import dask
    import dask.array as da

    def add(parts: Iterable):
        return merge_histograms(list(parts))

    parts = [dask.delayed(tile_histogram)(block) for block in array.to_delayed().ravel()]
    while len(parts) > 1:  # a tree of sums on the workers, eight parts to a merge
        parts = [dask.delayed(add)(parts[i : i + 8]) for i in range(0, len(parts), 8)]
    codes, counts = parts[0].compute()
    fitted = fit_tiled_palette(unpack_colors(codes, 3), counts, settings=s)
    labels = da.map_blocks(
        fitted.labels,
        array.rechunk({2: -1}),
        drop_axis=2,
        dtype=fitted.dtype,
    )
    return ArrayQuantization(fitted.palette, labels, fitted.seed, fitted.notes)


#: Rows the Floyd–Steinberg kernel dithers as one block (its error restarts at each,
#: after a few warm-up rows of the block above): bands of whole blocks, with one block
#: above them, are dithered exactly as the whole image is.
DITHER_BLOCK = 128


@dataclass
class DitheredBand:
    """Rows ``top`` to ``bottom`` of an image dithered as the whole image is dithered.

    Attributes
    ----------
    labels : (bottom - top, W) ndarray of int16
    squared_error : float
        Of these rows' pixels against their entries (what PSNR sums).
    delta_e : (s,) ndarray of float32
        CIEDE2000 of the rows' pixels among the whole image's sample (``sample_rows``).
    """

    labels: np.ndarray
    squared_error: float
    delta_e: np.ndarray


def dithered_band(
    fitted: TiledPalette,
    read_rows,
    top: int,
    bottom: int,
    shape: tuple,
    *,
    method: str,
    strength: float,
) -> DitheredBand:
    """Dither rows ``top``..``bottom`` (``top`` a multiple of :data:`DITHER_BLOCK`) of an
    image of ``shape`` read by ``read_rows(first, last)`` (full-width rows): with the
    kernel's block above and the row below, every label is the one ``quantize_image``
    gives the whole image with the same palette and dithering."""
    height, width = shape[:2]
    if top % DITHER_BLOCK:
        raise InvalidParameterError(f"a dithered band starts at a multiple of {DITHER_BLOCK} rows, not {top}")
    first, last = max(0, top - DITHER_BLOCK), min(height, bottom + 1)  # the weights look one row down
    pixels = opaque_tile(read_rows(first, last), "band")
    colors, palette = fitted.colors, fitted.palette
    index = np.ascontiguousarray(fitted.index_of(pixels), dtype=np.int32)
    plain = fitted.color_labels.astype(np.int16)[index]
    labels = dither_labels(colors, palette, fitted.color_labels, index, plain, method=method, strength=strength)
    rows = slice(top - first, bottom - first)
    labels, index = np.ascontiguousarray(labels[rows]), np.ascontiguousarray(index[rows])
    sample = sample_rows(height * width)
    sample = sample[(sample >= top * width) & (sample < bottom * width)] - top * width
    delta_e = ciede2000_rows(
        colors.lab[index.reshape(-1)[sample]],
        srgb_to_lab(palette[:, :3], np.float32),
        labels.reshape(-1)[sample],
        dtype=np.float32,
    )
    return DitheredBand(labels, pixel_squared_error(colors, palette, index, labels), delta_e)


def dithered_tiles(
    fitted: TiledPalette,
    read_rows,
    band: tuple,
    shape: tuple,
    columns: list,
    encode,
    *,
    method: str,
    strength: float,
) -> tuple[list, float, np.ndarray]:
    """:func:`dithered_band` of the rows ``band`` = (top, bottom), cut into the windows'
    ``columns`` (slices), each window's labels through ``encode`` (on the threads).
    Returns (encoded windows, squared error, CIEDE2000 sample)."""
    top, bottom = band
    done = dithered_band(fitted, read_rows, top, bottom, shape, method=method, strength=strength)
    encoded = thread_map(lambda part: encode(done.labels[:, part].astype(fitted.dtype)), columns)
    return encoded, done.squared_error, done.delta_e
