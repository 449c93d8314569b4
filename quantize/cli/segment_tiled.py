"""``quantize segment`` of an image larger than memory (a tiled TIFF or a Zarr store):
segmented tile by tile, its maps written as tiled BigTIFFs."""

import time
from pathlib import Path

from ..errors import InvalidParameterError
from ..files.tiled import open_tiled
from ..files.tiled_segments import save_tiled_segments
from ..segmentation import segment_array
from .progress import TileProgress, wanted


def segment_tiled(input, settings, output_dir, *, overlay, force, as_json, client=None):
    """segments.json's content of ``input`` segmented into ``output_dir``, on the local
    threads or on the workers of a Dask ``client``."""
    if settings.spatial != 0:
        raise InvalidParameterError("an image larger than memory is segmented by colour alone: --spatial 0")
    start = time.perf_counter()
    image = open_tiled(input)
    bar = TileProgress(wanted(as_json=as_json), steps=("count", "regions", "write"))
    try:
        runner = None
        if client is not None:
            from ..batch.tiles import ClusterRunner

            runner = ClusterRunner(client, str(Path(input).resolve()))
        segmentation = segment_array(image.array, settings=settings, progress=bar, runner=runner)
        segmentation.input = str(input)
        # as for an image read whole: the time to segment it, before its files are written
        segmentation.seconds = time.perf_counter() - start
        side = segmentation.tile_size
        workers = None if client is None else len(client.scheduler_info()["workers"])
        where = "on the local threads" if client is None else f"on {workers} Dask workers"
        segmentation.notes.append(
            f"segmented tile by tile ({segmentation.n_tiles} tiles of {side} x {side} px, read in bands of the "
            f"input's {image.tile[0]}-row tiles) into tiled BigTIFFs, {where}"
        )
        save_tiled_segments(
            segmentation,
            output_dir,
            overwrite=force,
            overlay=overlay,
            protect=input,
            progress=lambda done, total: bar("write", done, total),
        )
    finally:
        bar.close()
        image.close()
    return segmentation.to_dict(extension=".tif")
