"""``quantize compress``: an image to at most K colours, written as a palette image."""

import json
from pathlib import Path

import click

from ..errors import TargetNotMetError
from ..files.encode import PALETTE_FORMATS, output_format
from ..files.palette_formats import FORMATS as PALETTE_FILE_FORMATS
from ..files.palettes import load_palette
from ..files.palettes import save_palette as write_palette
from ..files.read import check_input_file, load_image
from ..files.write import check_outputs
from ..quantization.api import apply_palette, quantize_image
from ..quantization.settings import MAX_PALETTE
from .app import fail, one_line_errors
from .options import (
    algorithm_opt, colors_opt, colorspace_opt, dither_opt, dither_strength_opt, effort_opt, force_opt, init_opt,
    input_arg, json_opt, lock_opt, max_delta_e_opt, max_pixels_opt, output_path, palette_file_opt, quality_opt,
    quantize_settings, seed_opt, ssim_opt,
)


@click.command()
@input_arg
@colors_opt
@click.option(
    "-o", "--output", type=output_path,
    help="Output file; the format follows the extension.  [default: <stem>-q<K>.png]",
)
@effort_opt
@algorithm_opt
@init_opt
@seed_opt
@max_pixels_opt
@palette_file_opt(help="Map to this palette instead of fitting one (as `quantize apply`).")
@click.option(
    "--save-palette", type=output_path,
    help="Also write the palette (format from the extension: .json, .gpl, .css, .hex, .txt, .png) "
    "for `quantize apply` and `batch --palette`.",
)
@quality_opt
@max_delta_e_opt
@colorspace_opt()
@dither_opt
@dither_strength_opt
@lock_opt
@click.option(
    "--keep-icc", is_flag=True,
    help="Keep an embedded ICC profile in the output instead of converting the input to sRGB.",
)
@click.option(
    "--format", "output_choice", type=click.Choice(["auto", "smallest"]), default="auto", show_default=True,
    help="auto: the format of the output's extension; smallest: the smaller of PNG-8 and "
    "lossless WebP, whose extension replaces the output's.",
)
@click.option(
    "--force-output", is_flag=True,
    help="With a target that K colours cannot meet, write the K-colour result anyway (exit code 3 still).",
)
@ssim_opt
@json_opt
@force_opt
@click.pass_context
def compress(ctx, input, output, save_palette, as_json, force, **options):
    """Reduce INPUT to at most K colours and write a palette image.

    \b
    Examples:
        quantize compress photo.jpg                  # writes photo-q16.png
        quantize compress photo.jpg -k 64 -o small.png --json
        quantize compress logo.png -k 8 --save-palette brand.json
        quantize compress photo.jpg --quality 35     # the fewest colours reaching 35 dB

    With --quality or --max-delta-e, K is the most colours allowed (256 unless -k is
    given); when K colours cannot meet the target the exit code is 3.
    """
    palette_file, keep_icc, output_choice, force_output = (
        options.pop(name) for name in ("palette_file", "keep_icc", "output_choice", "force_output"))
    with one_line_errors(input):
        s = quantize_settings(ctx, options)
        check_input_file(input)  # first: the default output is named after it
        output = output or input.with_name(f"{input.stem}-q.png" if s.targeted else f"{input.stem}-q{s.n_colors}.png")
        if save_palette is not None and save_palette.suffix.lower() not in PALETTE_FILE_FORMATS:
            raise click.BadParameter(
                f"palette files are {', '.join(sorted(PALETTE_FILE_FORMATS))}, not {save_palette.suffix or '(none)'!r}",
                param_hint="'--save-palette'",
            )
        if palette_file is not None and (s.targeted or s.lock is not None):
            raise click.UsageError("--palette fixes the colours: it cannot be combined with a quality target or --lock")
        images = ([output.with_suffix(".png"), output.with_suffix(".webp")] if output_choice == "smallest"
                  else [output])
        check_outputs([(path, "the output") for path in images]
                      + ([(save_palette, "the --save-palette file")] if save_palette is not None else []),
                      reads=[(input, "the input image"), (palette_file, "the palette file")], overwrite=force)
        image_format = output_format(output)
        if image_format in PALETTE_FORMATS and s.n_colors > MAX_PALETTE and output_choice == "auto":
            raise click.BadParameter(
                f"{s.n_colors} is out of range 1..{MAX_PALETTE} for {image_format} output "
                "(palette images); write .webp for more colours",
                param_hint="'-k' / '--colors'",
            )
        palette = load_palette(palette_file) if palette_file is not None else None
        loaded = load_image(input, max_pixels=s.max_pixels, keep_icc=keep_icc)
        missed = None
        if palette is not None:
            result = apply_palette(loaded, palette, colorspace=s.colorspace, dither=s.dither,
                                   dither_strength=s.dither_strength, ssim=s.ssim)
        else:
            try:
                result = quantize_image(loaded, settings=s)
            except TargetNotMetError as e:
                if not force_output:
                    fail(f"{input}: {e} (nothing written; --force-output writes it anyway)", 3)
                missed, result = e, e.result  # the K-colour result, its report noting the miss
        report = result.save(output, overwrite=force, smallest=output_choice == "smallest")
        if save_palette is not None:
            try:
                write_palette(save_palette, result.palette[:, :3], overwrite=force)
            except BaseException:  # the two outputs appear together or not at all
                Path(report.output).unlink(missing_ok=True)
                raise
    click.echo(json.dumps(report.to_dict()) if as_json else report.to_text())
    if missed is not None:
        fail(f"{input}: {missed}", 3)
