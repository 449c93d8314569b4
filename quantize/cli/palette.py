"""``quantize palette``: the K-colour palette of an image, as a file or on stdout."""

import time

import click
import numpy as np

from ..files import palette_formats
from ..files.palettes import save_palette as write_palette
from ..files.read import check_input_file, load_image
from ..files.write import check_outputs
from ..quantization.api import fit_palette
from .app import detail, one_line_errors, say
from .options import (
    colorspace_opt,
    effort_opt,
    force_opt,
    input_arg,
    max_pixels_opt,
    output_path,
    quantize_settings,
    seed_opt,
    verbosity_opts,
)
from .progress import StepProgress, wanted


@click.command()
@input_arg
@click.option(
    "-k", "--colors", "n_colors", type=click.IntRange(1, 256), default=8, show_default=True, help="Number of colours."
)
@click.option(
    "--format",
    "kind",
    type=click.Choice(["json", "gpl", "css", "hex", "png"]),
    default=None,
    help="File format.  [default: from the extension of -o, else json on stdout]",
)
@click.option(
    "-o", "--output", type=output_path, help="Palette file to write.  [default: print to stdout (png needs -o)]"
)
@colorspace_opt()
@effort_opt
@seed_opt
@max_pixels_opt
@verbosity_opts(quiet="Print nothing but errors and the palette asked for on stdout.")
@force_opt
@click.pass_context
def palette(ctx, input, n_colors, kind, output, colorspace, effort, seed, max_pixels, force):
    """The K-colour palette of INPUT, sorted by share: hex, RGB, CIELAB, share of
    pixels and a name of each (the nearest of the xkcd colour survey's).

    \b
    Examples:
        quantize palette photo.jpg -k 6               # JSON on stdout
        quantize palette photo.jpg --format css
        quantize palette photo.jpg -o swatch.png      # loads back in apply and batch
    """
    if kind is None:
        kind = palette_formats.FORMATS.get(output.suffix.lower(), "json") if output is not None else "json"
    if output is None and kind == "png":
        raise click.UsageError("--format png needs -o FILE")
    with one_line_errors(input):
        s = quantize_settings(ctx, locals())  # the options of the signature
        check_input_file(input)
        if output is not None:
            check_outputs([(output, "the output")], reads=[(input, "the input image")], overwrite=force)
            if palette_formats.FORMATS.get(output.suffix.lower()) != kind:
                raise click.BadParameter(
                    f"the extension {output.suffix or '(none)'!r} does not match --format {kind}",
                    param_hint="'-o' / '--output'",
                )
        # the palette alone: no rebuilt image, no metrics
        with StepProgress(wanted(), ["read", "fit"]) as steps:
            loaded = load_image(input, max_pixels=max_pixels)
            detail(f"{input}: read in {loaded.seconds:.2f} s")
            steps(1, 2)
            start = time.perf_counter()
            colors, labels = fit_palette(
                loaded, s.n_colors, random_state=s.random_state, colorspace=s.colorspace, effort=s.effort
            )
        detail(f"{input}: {len(colors)} colours fitted in {time.perf_counter() - start:.2f} s")
        visible = labels[labels >= 0]
        shares = np.bincount(visible, minlength=len(colors)) / max(visible.size, 1)
        if output is not None:
            write_palette(output, colors[:, :3], shares=shares, title=input.stem, overwrite=force)
    if output is None:
        entries = palette_formats.describe(colors[:, :3], shares)
        click.echo(palette_formats.render(entries, kind, title=input.stem).decode(), nl=False)
    else:
        say(f"{len(colors)} colours -> {output}")
