"""The tiles of a tiled BigTIFF: each window's labels or pixels padded to a whole tile
and deflated where it is made (any thread or worker), and the file written from them
in raster order under a temporary name (:func:`write_tiff`), or several files at once
(:class:`TiledTiffs`)."""

import contextlib
import os
import queue
import shutil
import tempfile
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ImageError, OutputError
from ..segmentation.tiled import TILE
from .write import check_output_path, disk_error, write_failure

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


def require(module: str) -> Any:
    """``module`` (tifffile, zarr), or ImageError saying how to install it."""
    try:
        return __import__(module)
    except ImportError as e:
        raise ImageError(
            f'reading and writing tiled images needs {module}: pip install "quantize-images[tiled]"'
        ) from e


def _colormap(palette):
    """A TIFF colour map (3, 256) uint16 of a palette."""
    colormap = np.zeros((3, 256), dtype=np.uint16)
    colormap[:, : len(palette)] = palette[:, :3].T.astype(np.uint16) * 257
    return colormap


def deflated(labels: np.ndarray, level: int = DEFLATE_LEVEL) -> bytes:
    """A window's labels as a TIFF tile: padded, deflated (zlib releases the GIL, so
    the threads or workers that map the tiles compress them too)."""
    return _compress(padded(labels).tobytes(), level)


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


def write_tiff(target: Path, tiles, spec: TiffSpec) -> None:
    """Write the tiled BigTIFF of ``spec`` at ``target`` from its ``tiles``: every
    :data:`OUTPUT_TILE` tile in raster order, deflated (:func:`deflated`,
    :func:`deflated_bits`), as tifffile writes them as they come."""
    options: dict[str, Any] = {"photometric": "minisblack"}
    if spec.palette is not None:
        options = {"photometric": "palette", "colormap": _colormap(spec.palette)}
    elif len(spec.shape) == 3:
        options = {"photometric": "rgb", "planarconfig": "contig"}
    require("tifffile").imwrite(
        target,
        tiles,
        shape=spec.shape,
        dtype=spec.dtype,
        tile=(OUTPUT_TILE, OUTPUT_TILE),
        compression="zlib",  # the tiles come deflated
        bigtiff=True,
        **options,
    )


class _End:
    """What a writer's queue receives after the last tile."""


class TiledTiffs:
    """Several tiled BigTIFFs written at once, a tile of each at a time in raster order
    (deflated by the caller, see :func:`deflated`), each by a thread of its own into a
    temporary name beside it; :meth:`finish` renames them all, :meth:`abort` (or an
    error in any) leaves none of them."""

    def __init__(self, specs: dict, *, overwrite: bool = False, protect: Path | None = None):
        require("tifffile")  # before any thread: the missing extra is one line
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
                    target=self._write, args=(name, spec, folder / spec.path.name), daemon=True
                )
                self.threads[name].start()
        except BaseException:
            self.abort()
            raise

    def _write(self, name, spec, target):
        def tiles():
            while not isinstance(item := self.queues[name].get(), _End):
                if isinstance(item, BaseException):
                    raise item
                yield item

        try:
            write_tiff(target, tiles(), spec)
        except BaseException as e:  # told to stop, or the disk is full: the caller raises it
            self.errors[name] = write_failure(e, spec.path) if disk_error(e) else e

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
