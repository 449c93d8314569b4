"""The ``quantize`` command line: parses arguments, calls the library, prints."""

import contextlib
import json
import sys
import warnings
from pathlib import Path

import click

from . import __version__
from .errors import QuantizeError, QuantizeWarning
from .io import PALETTE_FORMATS, check_output_path, load_image, output_format
from .options import (
    algorithm_opt, colorspace_opt, colors_opt, force_opt, init_opt, input_arg, json_opt,
    max_pixels_opt, seed_opt,
)
from .pipeline import MAX_PALETTE, quantize_image


class _Group(click.Group):
    """A click group whose errors are one line on stderr: ``quantize: error: ...``."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            click.echo(f"quantize: error: {e.format_message()}{hint}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(f"quantize: error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("quantize: interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quantize")
def main():
    """Colour quantisation with mini-batch k-means++.

    \b
    Example:
        quantize compress photo.jpg -k 32
    """


def default_output(input_path, n_colors):
    """``<stem>-q<K>.png`` next to the input."""
    return input_path.with_name(f"{input_path.stem}-q{n_colors}.png")


@main.command()
@input_arg
@colors_opt
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
    help="Output file; the format follows the extension.  [default: <stem>-q<K>.png]",
)
@algorithm_opt
@init_opt
@seed_opt
@max_pixels_opt
@json_opt
@force_opt
def compress(input, n_colors, output, algorithm, init, seed, max_pixels, as_json, force):
    """Reduce INPUT to at most K colours and write a palette image.

    \b
    Examples:
        quantize compress photo.jpg                  # writes photo-q16.png
        quantize compress photo.jpg -k 64 -o small.png --json
    """
    output = output or default_output(input, n_colors)
    with _one_line_errors(input):
        image_format = output_format(output)
        if image_format in PALETTE_FORMATS and n_colors > MAX_PALETTE:
            raise click.BadParameter(
                f"{n_colors} is out of range 1..{MAX_PALETTE} for {image_format} output "
                "(palette images); write .webp for more colours",
                param_hint="'-k' / '--colors'",
            )
        loaded = load_image(input, max_pixels=max_pixels)
        # Fail before the clustering, not after it, when the output cannot be written.
        check_output_path(output, overwrite=force, protect=input)
        result = quantize_image(loaded, n_colors, algorithm=algorithm, init=init, random_state=seed)
        report = result.save(output, overwrite=force)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        click.echo(report.to_text())


@contextlib.contextmanager
def _one_line_errors(input):
    """The library's errors as click's one-line errors; its warnings silenced (the
    reports carry them as notes)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuantizeWarning)
            yield
    except QuantizeError as e:
        raise click.ClickException(str(e)) from e
    except MemoryError:
        raise click.ClickException(f"{input}: not enough memory to process this image") from None


@main.command()
@input_arg
@click.option(
    "-k", "--segments", "n_segments", type=click.IntRange(1, 65534), default=4, show_default=True,
    help="Number of colour clusters.",
)
@click.option(
    "-o", "--output-dir", type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the outputs, created if needed.  [default: <stem>-segments/]",
)
@click.option(
    "--spatial", type=click.FloatRange(min=0), default=0.0, show_default=True,
    help="Weight of pixel position against colour, as SLIC's compactness: larger values "
    "give more compact regions; 0 clusters by colour alone.",
)
@click.option(
    "--min-region", type=click.IntRange(min=0), default=0, show_default=True,
    help="Merge connected regions smaller than this many pixels into a neighbour.",
)
@click.option(
    "--sigma", type=click.FloatRange(min=0), default=0.0, show_default=True,
    help="Gaussian smoothing (pixels) of the colours before clustering; 1-2 for noisy images.",
)
@colorspace_opt
@seed_opt
@max_pixels_opt
@json_opt
@force_opt
def segment(
    input, n_segments, output_dir, spatial, min_region, sigma, colorspace, seed, max_pixels, as_json, force
):
    """Segment INPUT into K colour clusters and their connected regions.

    \b
    Writes into the output folder:
      labels.png      cluster id + 1 per pixel (0 = transparent); 8-bit, or 16-bit above 255
      mask_<i>.png    1-bit mask of cluster i
      overlay.png     regions in their mean colour over the image, boundaries in yellow
      palette.png     the cluster colours with their shares
      segments.json   per-cluster and per-region statistics (also printed by --json)

    \b
    Examples:
        quantize segment photo.jpg -k 6                  # writes photo-segments/
        quantize segment photo.jpg --sigma 1 --min-region 500 --json
    """
    from .segment import segment_image  # scipy.ndimage and skimage: only when segmenting

    output_dir = output_dir or input.with_name(f"{input.stem}-segments")
    with _one_line_errors(input):
        loaded = load_image(input, max_pixels=max_pixels)
        result = segment_image(
            loaded, n_segments, spatial=spatial, min_region=min_region, sigma=sigma,
            colorspace=colorspace, random_state=seed,
        )
        result.save(output_dir, overwrite=force)
    summary = result.to_dict()
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"{input} -> {output_dir}/: {summary['n_clusters']} clusters, "
        f"{summary['n_regions']} regions, {summary['seconds']:.2f} s"
    )
    click.echo("  id  colour    share   regions")
    for cluster in summary["clusters"]:
        click.echo(f"  {cluster['id']:>2}  {cluster['hex']}  {cluster['share']:6.1%}  {cluster['regions']:>8}")
    for note in summary["notes"]:
        click.echo(f"note: {note}")
