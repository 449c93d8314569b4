"""``quantize compress``: images to at most K colours, written as palette images, one
input after the other (a failure does not stop the rest), from files or stdin."""

from pathlib import Path

import click

from ..errors import OutputError
from ..files.encode import output_format
from ..files.palette_formats import FORMATS as PALETTE_FILE_FORMATS
from ..files.palettes import load_palette
from ..quantization.animation import WEIGHTS
from .app import one_line_errors
from .cluster import cluster_client, scheduler_opt
from .compress_mode import FORMAT_EXTENSIONS, STDIO, CompressMode
from .compress_run import EXIT_FAILED, EXIT_NOT_MET, EXIT_SKIPPED, compress_one, plan_inputs
from .options import (
    algorithm_opt,
    colors_opt,
    colorspace_opt,
    dither_opt,
    dither_strength_opt,
    effort_opt,
    force_opt,
    init_opt,
    json_opt,
    lock_opt,
    max_delta_e_opt,
    max_pixels_opt,
    output_path,
    palette_file_opt,
    quality_range_opt,
    quantize_settings,
    seed_opt,
    ssim_opt,
    verbosity_opts,
)


def _ending(ctx, param, value):
    if value is not None:
        if "/" in value or "." not in value:
            raise click.BadParameter(f"{value!r} is not a file ending such as .webp or -fs8.png")
        try:
            output_format(Path("x" + value))
        except OutputError as e:
            raise click.BadParameter(e.reason.replace("the extension", "the ending")) from None
    return value


@click.command()
@click.argument(
    "inputs",
    nargs=-1,
    required=True,
    metavar="INPUT...",
    type=click.Path(path_type=Path, dir_okay=True, allow_dash=True),
)
@colors_opt
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Output file ('-' for stdout); the format follows the extension.  Only with one input.  "
    "[default: <stem><suffix>.png beside the input; stdout for stdin]",
)
@click.option(
    "--suffix",
    help="Added to the input's name for its output.  [default: -q<K>, or the target: -q35dB, -de2.5]",
)
@click.option(
    "--ext",
    callback=_ending,
    metavar="ENDING",
    help="The outputs' extension (.webp), or pngquant's whole ending (-fs8.png, which replaces the suffix).",
)
@effort_opt
@algorithm_opt
@init_opt
@seed_opt
@max_pixels_opt
@palette_file_opt(help="Map to this palette instead of fitting one (as `quantize apply`).")
@click.option(
    "--save-palette",
    type=output_path,
    help="Also write the palette (format from the extension: .json, .gpl, .css, .hex, .txt, .png) "
    "for `quantize apply` and `batch --palette`.  Only with one input.",
)
@quality_range_opt
@max_delta_e_opt
@colorspace_opt()
@dither_opt
@dither_strength_opt
@lock_opt
@click.option(
    "--keep-icc",
    is_flag=True,
    help="Keep an embedded ICC profile in the output instead of converting the input to sRGB.",
)
@click.option(
    "--format",
    "image_format",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "smallest", *FORMAT_EXTENSIONS]),
    help="auto: the format of the output's extension (PNG on stdout); smallest: the smaller of PNG-8 and "
    "lossless WebP, whose extension replaces the output's; or a format, for stdout and --ext-less names.",
)
@click.option(
    "--frame-palettes",
    is_flag=True,
    help="Animations: one palette per frame (GIF local colour tables) instead of one for all frames.",
)
@click.option(
    "--frame-weight",
    type=click.Choice(WEIGHTS),
    default="pixels",
    show_default=True,
    help="Animations: how frames weigh in the shared palette: by pixels, or by pixels times duration.",
)
@click.option(
    "--first-frame",
    is_flag=True,
    help="Animations: quantise the first frame alone (needed to write a still format such as JPEG).",
)
@click.option(
    "--skip-if-larger",
    is_flag=True,
    help=f"Write nothing when the result is not smaller than the input; exit code {EXIT_SKIPPED}.",
)
@click.option(
    "--force-output",
    is_flag=True,
    help="With a target that K colours cannot meet, write the K-colour result anyway (exit code 3 still).",
)
@ssim_opt
@scheduler_opt("the tiles of tiled TIFF and Zarr inputs")
@json_opt
@verbosity_opts
@force_opt
@click.pass_context
def compress(
    ctx,
    inputs,
    n_colors,
    output,
    suffix,
    ext,
    effort,
    algorithm,
    init,
    seed,
    max_pixels,
    palette_file,
    save_palette,
    quality,
    max_delta_e,
    colorspace,
    dither,
    dither_strength,
    lock,
    keep_icc,
    image_format,
    frame_palettes,
    frame_weight,
    first_frame,
    skip_if_larger,
    force_output,
    ssim,
    scheduler,
    as_json,
    force,
):
    """Reduce each INPUT to at most K colours and write a palette image.

    Animated GIF, APNG and WebP inputs are written as animations (every frame, with
    its timing), with one palette for all frames unless --frame-palettes.

    \b
    Examples:
        quantize compress photo.jpg                  # writes photo-q16.png
        quantize compress photo.jpg -k 64 -o small.png --json
        quantize compress shots/*.png --ext .webp --skip-if-larger
        quantize compress logo.png -k 8 --save-palette brand.json
        quantize compress photo.jpg --quality 35     # the fewest colours reaching 35 dB
        quantize compress photo.jpg --quality pngquant:65-80 --dither floyd-steinberg
        cat a.png | quantize compress - > a-small.png

    With --quality or --max-delta-e, K is the most colours allowed (256 unless -k is
    given).  Exit codes: 0 all written; 1 an input failed (the others are still
    done); 3 a target not met (nothing written for it); 98 skipped by
    --skip-if-larger; 2 bad options.  With several inputs, the first of 1, 3, 98
    that any input gave.
    """
    if frame_palettes and (save_palette is not None or palette_file is not None):
        raise click.UsageError("--frame-palettes fits a palette per frame: not with --palette or --save-palette")
    if len(inputs) > 1 and (output is not None or save_palette is not None):
        raise click.UsageError("-o and --save-palette name one file: with several inputs use --suffix or --ext")
    if list(inputs).count(STDIO) > 1:
        raise click.UsageError("stdin ('-') can be read once")
    if output is not None and (suffix is not None or ext is not None):
        raise click.UsageError("-o names the output: --suffix and --ext are for default names")
    if save_palette is not None and save_palette.suffix.lower() not in PALETTE_FILE_FORMATS:
        raise click.BadParameter(
            f"palette files are {', '.join(sorted(PALETTE_FILE_FORMATS))}, not {save_palette.suffix or '(none)'!r}",
            param_hint="'--save-palette'",
        )
    quality_min, quality = quality or (None, None)
    with one_line_errors(palette_file or inputs[0]):
        s = quantize_settings(ctx, locals())  # the options of the signature
        if palette_file is not None and (s.targeted or s.lock is not None):
            raise click.UsageError("--palette fixes the colours: it cannot be combined with a quality target or --lock")
        palette = load_palette(palette_file) if palette_file is not None else None
    to_stdout = output == STDIO or (output is None and STDIO in inputs)
    mode = CompressMode(
        s,
        quality_min,
        palette,
        output,
        suffix,
        ext,
        force=force,
        save_palette=save_palette,
        as_json=as_json,
        report_to_stderr=to_stdout,
        keep_icc=keep_icc,
        image_format=image_format,
        force_output=force_output,
        skip_if_larger=skip_if_larger,
        first_frame=first_frame,
        frame_palettes=frame_palettes,
        frame_weight=frame_weight,
        max_pixels=max_pixels,
    )
    with one_line_errors(inputs[0]):
        plan = plan_inputs(mode, inputs, palette_file)
    if scheduler is not None and not any(planned.tiled for planned in plan):
        raise click.UsageError("--scheduler runs the tiles of tiled TIFF and Zarr inputs: no input is one")
    with cluster_client(scheduler) as client:
        codes = [compress_one(mode, planned, palette_file, client) for planned in plan]
    return next((code for code in (EXIT_FAILED, EXIT_NOT_MET, EXIT_SKIPPED) if code in codes), 0)
