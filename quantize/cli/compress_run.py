"""One input of ``quantize compress`` after another: the plan of the call's outputs,
checked as a whole before anything is written, and each input read, quantised,
encoded and written (or printed), its failure one error line."""

import json
from dataclasses import dataclass, replace
from pathlib import Path

import click

from ..errors import OutputError, TargetNotMetError
from ..files.animation import ANIMATED_FORMATS, open_animation
from ..files.encode import PALETTE_FORMATS
from ..files.palettes import save_image_and_palette
from ..files.read import check_input_file, load_image, load_image_bytes, read_stdin
from ..files.results import encode, not_smaller
from ..files.tiled import is_tiled
from ..files.write import check_outputs, check_plan
from ..metrics.pngquant import LOSSLESS_PSNR
from ..quantization.animation import quantize_animation
from ..quantization.api import apply_palette, quantize_image
from ..quantization.report import JSON_KEYS
from ..quantization.settings import MAX_PALETTE
from .app import detail, error_line, one_line_errors, say
from .compress_mode import FORMAT_EXTENSIONS, STDIO
from .compress_tiled import compress_tiled
from .progress import FitProgress, FrameProgress, StepProgress, wanted

#: Exit codes of compress (with several inputs, the first of these that any input gave).
EXIT_FAILED, EXIT_NOT_MET, EXIT_SKIPPED = 1, 3, 98
#: Keys of the JSON of one input: what happened to it, then the report's.
STATUS_KEYS = ("status", "reason")
#: Above this, a --quality is probably meant on pngquant's 0-100 scale.
_PNGQUANT_SCALE_HINT = 60


@dataclass
class Planned:
    """One input of the call: its output (and what it was found to be), or why it
    cannot be run."""

    input: Path
    output: Path | None = None
    targets: tuple = ()
    animation: object = None
    error: click.ClickException | None = None
    tiled: bool = False  # a tiled TIFF or a Zarr store: read tile by tile


def plan_inputs(mode, inputs, palette_file):
    """Every input's output, checked as a whole before anything is written: no output
    may be an input of the call (or the palette file), and no two inputs may want one
    output, whatever --force says.  An input that cannot be read fails on its turn."""
    plan = []
    for input in inputs:
        planned = Planned(input)
        if input == STDIO:
            planned.output = mode.output_for(input)  # -o, else stdout; read on its turn
        elif is_tiled(input):
            planned.tiled = True
            planned.output = mode.output_for(input, tiled=True)
        else:
            try:
                with one_line_errors(input):
                    check_input_file(input)
                    planned.animation = None if mode.first_frame else open_animation(input, max_pixels=mode.max_pixels)
                    planned.output = mode.output_for(input, _format(planned.animation))
            except click.ClickException as e:
                planned.error = e
        if planned.output not in (None, STDIO):
            smallest = mode.image_format == "smallest"
            output = planned.output
            planned.targets = (output.with_suffix(".png"), output.with_suffix(".webp")) if smallest else (output,)
        plan.append(planned)
    several = len(plan) > 1
    outputs = [(path, f"the output of {p.input}" if several else "the output") for p in plan for path in p.targets]
    if mode.save_palette is not None:
        outputs.append((mode.save_palette, "the --save-palette file"))
    reads = [
        (p.input, f"the input image {p.input}" if several else "the input image") for p in plan if p.input != STDIO
    ]
    # a clash refuses the whole call (exit 1): nothing is written
    check_plan(outputs, reads=[*reads, (palette_file, "the palette file")])
    return plan


def _format(animation):
    return animation.format if animation is not None else None


def compress_one(mode, planned, palette_file, client=None):
    """Compress one input, print its report, and return its exit code (errors are
    printed as one line: the next input still runs)."""
    input = planned.input
    try:
        if planned.error is not None:
            raise planned.error
        with one_line_errors(input):
            status, report, code = _run(mode, planned, palette_file, client)
    except click.UsageError:
        raise
    except click.ClickException as e:
        error_line(e.format_message())
        if mode.as_json:
            _print(
                mode,
                json.dumps(
                    {"status": "failed", "reason": e.format_message(), **dict.fromkeys(JSON_KEYS), "input": str(input)}
                ),
            )
        return EXIT_FAILED
    if mode.as_json:
        _print(mode, json.dumps({"status": status, "reason": _reason(report, status), **report.to_dict()}), always=True)
    else:
        _print(mode, report.to_text())
    return code


def _print(mode, text, *, always=False):
    err = mode.report_to_stderr
    if always:
        click.echo(text, err=err)
    else:
        say(text, err=err)


def _reason(report, status):
    if status == "not met":  # why, rather than what was done about it
        return next(note for note in report.notes if note.startswith("target not met"))
    return None if status == "done" else report.notes[-1]


def _run(mode, planned, palette_file, client=None):
    """(status, report, exit code) of one input; raises the library's errors."""
    s = mode.settings
    input, output, animation = planned.input, planned.output, planned.animation
    if planned.tiled:
        if output == STDIO:
            raise OutputError("an image larger than memory is written to a file (.tif or .zarr), not stdout", output)
        return compress_tiled(mode, input, output, client)
    data = None
    if input == STDIO:
        data = read_stdin(max_pixels=mode.max_pixels)
        if not mode.first_frame:
            animation = open_animation(data=data, max_pixels=mode.max_pixels)
    animated = _format(animation)
    smallest = mode.image_format == "smallest"
    if output != STDIO:  # the plan is checked; what exists now is checked again
        check_outputs(
            [(path, "the output") for path in planned.targets]
            + ([(mode.save_palette, "the --save-palette file")] if mode.save_palette else []),
            reads=[(input, "the input image"), (palette_file, "the palette file")],
            overwrite=mode.force,
        )
    image_format = mode.format_of(output, animated)
    if animation is not None and (smallest or image_format not in ANIMATED_FORMATS):
        raise OutputError(
            f"the input is an animation of {animation.n_frames} frames: write .gif, .png (APNG) or "
            ".webp, or quantise its first frame with --first-frame",
            output,
        )
    if image_format in PALETTE_FORMATS and s.n_colors > MAX_PALETTE and not smallest and mode.palette is None:
        raise click.BadParameter(
            f"{s.n_colors} is out of range 1..{MAX_PALETTE} for {image_format} output "
            "(palette images); write .webp for more colours",
            param_hint="'-k' / '--colors'",
        )
    if animation is not None:
        detail(f"{input}: {animation.size[0]}x{animation.size[1]} px, {animation.n_frames} frames")
        bar = FrameProgress(enabled=wanted(as_json=mode.as_json))
        try:
            result, missed = _quantized(
                mode,
                lambda **kw: quantize_animation(
                    animation,
                    frame_palettes=mode.frame_palettes,
                    weight=mode.frame_weight,
                    palette=mode.palette,
                    progress=bar,
                    **kw,
                ),
            )
        finally:
            bar.close()
        read_seconds = animation.seconds
    else:
        # A big image's reading, quantising and encoding are shown as steps (a quality
        # search shows its fits instead of the last two).
        steps = StepProgress(wanted(as_json=mode.as_json), ["read", "quantise", "encode"])
        try:
            if data is not None:
                loaded = load_image_bytes(data, max_pixels=mode.max_pixels, keep_icc=mode.keep_icc)
            else:
                loaded = load_image(input, max_pixels=mode.max_pixels, keep_icc=mode.keep_icc)
            steps(1, 3)
            if s.targeted:
                steps.close()
            detail(f"{input}: {loaded.pixels.shape[1]}x{loaded.pixels.shape[0]} px read in {loaded.seconds:.2f} s")
            result, missed = _quantized(mode, lambda **kw: _still(mode, loaded, **kw))
            steps(2, 3)
        except BaseException:
            steps.close()
            raise
        read_seconds = loaded.seconds
    if missed is not None and not mode.force_output:
        if animation is None:
            steps.close()
        report = replace(
            result.report, notes=[*result.report.notes, "nothing written (--force-output writes it anyway)"]
        )
        error_line(f"{input}: {missed}{_scale_hint(s)}; nothing written (--force-output writes it anyway)")
        return "not met", report, EXIT_NOT_MET
    detail(f"{input}: {result.report.colors_used} colours in {result.report.seconds - read_seconds:.2f} s")
    try:
        encoded = encode(result, image_format, smallest=smallest and animation is None, name=output)
    finally:
        if animation is None:
            steps(3, 3)  # and closed: what is left (writing) is quick
            steps.close()
    report = encoded.report
    if smallest and output != STDIO:
        output = output.with_suffix(FORMAT_EXTENSIONS[encoded.image_format.lower()])
        report.output = str(output)
    if mode.skip_if_larger and (why := not_smaller(report)) is not None:
        report.notes.append(why)
        report.output = report.output_bytes = None
        return "skipped", report, EXIT_SKIPPED
    _write(mode, output, encoded.data, result, input)
    detail(f"{input}: wrote {output} ({len(encoded.data):,} B)")
    if missed is not None:
        error_line(f"{input}: {missed}{_scale_hint(s)}")
        return "not met", report, EXIT_NOT_MET
    return "done", report, 0


def _still(mode, loaded, settings):
    if mode.palette is not None:
        return apply_palette(
            loaded,
            mode.palette,
            colorspace=settings.colorspace,
            dither=settings.dither,
            dither_strength=settings.dither_strength,
            ssim=settings.ssim,
        )
    if not settings.targeted:
        return quantize_image(loaded, settings=settings)
    bar = FitProgress(enabled=wanted(as_json=mode.as_json))
    try:  # a quality target: several fits, the bar shows them after the first second
        return quantize_image(loaded, settings=settings, progress=bar)
    finally:
        bar.close()


def _quantized(mode, quantize):
    """The result of ``quantize(settings=...)`` and, when the target is missed, why
    (None when it is met, or when the K-colour result lies within --quality MIN-MAX)."""
    s = mode.settings
    try:
        return quantize(settings=s), None
    except TargetNotMetError as e:
        if (
            mode.quality_min is not None
            and e.reached["psnr"] >= mode.quality_min
            and (s.max_delta_e is None or e.reached["delta_e"] <= s.max_delta_e)
        ):
            e.result.report.notes.append(
                f"accepted: PSNR {e.reached['psnr']:.2f} dB is within --quality {mode.quality_min:g}-{s.quality:g}"
            )
            return e.result, None
        return e.result, e


def _scale_hint(settings):
    if settings.quality is not None and _PNGQUANT_SCALE_HINT < settings.quality < LOSSLESS_PSNR:
        return (
            "; --quality is PSNR in dB: 30 to 45 dB is the usual range (50 dB looks lossless); "
            "--quality pngquant:Q reads pngquant's 0-100 scale"
        )
    return ""


def _write(mode, output, data, result, input):
    """The output file (atomically) or stdout, then the palette file: both or neither."""
    if output == STDIO:
        stream = click.get_binary_stream("stdout")
        stream.write(data)
        stream.flush()
    save_image_and_palette(
        None if output == STDIO else output,
        data,
        palette_path=mode.save_palette,
        palette=None if mode.save_palette is None else result.palette[:, :3],
        overwrite=mode.force,
        protect=None if input == STDIO else input,
    )
