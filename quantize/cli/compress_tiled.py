"""``quantize compress`` of an image larger than memory (a tiled TIFF or a Zarr store):
its tiles counted into one histogram, the palette fitted to it, then each tile mapped
and written to a tiled output, a few tiles in memory at a time."""

import time
from pathlib import Path

from .._parallel import get_num_threads, thread_map
from ..errors import InvalidParameterError
from ..files.tiled import check_whole, open_tiled, output_tiles, tile_encoder, write_tiled
from ..quantization.report import Report, raw_ratio
from ..quantization.settings import MAX_PALETTE
from ..quantization.tiled import TileHistogram, fit_tiled_palette, tile_histogram
from .progress import TileProgress, wanted


def _batches(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def check_tiled_mode(mode):
    """What a tiled input cannot do, refused before it is read (one line each)."""
    s = mode.settings
    refused = [
        (s.dither != "none", "--dither (each tile would be dithered on its own)"),
        (s.targeted, "a quality target (--quality, --max-delta-e): give -k"),
        (mode.palette is not None, "--palette"),
        (mode.skip_if_larger, "--skip-if-larger"),
        (mode.save_palette is not None, "--save-palette"),
        (mode.image_format not in ("auto", "tiff", "png", "gif", "webp"), f"--format {mode.image_format}"),
    ]
    for refuse, what in refused:
        if refuse:
            raise InvalidParameterError(f"an image larger than memory is quantised without {what}")
    if s.n_colors > MAX_PALETTE:
        raise InvalidParameterError(f"-k {s.n_colors}: a tiled palette image holds {MAX_PALETTE} colours at most")


def compress_tiled(mode, input, output, client=None):
    """(status, report, exit code) of one tiled input written to ``output``: the tiles on
    the local threads, or on the workers of a Dask ``client``."""
    check_tiled_mode(mode)
    start = time.perf_counter()
    image = open_tiled(input)
    try:
        check_whole(output, image.shape, mode.max_pixels)
    except BaseException:
        image.close()
        raise
    bar = TileProgress(wanted(as_json=mode.as_json))
    try:
        windows, targets = image.windows(), output_tiles(image.shape)
        run = _on_threads if client is None else _on_cluster
        fitted, tiles = run(image, windows, targets, mode.settings, bar, client, tile_encoder(output))
        size = write_tiled(output, image.shape, fitted.palette, tiles, overwrite=mode.force, protect=input)
    finally:
        bar.close()
        image.close()
    return _report(mode, input, output, image, fitted, size, start, len(windows), len(targets), client)


def _on_threads(image, windows, targets, settings, bar, client, encode):
    """The palette, and the mapped tiles as they come, on this process's threads (a
    couple of tiles a thread in memory at once)."""
    histogram = TileHistogram()
    batch = 2 * get_num_threads()
    for done, part in enumerate(_batches(windows, batch), 1):
        for codes, counts in thread_map(lambda window: tile_histogram(image.read(window)), part):
            histogram.add_counts(codes, counts)
        bar("count", min(done * batch, len(windows)), len(windows))
    fitted = fit_tiled_palette(*histogram.merged(), settings=settings)

    def tiles():
        for done, part in enumerate(_batches(targets, batch), 1):
            yield from thread_map(lambda window: encode(fitted.labels(image.read(window))), part)
            bar("map", min(done * batch, len(targets)), len(targets))

    return fitted, tiles()


def _on_cluster(image, windows, targets, settings, bar, client, encode):
    """The same on the workers of a Dask cluster, which open the file themselves."""
    from ..batch.tiles import cluster_mapped_tiles, cluster_tile_histogram

    where = str(Path(image.path).resolve())
    colors, counts = cluster_tile_histogram(client, where, windows, lambda done, total: bar("count", done, total))
    fitted = fit_tiled_palette(colors, counts, settings=settings)
    progress = lambda done, total: bar("map", done, total)  # noqa: E731
    return fitted, cluster_mapped_tiles(client, where, targets, fitted, encode, progress)


def _report(mode, input, output, image, fitted, size, start, tiles_in, tiles_out, client=None):
    s = mode.settings
    height, width = image.shape[:2]
    where = "on the local threads" if client is None else f"on {len(client.scheduler_info()['workers'])} Dask workers"
    report = Report(
        input=str(input),
        width=width,
        height=height,
        colors_requested=s.n_colors,
        colors_used=len(fitted.palette),
        psnr=fitted.psnr,
        ssim=None,
        input_bytes=image.file_bytes,
        raw_ratio=raw_ratio(width, height, 3, len(fitted.palette)),
        seconds=time.perf_counter() - start,
        seed=fitted.seed,
        algorithm=s.algorithm,
        init=s.init,
        effort=s.effort,
        colorspace=s.colorspace,
        delta_e=fitted.delta_e,
        delta_e_p95=fitted.delta_e_p95,
        notes=[*fitted.notes, f"read and written tile by tile ({tiles_in} tiles in, {tiles_out} out), {where}"],
        output=str(output),
        output_bytes=size,
    )
    return "done", report, 0
