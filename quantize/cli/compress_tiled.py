"""``quantize compress`` of an image larger than memory (a tiled TIFF or a Zarr store):
its tiles counted into one histogram, the palette fitted to it, then each tile mapped
and written to a tiled output, a few tiles in memory at a time."""

import time

from .._parallel import get_num_threads, thread_map
from ..errors import InvalidParameterError
from ..files.tiled import open_tiled, output_tiles, padded, write_tiled
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
        (mode.image_format not in ("auto", "tiff"), f"--format {mode.image_format}"),
    ]
    for refuse, what in refused:
        if refuse:
            raise InvalidParameterError(f"an image larger than memory is quantised without {what}")
    if s.n_colors > MAX_PALETTE:
        raise InvalidParameterError(f"-k {s.n_colors}: a tiled palette image holds {MAX_PALETTE} colours at most")


def compress_tiled(mode, input, output):
    """(status, report, exit code) of one tiled input written to ``output``."""
    check_tiled_mode(mode)
    s = mode.settings
    start = time.perf_counter()
    image = open_tiled(input)
    bar = TileProgress(wanted(as_json=mode.as_json))
    try:
        histogram = TileHistogram()
        windows = image.windows()
        batch = 2 * get_num_threads()  # tiles in memory at once, each pass
        done = 0
        for part in _batches(windows, batch):
            for codes, counts in thread_map(lambda window: tile_histogram(image.read(window)), part):
                histogram.add_counts(codes, counts)
            done += len(part)
            bar("count", done, len(windows))
        fitted = fit_tiled_palette(*histogram.merged(), settings=s)
        targets = output_tiles(image.shape)

        def tiles():
            mapped = 0
            for part in _batches(targets, batch):
                yield from thread_map(lambda window: padded(fitted.labels(image.read(window))), part)
                mapped += len(part)
                bar("map", mapped, len(targets))

        size = write_tiled(output, image.shape, fitted.palette, tiles(), overwrite=mode.force, protect=input)
    finally:
        bar.close()
        image.close()
    height, width = image.shape[:2]
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
        notes=[*fitted.notes, f"read and written tile by tile ({len(windows)} tiles in, {len(targets)} out)"],
        output=str(output),
        output_bytes=size,
    )
    return "done", report, 0
