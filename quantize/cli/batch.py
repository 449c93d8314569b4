"""``quantize batch``: every image of a folder, in parallel, each outcome recorded."""

import contextlib
import json

import click

from ..files.palettes import load_palette
from ..segmentation.settings import MAX_SEGMENTS
from .app import detail, error_line, one_line_errors, say, verbosity
from .cluster import cluster_client, scheduler_opt
from .options import (
    FolderOrURL,
    algorithm_opt,
    colorspace_opt,
    dither_opt,
    dither_strength_opt,
    effort_opt,
    force_opt,
    init_opt,
    max_delta_e_opt,
    max_pixels_opt,
    output_path,
    palette_file_opt,
    png_colors_opt,
    quality_opt,
    quantize_settings,
    seed_opt,
    ssim_opt,
    verbosity_opts,
)
from .progress import ProgressBar, wanted


@click.command()
@click.argument("input_dir", type=FolderOrURL())
@click.option(
    "-o",
    "--output-dir",
    type=FolderOrURL(),
    help="Output folder, or an fsspec URL as INPUT_DIR.  [default: <INPUT_DIR>-quantized beside the input]",
)
@png_colors_opt
@click.option("--recursive", is_flag=True, help="Also process subfolders; the tree is mirrored.")
@click.option("--include", multiple=True, metavar="GLOB", help="Only files matching (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave out files matching (repeatable).")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes.  [default: the number of cores]",
)
@scheduler_opt("the files (--jobs is then ignored)")
@click.option("--skip-existing", is_flag=True, help="Leave inputs whose output exists (resume a batch).")
@click.option(
    "--skip-if-larger",
    is_flag=True,
    help="Write nothing for an image whose output would not be smaller than its file (recorded as skipped).",
)
@click.option("--suffix", default="", help="Appended to each output's name (needed to write into INPUT_DIR).")
@click.option("--shared-palette", is_flag=True, help="Fit one palette on all images and use it for every one.")
@palette_file_opt(help="Map every image to this palette instead of fitting one.")
@click.option("--segment", is_flag=True, help="Also write each image's segmentation (as `quantize segment`).")
@click.option(
    "--segments",
    "n_segments",
    type=click.IntRange(1, MAX_SEGMENTS),
    default=4,
    show_default=True,
    help="Clusters of --segment.",
)
@click.option(
    "--report",
    "report_path",
    type=output_path,
    help="Write a self-contained HTML page with before/after thumbnails.",
)
@effort_opt
@algorithm_opt
@init_opt
@seed_opt
@max_pixels_opt
@quality_opt
@max_delta_e_opt
@colorspace_opt()
@dither_opt
@dither_strength_opt
@ssim_opt
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON on stdout.")
@verbosity_opts
@force_opt
@click.pass_context
def batch(
    ctx,
    input_dir,
    output_dir,
    n_colors,
    recursive,
    include,
    exclude,
    jobs,
    scheduler,
    skip_existing,
    skip_if_larger,
    suffix,
    shared_palette,
    palette_file,
    segment,
    n_segments,
    report_path,
    effort,
    algorithm,
    init,
    seed,
    max_pixels,
    quality,
    max_delta_e,
    colorspace,
    dither,
    dither_strength,
    ssim,
    as_json,
    force,
):
    """Quantise every image in INPUT_DIR, in parallel, recording each outcome.

    INPUT_DIR and the output folder may be fsspec URLs (s3://bucket/prefix, gs://...,
    memory://...) when fsspec and the store's package are installed (pip install
    "quantize-images[remote]" for S3); credentials and endpoints come from the store's usual
    configuration.  Inputs are never modified.  Writes manifest.json and manifest.csv
    into the output folder.  Exit code 0 when every file succeeded, 1 when any failed
    (or the scheduler or a store cannot be reached), 2 for bad options, 130 when
    interrupted, 143 when terminated (re-run with --skip-existing to resume).

    \b
    Examples:
        quantize batch photos/ -k 32 --recursive --report report.html
        quantize batch photos/ -o shared/ --shared-palette --include '*.jpg' --jobs 2
        quantize batch photos/ -o small/ -k 16 --skip-if-larger --scheduler local:2
        quantize batch photos/ -k 32 --recursive --skip-existing   # resume the first
    """
    from ..batch import BatchSettings, quantize_folder

    with one_line_errors(input_dir):
        settings = quantize_settings(ctx, locals())  # the options of the signature
        if shared_palette and palette_file is not None:
            raise click.UsageError("--shared-palette and --palette exclude each other")
        palette = load_palette(palette_file) if palette_file is not None else None
        folder = BatchSettings(
            recursive=recursive,
            include=include,
            exclude=exclude,
            jobs=jobs,
            skip_existing=skip_existing,
            skip_if_larger=skip_if_larger,
            suffix=suffix,
            shared_palette=shared_palette,
            segment=segment,
            n_segments=n_segments,
            max_pixels=max_pixels,
            overwrite=force,
            palette=palette,
            html_report=report_path,
        )
        progress = ProgressBar(wanted(as_json=as_json))
        with contextlib.ExitStack() as stack:
            stack.callback(progress.close)  # an interrupted batch leaves its bar short of the end
            client = stack.enter_context(cluster_client(scheduler))
            report = quantize_folder(
                input_dir, output_dir, settings=settings, batch=folder, progress=progress, client=client
            )
    for outcome in report.files:
        detail(f"{outcome.input}: {outcome.status}" + (f" ({outcome.reason})" if outcome.reason else ""))
    if as_json:
        click.echo(json.dumps(report.to_manifest()))
    elif verbosity() >= 0:
        say(report.summary())
    else:  # quiet: the failures alone, as errors
        for outcome in report.files:
            if outcome.status == "failed":
                error_line(f"{outcome.input}: {outcome.reason}")
    if report.interrupted:
        what = "terminated" if report.terminated else "interrupted"
        click.echo(f"quantize: {what}: finished files are kept; re-run with --skip-existing to resume", err=True)
    for error in report.write_errors:
        error_line(error)
    return report.exit_code
