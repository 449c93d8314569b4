"""``quantize apply``: an image mapped to the colours of a given palette."""

import json

import click

from ..files.encode import output_format
from ..files.palettes import load_palette
from ..files.read import check_input_file, load_image
from ..files.results import save
from ..files.write import check_outputs
from ..quantization.api import apply_palette
from .app import detail, one_line_errors, say
from .options import (
    colorspace_opt,
    dither_opt,
    dither_strength_opt,
    force_opt,
    input_arg,
    json_opt,
    max_pixels_opt,
    output_path,
    palette_file_opt,
    quantize_settings,
    ssim_opt,
    verbosity_opts,
)
from .progress import StepProgress, wanted


@click.command()
@input_arg
@palette_file_opt(required=True, help="The palette to map to.")
@click.option(
    "-o",
    "--output",
    type=output_path,
    help="Output file; the format follows the extension.  [default: <stem>-palette.png]",
)
@colorspace_opt(
    help="Space in which the nearest palette colour is sought (the one the palette was fitted in "
    "gives back its pixels)."
)
@dither_opt
@dither_strength_opt
@max_pixels_opt
@ssim_opt
@json_opt
@verbosity_opts
@force_opt
@click.pass_context
def apply(ctx, input, palette_file, output, colorspace, dither, dither_strength, max_pixels, ssim, as_json, force):
    """Map INPUT to the colours of a given palette (each pixel to the nearest).

    \b
    Example:
        quantize apply photo.jpg --palette brand.json -o photo-brand.png
    """
    with one_line_errors(input):
        s = quantize_settings(ctx, locals())  # the options of the signature
        check_input_file(input)
        output = output or input.with_name(f"{input.stem}-palette.png")
        check_outputs(
            [(output, "the output")],
            reads=[(input, "the input image"), (palette_file, "the palette file")],
            overwrite=force,
        )
        output_format(output)
        palette = load_palette(palette_file)
        with StepProgress(wanted(as_json=as_json), ["read", "map", "write"]) as steps:
            loaded = load_image(input, max_pixels=max_pixels)
            detail(f"{input}: read in {loaded.seconds:.2f} s")
            steps(1, 3)
            result = apply_palette(
                loaded,
                palette,
                colorspace=s.colorspace,
                dither=s.dither,
                dither_strength=s.dither_strength,
                ssim=s.ssim,
            )
            steps(2, 3)
            report = save(result, output, overwrite=force)
        detail(f"{input}: mapped and wrote {output} ({report.output_bytes:,} B) in {report.seconds:.2f} s")
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        say(report.to_text())
