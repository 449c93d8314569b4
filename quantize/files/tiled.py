"""Images larger than memory on disk: tiled (Big)TIFF, OME-TIFF and Zarr, read and
written a tile at a time.

A tiled TIFF is read through tifffile's Zarr view of its first image (level 0 of a
pyramid); a Zarr store is an array, or a group whose first array is the image (as
OME-Zarr's multiscales put level 0 at "0").  Outputs are palette images: a tiled
BigTIFF whose colour map is the palette, or a Zarr array of labels with the palette in
its attributes, written to a temporary name beside the output and renamed once whole;
or PNG, GIF and WebP written whole, when the labels fit in memory.
Needs tifffile and zarr (``pip install "quantize-images[tiled]"``, which brings
imagecodecs' libdeflate for the output's tiles too).
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ImageError, OutputError
from .encode import encode_quantized, output_format
from .tiff_tiles import OUTPUT_TILE, TiffSpec, deflated, padded, require, write_tiff
from .write import atomic_write, check_output_path, disk_error, write_failure

#: Extensions of the tiled outputs.
TILED_OUTPUTS = {".tif": "TIFF", ".tiff": "TIFF", ".zarr": "ZARR"}
#: Formats written whole, from labels assembled in memory (when they fit, see
#: :func:`check_whole`).
WHOLE_OUTPUTS = ("PNG", "GIF", "WEBP")


def is_tiled(path: Path) -> bool:
    """Whether ``path`` is a Zarr store or a tiled TIFF (read tile by tile, whatever its size)."""
    path = Path(path)
    if path.is_dir():
        return (path / "zarr.json").exists() or (path / ".zarray").exists() or (path / ".zgroup").exists()
    if path.suffix.lower() not in (".tif", ".tiff") or not path.is_file():
        return False
    try:
        tifffile = __import__("tifffile")
    except ImportError:
        return False
    try:
        with tifffile.TiffFile(path) as tiff:
            return bool(tiff.pages) and tiff.pages.first.is_tiled
    except Exception:  # not a TIFF tifffile reads: the ordinary reader says why
        return False


@dataclass
class TiledImage:
    """An open tiled image: ``array`` (a Zarr array, (H, W, C)) and its ``tile`` (h, w)."""

    path: Path
    array: Any  # a zarr.Array
    tile: tuple
    file_bytes: int
    _close: Callable[[], None]

    @property
    def shape(self) -> tuple:
        return tuple(self.array.shape)

    def windows(self) -> list:
        """Every tile's (rows, columns) slices, row by row."""
        return grid(self.shape, self.tile)

    def read(self, window: tuple) -> np.ndarray:
        """The pixels of one window, (h, w, C)."""
        rows, columns = window
        return np.asarray(self.array[rows, columns])

    def close(self) -> None:
        self._close()


def _size(path):
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def open_tiled(path: Path) -> TiledImage:
    """Open a tiled TIFF or a Zarr store for reading tile by tile."""
    path = Path(path)
    zarr = require("zarr")
    try:
        if path.is_dir():
            node = zarr.open(str(path), mode="r")
            close = lambda: None  # noqa: E731 (nothing held open)
        else:
            tifffile = require("tifffile")
            store = tifffile.imread(path, aszarr=True, level=0)
            node = zarr.open(store, mode="r")
            close = store.close
        if not hasattr(node, "shape"):  # a group: its first array (OME-Zarr's level "0")
            arrays = sorted(node.arrays(), key=lambda item: item[0])
            if not arrays:
                raise ImageError("the Zarr group holds no array", path)
            node = arrays[0][1]
    except ImageError:
        raise
    except Exception as e:  # third-party readers fail in many ways: one line naming the file
        raise ImageError(f"cannot read as a tiled image: {type(e).__name__}: {e}", path) from e
    shape = tuple(node.shape)
    if len(shape) == 2:
        raise ImageError("a single-channel tiled image: quantising needs RGB", path)
    if len(shape) != 3 or shape[2] not in (3, 4):
        raise ImageError(f"tiled images must be (height, width, 3 or 4); this one is {shape}", path)
    chunks = tuple(node.chunks)
    return TiledImage(path, node, (chunks[0], chunks[1]), _size(path), close)


def _kind(path):
    kind = TILED_OUTPUTS.get(Path(path).suffix.lower())
    if kind is None:
        try:
            kind = output_format(Path(path))
        except OutputError:
            kind = None
        if kind not in WHOLE_OUTPUTS:
            raise OutputError("a tiled image is written as .tif, .tiff or .zarr (or .png, .gif, .webp whole)", path)
    return kind


def check_whole(path: Path, shape: tuple, max_pixels: int | None) -> None:
    """Refuse, before any work, an output written whole whose labels (a byte a pixel)
    exceed ``max_pixels``: a tiled output has no such limit."""
    height, width = shape[:2]
    if _kind(path) in WHOLE_OUTPUTS and max_pixels is not None and height * width > max_pixels:
        raise OutputError(
            f"{width}x{height} = {width * height:,} pixels is over --max-pixels {max_pixels:,} for a "
            f"{Path(path).suffix} written whole: write .tif or .zarr, tile by tile",
            path,
        )


def tile_encoder(path: Path) -> Callable[[np.ndarray], object]:
    """What a window's labels become for :func:`write_tiled` at ``path``: deflated TIFF
    tiles, or padded arrays for Zarr."""
    return deflated if _kind(path) == "TIFF" else padded


def write_tiled(
    path: Path,
    shape: tuple,
    palette: np.ndarray,
    tiles: Iterator,
    *,
    overwrite: bool = False,
    protect: Path | None = None,
) -> int:
    """Write the labels of an image, given as ``tiles`` (each window of
    :func:`output_tiles` in order, encoded by :func:`tile_encoder`), as a palette image
    at ``path`` (.tif: a tiled BigTIFF with the palette as its colour map, deflated;
    .zarr: a Zarr array with the palette in its attributes).  Written under a
    temporary name beside ``path`` and renamed once whole: an interrupted write leaves
    nothing.  Returns the bytes written."""
    path = Path(path)
    kind = _kind(path)
    if kind in WHOLE_OUTPUTS:
        return _write_whole(path, shape, palette, tiles, kind, overwrite=overwrite, protect=protect)
    if len(palette) > 256:
        raise OutputError(f"{len(palette)} colours do not fit a palette image (256 at most)", path)
    if kind == "ZARR" and (path.exists() or path.is_symlink()):
        raise OutputError("exists: a Zarr store is a folder, never replaced even with --force; name another", path)
    check_output_path(path, overwrite=overwrite, protect=protect)
    height, width = shape[:2]
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    target = temporary / path.name
    try:
        if kind == "TIFF":
            write_tiff(target, tiles, TiffSpec(path, (height, width), np.uint8, palette))
        else:
            zarr = require("zarr")
            array = zarr.open_array(
                str(target), mode="w-", shape=(height, width), chunks=(OUTPUT_TILE, OUTPUT_TILE), dtype=np.uint8
            )
            array.attrs["palette"] = palette[:, :3].tolist()
            _fill(array, shape, tiles)
        os.replace(target, path)  # a file is replaced atomically; a folder never gets here
    except OSError as e:
        if not disk_error(e):
            raise
        raise write_failure(e, path) from e
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(temporary)
    return _size(path)


def _fill(array, shape, tiles):
    """Put each padded tile of :func:`output_tiles` into ``array`` ((H, W), any array)."""
    for (rows, columns), tile in zip(output_tiles(shape), tiles):
        array[rows, columns] = tile[: rows.stop - rows.start, : columns.stop - columns.start]


def _write_whole(path, shape, palette, tiles, image_format, *, overwrite, protect):
    """The labels assembled from the tiles, encoded as compress encodes a palette image."""
    labels = np.empty(shape[:2], dtype=np.uint8)
    _fill(labels, shape, tiles)
    data = encode_quantized(labels, palette, image_format, path)
    atomic_write(path, lambda handle: handle.write(data), overwrite=overwrite, protect=protect)
    return len(data)


def grid(shape: tuple, tile: tuple) -> list:
    """The (rows, columns) slices of the ``tile``-sized windows of an image of ``shape``,
    row by row (the last ones cut at the edges)."""
    height, width = shape[:2]
    th, tw = tile
    return [
        (slice(top, min(top + th, height)), slice(left, min(left + tw, width)))
        for top in range(0, height, th)
        for left in range(0, width, tw)
    ]


def output_tiles(shape: tuple) -> list:
    """The windows of the output's tiles, row by row."""
    return grid(shape, (OUTPUT_TILE, OUTPUT_TILE))
