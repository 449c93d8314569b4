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
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ImageError, OutputError
from ..segmentation.tiled import TILE
from .encode import encode_quantized, output_format
from .write import atomic_write, check_output_path, write_failure

#: Extensions of the tiled outputs.
TILED_OUTPUTS = {".tif": "TIFF", ".tiff": "TIFF", ".zarr": "ZARR"}
#: Formats written whole, from labels assembled in memory (when they fit, see
#: :func:`check_whole`).
WHOLE_OUTPUTS = ("PNG", "GIF", "WEBP")
#: Side of the output's tiles, in pixels (TIFF asks for multiples of 16): a segmentation's
#: tiles, which are written as they come.
OUTPUT_TILE = TILE
#: zlib level of the TIFF's tiles: 6, tifffile's and libtiff's default (level 1 is 7x
#: faster and 30 % larger on palette indices); the tiles are compressed on every thread.
DEFLATE_LEVEL = 6


def _compressor():
    """libdeflate's zlib streams (imagecodecs, tifffile's companion: 3.7x faster than
    zlib at level 6, the same size), else zlib's."""
    try:
        from imagecodecs import deflate_encode
    except ImportError:
        return zlib.compress
    return lambda data, level: deflate_encode(data, level=level)


_compress = _compressor()


def _require(module):
    try:
        return __import__(module)
    except ImportError as e:
        raise ImageError(
            f'reading and writing tiled images needs {module}: pip install "quantize-images[tiled]"'
        ) from e


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
    zarr = _require("zarr")
    try:
        if path.is_dir():
            node = zarr.open(str(path), mode="r")
            close = lambda: None  # noqa: E731 (nothing held open)
        else:
            tifffile = _require("tifffile")
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


def _colormap(palette):
    colormap = np.zeros((3, 256), dtype=np.uint16)
    colormap[:, : len(palette)] = palette[:, :3].T.astype(np.uint16) * 257
    return colormap


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


def deflated(labels: np.ndarray, level: int = DEFLATE_LEVEL) -> bytes:
    """A window's labels as a TIFF tile: padded, deflated (zlib releases the GIL, so
    the threads or workers that map the tiles compress them too)."""
    return _compress(padded(labels).tobytes(), level)


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
            tifffile = _require("tifffile")
            tifffile.imwrite(
                target,
                tiles,
                shape=(height, width),
                dtype=np.uint8,
                tile=(OUTPUT_TILE, OUTPUT_TILE),
                photometric="palette",
                colormap=_colormap(palette),
                compression="zlib",  # the tiles come deflated (see deflated)
                bigtiff=True,
            )
        else:
            zarr = _require("zarr")
            array = zarr.open_array(
                str(target), mode="w-", shape=(height, width), chunks=(OUTPUT_TILE, OUTPUT_TILE), dtype=np.uint8
            )
            array.attrs["palette"] = palette[:, :3].tolist()
            _fill(array, shape, tiles)
        os.replace(target, path)  # a file is replaced atomically; a folder never gets here
    except OSError as e:
        if not _disk_error(e):
            raise
        raise write_failure(e, path) from e
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(temporary)
    return _size(path)


def _disk_error(error):
    """Whether ``error`` is the disk's (full, read-only...), not one of ours."""
    return isinstance(error, OSError) and not isinstance(error, OutputError)


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


def padded(labels: np.ndarray) -> np.ndarray:
    """A window's labels (or pixels) padded with 0 to a whole output tile."""
    if labels.shape[:2] == (OUTPUT_TILE, OUTPUT_TILE):
        return labels
    tile = np.zeros((OUTPUT_TILE, OUTPUT_TILE, *labels.shape[2:]), dtype=labels.dtype)
    tile[: labels.shape[0], : labels.shape[1]] = labels
    return tile


def deflated_bits(mask: np.ndarray, level: int = DEFLATE_LEVEL) -> bytes:
    """A window's (h, w) bool mask as a 1-bit TIFF tile: padded, packed, deflated."""
    return _compress(np.packbits(padded(mask), axis=1).tobytes(), level)


@dataclass
class TiffSpec:
    """One tiled BigTIFF of :class:`TiledTiffs`: its path, (H, W) or (H, W, 3) shape and
    dtype (bool: 1 bit a pixel), and a palette for a palette image."""

    path: Path
    shape: tuple
    dtype: Any
    palette: np.ndarray | None = None


class _End:
    """What a writer's queue receives after the last tile."""


class TiledTiffs:
    """Several tiled BigTIFFs written at once, a tile of each at a time in raster order
    (deflated by the caller, see :func:`deflated`), each by a thread of its own into a
    temporary name beside it; :meth:`finish` renames them all, :meth:`abort` (or an
    error in any) leaves none of them."""

    def __init__(self, specs: dict, *, overwrite: bool = False, protect: Path | None = None):
        import queue
        import threading

        tifffile = _require("tifffile")
        for spec in specs.values():
            check_output_path(spec.path, overwrite=overwrite, protect=protect)
        self.specs = specs
        self.errors: dict[str, BaseException] = {}
        self.temporaries: dict[str, Path] = {}
        self.queues: dict[str, Any] = {}
        self.threads: dict[str, Any] = {}
        try:
            for name, spec in specs.items():
                folder = Path(tempfile.mkdtemp(prefix=f".{spec.path.name}.", suffix=".part", dir=spec.path.parent))
                self.temporaries[name] = folder
                self.queues[name] = queue.Queue(maxsize=8)  # a few tiles ahead at most
                self.threads[name] = threading.Thread(
                    target=self._write, args=(tifffile, name, spec, folder / spec.path.name), daemon=True
                )
                self.threads[name].start()
        except BaseException:
            self.abort()
            raise

    def _write(self, tifffile, name, spec, target):
        def tiles():
            while not isinstance(item := self.queues[name].get(), _End):
                if isinstance(item, BaseException):
                    raise item
                yield item

        options: dict[str, Any] = {"photometric": "minisblack"}
        if spec.palette is not None:
            options = {"photometric": "palette", "colormap": _colormap(spec.palette)}
        elif len(spec.shape) == 3:
            options = {"photometric": "rgb", "planarconfig": "contig"}
        try:
            tifffile.imwrite(
                target,
                tiles(),
                shape=spec.shape,
                dtype=spec.dtype,
                tile=(OUTPUT_TILE, OUTPUT_TILE),
                compression="zlib",  # the tiles come deflated
                bigtiff=True,
                **options,
            )
        except BaseException as e:  # told to stop, or the disk is full: the caller raises it
            self.errors[name] = write_failure(e, spec.path) if _disk_error(e) else e

    def _send(self, name, item):
        """Put ``item`` in a writer's queue; False when the writer has stopped."""
        import queue

        while self.threads[name].is_alive():
            try:
                self.queues[name].put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def put(self, tiles: dict) -> None:
        """One tile of every file (name -> deflated bytes), the next in raster order."""
        for name, tile in tiles.items():
            if not self._send(name, tile) or self.errors:
                stopped = OutputError("the writer stopped", self.specs[name].path)
                raise self.errors.get(name) or next(iter(self.errors.values()), stopped)

    def finish(self) -> dict:
        """Wait for every file, rename them all into place; returns name -> bytes."""
        for name in self.threads:
            self._send(name, _End())
        for thread in self.threads.values():
            thread.join()
        if self.errors:
            error = next(iter(self.errors.values()))
            self._remove()
            raise error
        sizes = {}
        try:
            for name, spec in self.specs.items():
                os.replace(self.temporaries[name] / spec.path.name, spec.path)
                sizes[name] = spec.path.stat().st_size
        finally:
            self._remove()
        return sizes

    def abort(self) -> None:
        """Stop every writer and remove what they wrote."""
        for name in self.threads:
            self._send(name, OutputError("stopped", self.specs[name].path))
        for thread in self.threads.values():
            thread.join()
        self._remove()

    def _remove(self):
        for folder in self.temporaries.values():
            with contextlib.suppress(OSError):
                shutil.rmtree(folder)
