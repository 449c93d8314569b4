"""The files of a segmentation larger than memory: labels.tif, labels-color.tif,
overlay.tif and mask_<i>.tif, tiled BigTIFFs written at once tile by tile, then
palette.png and segments.json (as :func:`~quantize.files.results.save_segments`
writes a segmentation read whole)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..segmentation.result import paint_overlay, swatch
from ..segmentation.tiled import ArraySegmentation, SegmentTile
from .tiff_tiles import TiffSpec, TiledTiffs, deflated, deflated_bits
from .write import folder_of_outputs, save_png, save_text


def tiled_output_names(n_clusters: int) -> list[str]:
    """The files a segmentation larger than memory of ``n_clusters`` clusters writes."""
    return [
        "labels.tif",
        "labels-color.tif",
        "overlay.tif",
        "palette.png",
        *(f"mask_{i}.tif" for i in range(n_clusters)),
        "segments.json",
    ]


def save_tiled_segments(
    segmentation: ArraySegmentation,
    folder: str | Path,
    *,
    overwrite: bool = False,
    overlay: str = "clusters",
    protect: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write the files of :func:`tiled_output_names` into ``folder`` (created if
    needed), reading the image once more for the maps.

    Nothing is written when a file exists and ``overwrite`` is false or when one is
    ``protect`` (the input); the TIFFs are written under temporary names and renamed
    once all are whole; on a failure or an interruption, the files this call created
    are removed, and the folder if it created it.  ``progress(done, total)`` counts
    tiles.  Returns file name -> bytes written.
    """
    folder = Path(folder)
    k = len(segmentation.colors)
    names = tiled_output_names(k)
    height, width = segmentation.shape
    label_type = np.uint8 if k < 256 else np.uint16
    # a palette overlay's palette depends on the colours alone: a pixel's is every tile's
    overlay_palette = _overlay_picture(segmentation, None, overlay)[1]
    specs = {
        "labels.tif": TiffSpec(folder / "labels.tif", (height, width), label_type),
        "labels-color.tif": TiffSpec(folder / "labels-color.tif", (height, width), np.uint8, segmentation.colors),
        "overlay.tif": TiffSpec(
            folder / "overlay.tif",
            (height, width) if overlay_palette is not None else (height, width, 3),
            np.uint8,
            overlay_palette,
        ),
        **{f"mask_{i}.tif": TiffSpec(folder / f"mask_{i}.tif", (height, width), bool) for i in range(k)},
    }

    encode = _TileEncoder(segmentation.colors, segmentation.region_cluster, segmentation.region_colors, overlay)
    written: dict[str, int] = {}
    with folder_of_outputs(folder, names, overwrite=overwrite, reads=[(protect, "the input image")]):
        writers = TiledTiffs(specs, overwrite=overwrite, protect=protect)
        try:
            total = segmentation.n_tiles
            for done, tiles in enumerate(segmentation.tiles(encode), 1):
                writers.put(tiles)
                if progress is not None:
                    progress(done, total)
            written.update(writers.finish())
        except BaseException:
            writers.abort()
            raise
        written["palette.png"] = save_png(
            folder / "palette.png", swatch(segmentation.colors, segmentation.shares), overwrite=overwrite
        )
        text = json.dumps(segmentation.to_dict(extension=".tif"))
        written["segments.json"] = save_text(folder / "segments.json", text + "\n", overwrite=overwrite)
    return written


@dataclass
class _TileEncoder:
    """Each file's tile of a segmentation's tile, deflated (made where the tile is: on
    this process's threads or a cluster's workers, so it holds arrays only)."""

    colors: np.ndarray
    region_cluster: np.ndarray
    region_colors: np.ndarray
    overlay: str

    def __call__(self, tile: SegmentTile) -> dict:
        k, clusters = len(self.colors), tile.clusters
        return {
            "labels.tif": deflated((clusters + 1).astype(np.uint8 if k < 256 else np.uint16)),
            "labels-color.tif": deflated(clusters.astype(np.uint8)),
            "overlay.tif": deflated(_overlay_picture(self, tile, self.overlay)[0]),
            **{f"mask_{i}.tif": deflated_bits(clusters == i) for i in range(k)},
        }


def _overlay_picture(statistics, tile, mode):
    """overlay.tif's pixels of a tile (and the palette), or of an empty tile for the palette."""
    if tile is None:
        empty = np.zeros((1, 1), np.int32)
        return paint_overlay(np.zeros((1, 1, 3), np.uint8), empty, empty, statistics, mode, opaque=True)
    return paint_overlay(
        tile.pixels, tile.clusters, tile.regions, statistics, mode, opaque=True, boundaries=tile.boundaries
    )
