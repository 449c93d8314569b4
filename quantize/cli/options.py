"""Click options shared by the commands, defined once, and the settings object built
from what they parse."""

import dataclasses
import math
from pathlib import Path

import click

from ..cluster.kmeans import ALGORITHMS, INITS
from ..color.spaces import CLUSTER_SPACES, DEFAULT_SPACE
from ..files.read import DEFAULT_MAX_PIXELS
from ..quantization.search import DEFAULT_EFFORT, EFFORTS
from ..quantization.settings import MAX_PALETTE, QuantizeSettings
from .app import VERBOSITY


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange without NaN and infinity (a malformed option: exit code 2)."""

    def convert(self, value, param, ctx):
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)


class AutoOr(click.ParamType):
    """A number of another click type, or the word "auto" (the library decides)."""

    def __init__(self, number):
        self.number = number
        self.name = f"{number.name}|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        return self.number.convert(value, param, ctx)


class FolderOrURL(click.ParamType):
    """A local folder (a Path) or an fsspec URL such as s3://bucket/prefix (a
    RemotePath, whose file system is reached only when used)."""

    name = "folder|url"

    def convert(self, value, param, ctx):
        from ..files.remote import RemotePath, as_location

        if isinstance(value, (Path, RemotePath)):
            return value
        location = as_location(str(value))
        if isinstance(location, RemotePath) and not location.protocol.replace("-", "").isalnum():
            self.fail(f"{value!r} is not a URL such as s3://bucket/prefix", param, ctx)
        return location


#: An output file: a folder given there is refused by the command (exit code 1, as
#: every unwritable output), not by click's usage check.
output_path = click.Path(path_type=Path)

input_arg = click.argument("input", type=click.Path(path_type=Path, dir_okay=True))

colors_opt = click.option(
    "-k",
    "--colors",
    "n_colors",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Number of colours (1..256 for palette formats such as PNG and GIF).",
)
png_colors_opt = click.option(
    "-k",
    "--colors",
    "n_colors",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Number of colours of each PNG-8 output.",
)
algorithm_opt = click.option(
    "--algorithm",
    type=click.Choice(ALGORITHMS),
    default="lloyd",
    show_default=True,
    help="k-means variant: Lloyd steps from coarse colour bins to the exact colours, or mini-batch "
    "k-means on the bins first.",
)
init_opt = click.option(
    "--init",
    type=click.Choice(INITS),
    default="wu",
    show_default=True,
    help="Initial centres: Wu's colour quantiser (deterministic) or a k-means seeding.",
)
effort_opt = click.option(
    "--effort",
    type=click.Choice(EFFORTS),
    default=DEFAULT_EFFORT,
    show_default=True,
    help="fast: refine on coarse colour bins only; normal: also on the exact colours; thorough: "
    "also k-means++ restarts, keeping the best (never worse, several times slower).",
)
ssim_opt = click.option(
    "--ssim",
    is_flag=True,
    help="Also measure SSIM for the report (the costliest metric: off by default).",
)
seed_opt = click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Random seed; the same seed gives the same output.",
)
json_opt = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report as one JSON object on stdout.",
)
force_opt = click.option(
    "--force",
    is_flag=True,
    help="Overwrite an existing output file (never the input).",
)
max_pixels_opt = click.option(
    "--max-pixels",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_PIXELS,
    show_default=True,
    help="Refuse larger images read whole (a decompression-bomb and memory guard; tiled TIFF and Zarr inputs, "
    "read tile by tile, have no limit); raise it for trusted huge files.",
)


def colorspace_opt(
    help="Space the colours are clustered in: DIN99o, CIELAB, sRGB or OKLab "
    "(din99o: the lowest mean ΔE2000; rgb: the highest PSNR).",
):
    """--colorspace (DIN99o by default)."""
    return click.option(
        "--colorspace",
        type=click.Choice(CLUSTER_SPACES),
        default=DEFAULT_SPACE,
        show_default=True,
        help=help,
    )


#: The prefix that reads --quality on pngquant's 0-100 scale.
PNGQUANT = "pngquant:"


class QualityRange(click.ParamType):
    """``PSNR`` or ``MIN-MAX`` in dB, or the same on pngquant's 0-100 scale after
    ``pngquant:`` (converted by :func:`quantize.metrics.pngquant_quality_to_psnr`),
    as (min or None, max); with ``ranged=False`` MAX alone, as a float."""

    name = "quality"

    def __init__(self, *, ranged=True):
        self.ranged = ranged

    def convert(self, value, param, ctx):
        if isinstance(value, (tuple, float)):
            return value
        text = str(value).strip()
        pngquant = text.lower().startswith(PNGQUANT)
        text = text[len(PNGQUANT) :] if pngquant else text
        head, dash, high = text[1:].partition("-")  # a leading "-" is a sign, not a range
        low = text[:1] + head
        if dash and not self.ranged:
            self.fail(f"{value!r}: one value here, not MIN-MAX", param, ctx)
        scale = click.FloatRange(0, 100) if pngquant else FiniteFloatRange(min=0, min_open=True)
        bounds = [scale.convert(part, param, ctx) for part in ((low, high) if dash else (high or low,))]
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            self.fail(f"{value!r}: MIN is above MAX", param, ctx)
        if pngquant:
            from ..metrics.pngquant import pngquant_quality_to_psnr

            if bounds[-1] == 0:
                self.fail(f"{value!r}: pngquant's quality 0 accepts anything: leave --quality out", param, ctx)
            bounds = [pngquant_quality_to_psnr(b) if b else None for b in bounds]
        return (bounds[0] if dash else None, bounds[-1]) if self.ranged else bounds[-1]


quality_opt = click.option(
    "--quality",
    type=QualityRange(ranged=False),
    metavar="PSNR",
    help="Use the fewest colours (at most K) whose result reaches this PSNR in dB (pngquant:Q takes "
    "pngquant's 0-100 scale).",
)
quality_range_opt = click.option(
    "--quality",
    type=QualityRange(),
    metavar="[MIN-]MAX",
    help="PSNR in dB (30-45 is usual): use the fewest colours (at most K) reaching MAX; with MIN, the "
    "K-colour result is still written if it reaches MIN.  pngquant:MIN-MAX reads pngquant's 0-100 "
    "scale (pngquant:65-80 is 35.4-38.1 dB).",
)
max_delta_e_opt = click.option(
    "--max-delta-e",
    type=FiniteFloatRange(min=0, min_open=True),
    metavar="X",
    help="Use the fewest colours (at most K) whose mean CIEDE2000 difference is at most X.",
)
dither_opt = click.option(
    "--dither",
    type=click.Choice(["none", "floyd-steinberg", "ordered"]),
    default="none",
    show_default=True,
    help="Dither against the palette: error diffusion, or an ordered 8x8 Bayer pattern.",
)
dither_strength_opt = click.option(
    "--dither-strength",
    type=FiniteFloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="0 is no dithering, 1 full strength.",
)


def _colors(ctx, param, values):
    """'#rrggbb', 'r,g,b' or a CSS name → (r, g, b) triples."""
    from PIL import ImageColor

    triples = []
    for value in values:
        try:
            if "," in value and not value.strip().lower().startswith("rgb"):
                triple = tuple(int(v) for v in value.split(","))
                if len(triple) != 3 or not all(0 <= v <= 255 for v in triple):
                    raise ValueError
            else:
                triple = ImageColor.getrgb(value)[:3]
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a colour (#rrggbb, r,g,b or a CSS name)") from None
        triples.append(triple)
    return triples


lock_opt = click.option(
    "--lock",
    multiple=True,
    metavar="COLOR",
    callback=_colors,
    help="Keep this colour exactly in the palette (#rrggbb, r,g,b or a CSS name; repeatable).",
)


def palette_file_opt(*, help, required=False):
    """--palette FILE, read by io.load_palette (format from the extension)."""
    return click.option(
        "--palette",
        "palette_file",
        type=click.Path(path_type=Path),
        required=required,
        help=f"{help}  A palette file: .json, .gpl, .css, .hex, .txt or a .png swatch "
        "(as `quantize palette` and `compress --save-palette` write).",
    )


def _verbosity(ctx, param, value):
    level = -1 if param.name == "quiet" and value else value if param.name == "verbose" else 0
    if level:
        if ctx.meta.get(VERBOSITY, 0) * level < 0:
            raise click.UsageError("-q/--quiet and -v/--verbose exclude each other", ctx)
        ctx.meta[VERBOSITY] = level
    return value


def verbosity_opts(command=None, *, quiet="Print nothing but errors (and --json's JSON)."):
    """-v/--verbose (repeatable) and -q/--quiet, as pngquant's and ImageMagick's: -q
    prints nothing but errors (and what ``quiet``, its help, says stays), -v adds the
    steps and their times on stderr.  Read them with :func:`.app.verbosity`.  Used as
    ``@verbosity_opts``, or ``@verbosity_opts(quiet=...)`` by a command without --json."""
    if command is None:
        return lambda command: verbosity_opts(command, quiet=quiet)
    command = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_verbosity,
        help=quiet,
    )(command)
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_verbosity,
        help="Also print each step and its time on stderr.",
    )(command)


def quantize_settings(ctx, arguments):
    """The QuantizeSettings of a command's parsed options, by name (the command's
    ``locals()``, or a dict): the settings' fields among them, ``seed`` as the random
    state; with a quality target and no -k, K is the most a palette holds."""
    options = {f.name: arguments[f.name] for f in dataclasses.fields(QuantizeSettings) if f.name in arguments}
    if "seed" in arguments:
        options["random_state"] = arguments["seed"]
    if "lock" in options:
        options["lock"] = options["lock"] or None
    targeted = options.get("quality") is not None or options.get("max_delta_e") is not None
    if targeted and ctx.get_parameter_source("n_colors") is click.core.ParameterSource.DEFAULT:
        options["n_colors"] = MAX_PALETTE
    return QuantizeSettings(**options)
