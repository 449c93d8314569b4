"""``quantize compress`` of an image larger than memory (a tiled TIFF or a Zarr store):
its tiles counted into one histogram, the palette fitted to it, then each tile mapped
and written to a tiled output, a few tiles in memory at a time."""

import time
from pathlib import Path

import numpy as np

from .._parallel import get_num_threads, thread_map
from ..errors import InvalidParameterError
from ..files.tiled import OUTPUT_TILE, check_whole, open_tiled, output_tiles, tile_encoder, write_tiled
from ..metrics.image import mean_and_p95
from ..quantization.exact import color_psnr
from ..quantization.report import Report, raw_ratio
from ..quantization.result import DELTA_E_SAMPLE
from ..quantization.settings import MAX_PALETTE
from ..quantization.tiled import TileHistogram, fit_tiled_palette, tile_histogram
from .progress import TileProgress, wanted


def _batches(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def check_tiled_mode(mode):
    """What a tiled input cannot do, refused before it is read (one line each)."""
    s = mode.settings
    refused = [
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
        if mode.settings.dither != "none" and mode.settings.dither_strength > 0:
            run = _dithered  # full-width bands, in order: the error crosses the tiles' borders
        else:
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
    fitted = fit_tiled_palette(*_histogram(image, windows, bar, None), settings=settings)
    batch = 2 * get_num_threads()

    def tiles():
        for done, part in enumerate(_batches(targets, batch), 1):
            yield from thread_map(lambda window: encode(fitted.labels(image.read(window))), part)
            bar("map", min(done * batch, len(targets)), len(targets))

    return fitted, tiles()


def _histogram(image, windows, bar, client):
    """(colors, counts) summed over every window: on this process's threads, or on the
    workers of a Dask ``client``, which open the file themselves."""
    if client is not None:
        from ..batch.tiles import cluster_tile_histogram

        where = str(Path(image.path).resolve())
        return cluster_tile_histogram(client, where, windows, lambda done, total: bar("count", done, total))
    histogram = TileHistogram()
    batch = 2 * get_num_threads()
    for done, part in enumerate(_batches(windows, batch), 1):
        for codes, counts in thread_map(lambda window: tile_histogram(image.read(window)), part):
            histogram.add_counts(codes, counts)
        bar("count", min(done * batch, len(windows)), len(windows))
    return histogram.merged()


def _dithered(image, windows, targets, settings, bar, client, encode):
    """The palette, and the tiles of bands of full rows dithered as the whole image is
    (each band read with the kernel's block above it, so bands are independent: on the
    local threads one after another, or on a Dask ``client``'s workers at once).  PSNR
    and the sampled CIEDE2000 are summed band by band into the palette's figures."""
    fitted = fit_tiled_palette(*_histogram(image, windows, bar, client), settings=settings)
    height, width = image.shape[:2]
    bands = [(top, min(top + OUTPUT_TILE, height)) for top in range(0, height, OUTPUT_TILE)]
    rows = [[window for window in targets if window[0].start == top] for top, _ in bands]
    if client is None:
        from ..batch.tiles import dither_image_band

        done = (
            (*dither_image_band(image, fitted, settings, band, [window[1] for window in row], encode), band[1])
            for band, row in zip(bands, rows)
        )
    else:
        from ..batch.tiles import cluster_dithered_bands

        where = str(Path(image.path).resolve())
        done = cluster_dithered_bands(client, where, fitted, settings, bands, rows, encode)
    errors, differences = [], []

    def tiles():
        for tiles_of_band, squared_error, delta_e, bottom in done:
            errors.append(squared_error)
            differences.append(delta_e)
            if bottom == height:  # the figures before the last tiles: a writer stops at the last one
                fitted.psnr = color_psnr(fitted.colors, fitted.palette, fitted.color_labels, sse=sum(errors))
                fitted.delta_e, fitted.delta_e_p95 = mean_and_p95(np.concatenate(differences))
                fitted.notes.append(
                    f"{settings.dither} dithering at strength {settings.dither_strength:g}, in bands of "
                    f"{OUTPUT_TILE} rows carrying the error across the tiles; CIEDE2000 measured on up to "
                    f"{DELTA_E_SAMPLE:,} sampled pixels"
                )
            yield from tiles_of_band
            bar("map", bottom, height)

    return fitted, tiles()


def _on_cluster(image, windows, targets, settings, bar, client, encode):
    """The same on the workers of a Dask cluster, which open the file themselves."""
    from ..batch.tiles import cluster_mapped_tiles

    where = str(Path(image.path).resolve())
    fitted = fit_tiled_palette(*_histogram(image, windows, bar, client), settings=settings)
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
