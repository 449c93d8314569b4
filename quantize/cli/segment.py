"""``quantize segment``: colour clusters, their regions, masks and statistics."""

import json
from pathlib import Path

import click

from ..files.read import check_input_file, load_image
from ..files.results import save_segments
from ..files.tiled import is_tiled
from ..files.tiled_segments import tiled_output_names
from ..files.write import check_folder, check_outputs
from ..segmentation import (
    MAX_SEGMENTS,
    MAX_SIGMA,
    MAX_SPATIAL,
    OVERLAY_MODES,
    SegmentSettings,
    output_names,
    segment_image,
)
from .app import detail, one_line_errors, say
from .cluster import cluster_client, scheduler_opt
from .options import (
    AutoOr,
    FiniteFloatRange,
    colorspace_opt,
    effort_opt,
    force_opt,
    input_arg,
    json_opt,
    max_pixels_opt,
    seed_opt,
    verbosity_opts,
)
from .progress import StepProgress, wanted
from .segment_tiled import segment_tiled


@click.command()
@input_arg
@click.option(
    "-k",
    "--segments",
    "n_segments",
    type=click.IntRange(1, MAX_SEGMENTS),
    default=4,
    show_default=True,
    help="Number of colour clusters (each gets a mask file).",
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    help="Folder for the outputs, created if needed.  [default: <stem>-segments/]",
)
@click.option(
    "--spatial",
    type=FiniteFloatRange(0, MAX_SPATIAL),
    default=0.0,
    show_default=True,
    help="Weight of pixel position against colour, as SLIC's compactness: larger values "
    "give more compact regions; 0 clusters by colour alone.",
)
@click.option(
    "--min-region",
    type=AutoOr(click.IntRange(min=0)),
    default="auto",
    show_default=True,
    help="Merge connected regions smaller than this many pixels into a neighbour; "
    "auto: 1/2000 of the image (at least 16); 0 keeps every region.",
)
@click.option(
    "--sigma",
    type=AutoOr(FiniteFloatRange(0, MAX_SIGMA)),
    default="auto",
    show_default=True,
    help="Gaussian smoothing (pixels) of the colours before clustering; auto: from the "
    "image's estimated noise (none on a clean image); 0 does not smooth.",
)
@click.option(
    "--overlay",
    "overlay_mode",
    type=click.Choice(OVERLAY_MODES),
    default="clusters",
    show_default=True,
    help="overlay.png: each cluster in a colour of its own over the image's grey, or each "
    "region in its mean colour over the image.",
)
@colorspace_opt()
@effort_opt
@seed_opt
@scheduler_opt("the tiles of a tiled TIFF or Zarr input")
@max_pixels_opt
@json_opt
@verbosity_opts
@force_opt
def segment(
    input,
    n_segments,
    output_dir,
    spatial,
    min_region,
    sigma,
    overlay_mode,
    colorspace,
    effort,
    seed,
    scheduler,
    max_pixels,
    as_json,
    force,
):
    """Segment INPUT into K colour clusters and their connected regions.

    \b
    Writes into the output folder:
      labels.png       cluster id + 1 per pixel (0 = transparent); 8-bit, or 16-bit above 255
      labels-color.png every pixel in its cluster's mean colour
      mask_<i>.png     1-bit mask of cluster i
      overlay.png      clusters painted over the image (--overlay), boundaries in
                       black or white, whichever shows
      palette.png      the cluster colours with their shares
      segments.json    per-cluster and per-region statistics (also printed by --json)

    \b
    By default the colours are smoothed as much as the image's estimated noise
    needs (none on a clean photo) and regions smaller than 1/2000 of the image
    are merged into a neighbour: --sigma 0 --min-region 0 turns both off.
    A noisy image (1.5 sRGB units or more) is clustered in sRGB, where its
    noise is the same in every direction, whatever --colorspace says.

    \b
    A tiled TIFF or Zarr input of any size is segmented tile by tile, with the
    same result, into tiled BigTIFFs (labels.tif, labels-color.tif, overlay.tif,
    mask_<i>.tif); --scheduler runs its tiles on a Dask cluster.

    \b
    Examples:
        quantize segment photo.jpg -k 6                  # writes photo-segments/
        quantize segment photo.jpg --sigma 1 --min-region 500 -o smooth/ --json
        quantize segment scan.png -k 3 --overlay mean
    """
    with one_line_errors(input):
        tiled = is_tiled(input)
        if not tiled:
            check_input_file(input)
        settings = SegmentSettings(
            n_segments=n_segments,
            spatial=spatial,
            min_region=min_region,
            sigma=sigma,
            colorspace=colorspace,
            effort=effort,
            random_state=seed,
        )
        output_dir = output_dir or input.with_name(f"{input.stem}-segments")
        check_folder(output_dir)
        names_of = tiled_output_names if tiled else output_names
        names = names_of(settings.n_segments)
        check_outputs(
            [(output_dir / name, "an output") for name in names],
            reads=[(input, "the input image")],
            overwrite=force,
        )
        if scheduler is not None and not tiled:
            raise click.UsageError("--scheduler runs the tiles of a tiled TIFF or Zarr input: this is not one")
        if tiled:
            with cluster_client(scheduler) as client:
                summary = segment_tiled(
                    input, settings, output_dir, overlay=overlay_mode, force=force, as_json=as_json, client=client
                )
        else:
            summary = _segment_whole(input, settings, output_dir, overlay_mode, max_pixels, force, as_json)
        detail(f"{input}: wrote {len(names_of(summary['n_clusters']))} files into {output_dir}/")
    if as_json:
        click.echo(json.dumps(summary))
        return
    say(
        f"{input} -> {output_dir}/: {summary['n_clusters']} clusters, "
        f"{summary['n_regions']} regions, {summary['seconds']:.2f} s"
    )
    say("  id  colour    share   regions")
    for cluster in summary["clusters"]:
        say(f"  {cluster['id']:>2}  {cluster['hex']}  {cluster['share']:6.1%}  {cluster['regions']:>8}")
    for note in summary["notes"]:
        say(f"note: {note}")


def _segment_whole(input, settings, output_dir, overlay_mode, max_pixels, force, as_json):
    """segments.json's content of ``input``, read whole, segmented into ``output_dir``."""
    with StepProgress(wanted(as_json=as_json), ["read", "segment", "write"]) as steps:
        loaded = load_image(input, max_pixels=max_pixels)
        detail(f"{input}: read in {loaded.seconds:.2f} s")
        steps(1, 3)
        result = segment_image(loaded, settings=settings)
        detail(f"{input}: segmented in {result.seconds:.2f} s")
        steps(2, 3)
        save_segments(result, output_dir, overwrite=force, overlay=overlay_mode)
    return result.to_dict()
