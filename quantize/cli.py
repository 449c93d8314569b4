"""The ``quantize`` command line: parses arguments, calls the library, prints."""

import json
import sys
import warnings
from pathlib import Path

import click

from . import __version__
from .errors import QuantizeError, QuantizeWarning
from .io import PALETTE_FORMATS, check_output_path, load_image, output_format
from .options import (
    algorithm_opt, colors_opt, force_opt, init_opt, input_arg, json_opt, max_pixels_opt, seed_opt,
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
    try:
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
        with warnings.catch_warnings():
            # The report's notes say the same thing, once.
            warnings.simplefilter("ignore", QuantizeWarning)
            result = quantize_image(
                loaded, n_colors, algorithm=algorithm, init=init, random_state=seed
            )
        report = result.save(output, overwrite=force)
    except QuantizeError as e:
        raise click.ClickException(str(e)) from e
    except MemoryError:
        raise click.ClickException(f"{input}: not enough memory to process this image") from None
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        click.echo(report.to_text())
