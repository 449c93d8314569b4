"""The ``quantize`` command line: parses arguments, calls the library, prints."""

import contextlib
import json
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

import click
import numpy as np

from . import __version__
from .errors import Interrupted, OutputError, QuantizeError, TargetNotMetError
from .io import (
    PALETTE_FORMATS, check_input_file, check_outputs, load_image, load_palette, output_format,
)
from .io import save_palette as save_palette_file
from .options import (
    FiniteFloatRange, output_path, algorithm_opt, colorspace_opt, colors_opt, dither_opt, dither_strength_opt, effort_opt, force_opt, init_opt,
    input_arg, json_opt, lock_opt, palette_file_opt,
    max_delta_e_opt, max_pixels_opt, png_colors_opt, quality_opt, seed_opt, ssim_opt,
)
from .palettes import FORMATS as PALETTE_FILE_FORMATS
from .pipeline import MAX_PALETTE, apply_palette, quantize_image
from .segment import MAX_SEGMENTS, MAX_SIGMA, output_names, segment_image


class _StopSignals:
    """SIGINT and SIGTERM both raise :class:`Interrupted` (a KeyboardInterrupt), once:
    the work in hand then cleans up (temporary files removed, a batch's manifest
    written) and a second signal does not cut that short."""

    def __init__(self):
        self.signum = None

    def __call__(self, signum, frame):
        if self.signum is None:
            self.signum = signum
            raise Interrupted(signum)

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be set from the main thread
            return
        saved = {s: signal.signal(s, self) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for number, handler in saved.items():
                signal.signal(number, handler)


class _Group(click.Group):
    """A click group whose errors are one line on stderr: ``quantize: error: ...``;
    SIGTERM is handled as Ctrl-C is, with exit code 143 instead of 130."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        stop = _StopSignals()
        try:
            with stop.installed():
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            click.echo(f"quantize: error: {e.format_message()}{hint}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(f"quantize: error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except (click.Abort, KeyboardInterrupt):
            terminated = stop.signum == signal.SIGTERM
            click.echo(f"quantize: {'terminated' if terminated else 'interrupted'}", err=True)
            sys.exit(143 if terminated else 130)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quantize")
def main():
    """Colour quantisation and segmentation with k-means: Wu's start, Lloyd refinement.

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
def compress(
    ctx, input, n_colors, output, effort, algorithm, init, seed, max_pixels, palette_file, save_palette, quality,
    max_delta_e, colorspace, dither, dither_strength, lock, keep_icc, output_choice, force_output, ssim, as_json,
    force,
):
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
    targeted = quality is not None or max_delta_e is not None
    if targeted and ctx.get_parameter_source("n_colors") is click.core.ParameterSource.DEFAULT:
        n_colors = MAX_PALETTE
    with _one_line_errors(input):
        check_input_file(input)  # first: the default output is named after it
        output = output or (input.with_name(f"{input.stem}-q.png") if targeted else default_output(input, n_colors))
        if save_palette is not None and save_palette.suffix.lower() not in PALETTE_FILE_FORMATS:
            raise click.BadParameter(
                f"palette files are {', '.join(sorted(PALETTE_FILE_FORMATS))}, not {save_palette.suffix or '(none)'!r}",
                param_hint="'--save-palette'",
            )
        if palette_file is not None and (targeted or lock):
            raise click.UsageError("--palette fixes the colours: it cannot be combined with a quality target or --lock")
        images = ([output.with_suffix(".png"), output.with_suffix(".webp")] if output_choice == "smallest"
                  else [output])
        check_outputs([(path, "the output") for path in images]
                      + ([(save_palette, "the --save-palette file")] if save_palette is not None else []),
                      reads=[(input, "the input image"), (palette_file, "the palette file")], overwrite=force)
        image_format = output_format(output)
        if image_format in PALETTE_FORMATS and n_colors > MAX_PALETTE and output_choice == "auto":
            raise click.BadParameter(
                f"{n_colors} is out of range 1..{MAX_PALETTE} for {image_format} output "
                "(palette images); write .webp for more colours",
                param_hint="'-k' / '--colors'",
            )
        palette = load_palette(palette_file) if palette_file is not None else None
        loaded = load_image(input, max_pixels=max_pixels, keep_icc=keep_icc)
        missed = None
        if palette is not None:
            result = apply_palette(loaded, palette, colorspace=colorspace, dither=dither,
                                   dither_strength=dither_strength, ssim=ssim)
        else:
            options = dict(algorithm=algorithm, init=init, effort=effort, random_state=seed, colorspace=colorspace,
                           dither=dither, dither_strength=dither_strength, lock=lock or None, ssim=ssim)
            try:
                result = quantize_image(loaded, n_colors, quality=quality, max_delta_e=max_delta_e, **options)
            except TargetNotMetError as e:
                if not force_output:
                    click.echo(f"quantize: error: {input}: {e} (nothing written; --force-output writes it anyway)",
                               err=True)
                    sys.exit(3)
                missed = e
                result = quantize_image(loaded, n_colors, **options)
                result.report.notes.append(f"target not met: {e}")
        report = result.save(output, overwrite=force, smallest=output_choice == "smallest")
        if save_palette is not None:
            try:
                save_palette_file(save_palette, result.palette[:, :3], overwrite=force)
            except BaseException:  # the two outputs appear together or not at all
                Path(report.output).unlink(missing_ok=True)
                raise
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        click.echo(report.to_text())
    if missed is not None:
        click.echo(f"quantize: error: {input}: {missed}", err=True)
        sys.exit(3)


@contextlib.contextmanager
def _one_line_errors(input):
    """The library's errors as click's one-line errors.  Warnings are silenced: the
    reports carry the library's as notes, and the decoders' become the input's notes;
    stderr carries only our own lines."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except QuantizeError as e:
        message = str(e)
        if getattr(e, "path", None) is None:  # a problem of this input: name it
            message = f"{input}: {message}"
        raise click.ClickException(message) from e
    except MemoryError:
        raise click.ClickException(f"{input}: not enough memory to process this image") from None


@main.command()
@input_arg
@click.option(
    "-k", "--segments", "n_segments", type=click.IntRange(1, MAX_SEGMENTS), default=4, show_default=True,
    help="Number of colour clusters (each gets a mask file).",
)
@click.option(
    "-o", "--output-dir", type=click.Path(path_type=Path),
    help="Folder for the outputs, created if needed.  [default: <stem>-segments/]",
)
@click.option(
    "--spatial", type=FiniteFloatRange(min=0), default=0.0, show_default=True,
    help="Weight of pixel position against colour, as SLIC's compactness: larger values "
    "give more compact regions; 0 clusters by colour alone.",
)
@click.option(
    "--min-region", type=click.IntRange(min=0), default=0, show_default=True,
    help="Merge connected regions smaller than this many pixels into a neighbour.",
)
@click.option(
    "--sigma", type=FiniteFloatRange(0, MAX_SIGMA), default=0.0, show_default=True,
    help="Gaussian smoothing (pixels) of the colours before clustering; 1-2 for noisy images.",
)
@colorspace_opt()
@effort_opt
@seed_opt
@max_pixels_opt
@json_opt
@force_opt
def segment(
    input, n_segments, output_dir, spatial, min_region, sigma, colorspace, effort, seed, max_pixels, as_json, force
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
    with _one_line_errors(input):
        check_input_file(input)
        output_dir = output_dir or input.with_name(f"{input.stem}-segments")
        if output_dir.exists() and not output_dir.is_dir():
            raise OutputError("exists and is not a folder", output_dir)
        check_outputs([(output_dir / name, "an output") for name in output_names(n_segments)],
                      reads=[(input, "the input image")], overwrite=force)
        loaded = load_image(input, max_pixels=max_pixels)
        result = segment_image(
            loaded, n_segments, spatial=spatial, min_region=min_region, sigma=sigma,
            colorspace=colorspace, effort=effort, random_state=seed,
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


@main.command()
@input_arg
@palette_file_opt(required=True, help="The palette to map to.")
@click.option(
    "-o", "--output", type=output_path,
    help="Output file; the format follows the extension.  [default: <stem>-palette.png]",
)
@colorspace_opt(help="Space in which the nearest palette colour is sought (the one the palette was fitted in "
                     "gives back its pixels).")
@dither_opt
@dither_strength_opt
@max_pixels_opt
@ssim_opt
@json_opt
@force_opt
def apply(input, palette_file, output, colorspace, dither, dither_strength, max_pixels, ssim, as_json, force):
    """Map INPUT to the colours of a given palette (each pixel to the nearest).

    \b
    Example:
        quantize apply photo.jpg --palette brand.json -o photo-brand.png
    """
    with _one_line_errors(input):
        check_input_file(input)
        output = output or input.with_name(f"{input.stem}-palette.png")
        check_outputs([(output, "the output")], reads=[(input, "the input image"), (palette_file, "the palette file")],
                      overwrite=force)
        output_format(output)
        palette = load_palette(palette_file)
        loaded = load_image(input, max_pixels=max_pixels)
        result = apply_palette(loaded, palette, colorspace=colorspace, dither=dither, dither_strength=dither_strength,
                               ssim=ssim)
        report = result.save(output, overwrite=force)
    click.echo(json.dumps(report.to_dict()) if as_json else report.to_text())


class _ProgressBar:
    """files done / total, failures, rate and time left on one stderr line."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.start = time.perf_counter()
        self.failed = 0

    def __call__(self, outcome, finished, total):
        self.failed += outcome.status == "failed"
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        rate = finished / elapsed if elapsed > 0 else 0.0
        left = (total - finished) / rate if rate > 0 else 0.0
        filled = int(30 * finished / max(total, 1))
        click.echo(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {finished}/{total} files, {self.failed} failed, "
            f"{rate:.1f} files/s, {int(left) // 60}:{int(left) % 60:02d} left ",
            nl=finished == total, err=True,
        )


@main.command()
@click.argument("input_dir", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output-dir", type=click.Path(path_type=Path),
    help="Output folder.  [default: <INPUT_DIR>-quantized beside the input]",
)
@png_colors_opt
@click.option("--recursive", is_flag=True, help="Also process subfolders; the tree is mirrored.")
@click.option("--include", multiple=True, metavar="GLOB", help="Only files matching (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave out files matching (repeatable).")
@click.option(
    "--jobs", type=click.IntRange(min=1), default=None,
    help="Worker processes.  [default: the number of cores]",
)
@click.option("--skip-existing", is_flag=True, help="Leave inputs whose output exists (resume a batch).")
@click.option("--suffix", default="", help="Appended to each output's name (needed to write into INPUT_DIR).")
@click.option("--shared-palette", is_flag=True, help="Fit one palette on all images and use it for every one.")
@palette_file_opt(help="Map every image to this palette instead of fitting one.")
@click.option("--segment", is_flag=True, help="Also write each image's segmentation (as `quantize segment`).")
@click.option(
    "--segments", "n_segments", type=click.IntRange(1, MAX_SEGMENTS), default=4, show_default=True,
    help="Clusters of --segment.",
)
@click.option(
    "--report", "report_path", type=output_path,
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
@click.option("--quiet", is_flag=True, help="No progress bar.")
@force_opt
@click.pass_context
def batch(
    ctx, input_dir, output_dir, n_colors, recursive, include, exclude, jobs, skip_existing, suffix,
    shared_palette, palette_file, segment, n_segments, report_path, effort, algorithm, init, seed, max_pixels,
    quality, max_delta_e, colorspace, dither, dither_strength, ssim, as_json, quiet, force,
):
    """Quantise every image in INPUT_DIR, in parallel, recording each outcome.

    Inputs are never modified.  Writes manifest.json and manifest.csv into the output
    folder.  Exit code 0 when every file succeeded, 1 when any failed, 130 when
    interrupted (re-run with --skip-existing to resume).

    \b
    Examples:
        quantize batch photos/ -k 32 --recursive --report report.html
        quantize batch photos/ --shared-palette --include '*.jpg' --jobs 2
    """
    from .batch import quantize_folder

    if (quality is not None or max_delta_e is not None) and (
            ctx.get_parameter_source("n_colors") is click.core.ParameterSource.DEFAULT):
        n_colors = MAX_PALETTE  # a target chooses k, up to 256 unless -k says otherwise

    with _one_line_errors(input_dir):
        if shared_palette and palette_file is not None:
            raise click.UsageError("--shared-palette and --palette exclude each other")
        palette = load_palette(palette_file) if palette_file is not None else None
        progress = _ProgressBar(not quiet and not as_json and sys.stderr.isatty())
        report = quantize_folder(
            input_dir, output_dir, n_colors=n_colors, recursive=recursive, include=include,
            exclude=exclude, jobs=jobs, skip_existing=skip_existing, overwrite=force, suffix=suffix,
            shared_palette=shared_palette, palette=palette, segment=segment, n_segments=n_segments,
            algorithm=algorithm, init=init, effort=effort, random_state=seed, max_pixels=max_pixels,
            quality=quality, max_delta_e=max_delta_e, colorspace=colorspace, dither=dither,
            dither_strength=dither_strength, ssim=ssim, html_report=report_path, progress=progress,
        )
    if as_json:
        click.echo(json.dumps(report.to_manifest()))
    else:
        click.echo(report.summary())
    if report.interrupted:
        what = "terminated" if report.terminated else "interrupted"
        click.echo(f"quantize: {what}: finished files are kept; re-run with --skip-existing to resume", err=True)
    for error in report.write_errors:
        click.echo(f"quantize: error: {error}", err=True)
    return report.exit_code


class _KProgress:
    """"k 12/31" on one stderr line while suggest-k runs, when stderr is a terminal
    and the run lasts more than a second."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.start = time.perf_counter()
        self.shown = False

    def __call__(self, done, total):
        if self.enabled and time.perf_counter() - self.start > 1.0:
            click.echo(f"\rfitting k: {done}/{total} ", nl=False, err=True)
            self.shown = True

    def close(self):
        if self.shown:
            click.echo("\r" + " " * 24 + "\r", nl=False, err=True)


@main.command("suggest-k")
@input_arg
@click.option("--k-min", type=click.IntRange(2, 256), default=2, show_default=True, help="Smallest k tried.")
@click.option("--k-max", type=click.IntRange(2, 256), default=32, show_default=True, help="Largest k tried.")
@click.option(
    "--plot", "plot_path", type=output_path,
    help="Write the curves, with the recommended k marked, to this PNG (needs matplotlib).",
)
@effort_opt
@algorithm_opt
@init_opt
@colorspace_opt()
@seed_opt
@max_pixels_opt
@json_opt
@force_opt
def suggest_k(input, k_min, k_max, plot_path, effort, algorithm, init, colorspace, seed, max_pixels, as_json,
              force):
    """Tabulate inertia, PSNR, mean ΔE2000, silhouette and Davies–Bouldin for every k
    in a range, and recommend k by the elbow and by the best silhouette.

    \b
    Example:
        quantize suggest-k photo.jpg --k-max 24 --plot curves.png
    """
    from .choose_k import suggest_k as suggest

    if k_min > k_max:
        raise click.BadParameter(f"--k-min {k_min} is above --k-max {k_max}", param_hint="'--k-min'")
    with _one_line_errors(input):
        check_input_file(input)
        if plot_path is not None:
            check_outputs([(plot_path, "the --plot file")], reads=[(input, "the input image")], overwrite=force)
        loaded = load_image(input, max_pixels=max_pixels)
        progress = _KProgress(enabled=not as_json and sys.stderr.isatty())
        suggestion = suggest(loaded, k_min=k_min, k_max=k_max, algorithm=algorithm, init=init, effort=effort,
                             colorspace=colorspace, random_state=seed, progress=progress)
        progress.close()
        if plot_path is not None:
            from .plot import plot_suggestion

            plot_suggestion(suggestion, plot_path, overwrite=force)
    if as_json:
        click.echo(json.dumps(suggestion.to_dict()))
    else:
        click.echo(suggestion.to_text())
        if plot_path is not None:
            click.echo(f"plot: {plot_path}")


@main.command()
@input_arg
@click.option("-k", "--colors", "n_colors", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Number of colours.")
@click.option("--format", "kind", type=click.Choice(["json", "gpl", "css", "hex", "png"]), default=None,
              help="File format.  [default: from the extension of -o, else json on stdout]")
@click.option("-o", "--output", type=output_path,
              help="Palette file to write.  [default: print to stdout (png needs -o)]")
@colorspace_opt()
@effort_opt
@seed_opt
@max_pixels_opt
@force_opt
def palette(input, n_colors, kind, output, colorspace, effort, seed, max_pixels, force):
    """The K-colour palette of INPUT, sorted by share: hex, RGB, CIELAB, share of
    pixels and the nearest CSS colour name of each.

    \b
    Examples:
        quantize palette photo.jpg -k 6               # JSON on stdout
        quantize palette photo.jpg --format css
        quantize palette photo.jpg -o swatch.png      # loads back in apply and batch
    """
    from . import palettes

    if kind is None:
        kind = palettes.FORMATS.get(output.suffix.lower(), "json") if output is not None else "json"
    if output is None and kind == "png":
        raise click.UsageError("--format png needs -o FILE")
    with _one_line_errors(input):
        check_input_file(input)
        if output is not None:
            check_outputs([(output, "the output")], reads=[(input, "the input image")], overwrite=force)
            if palettes.FORMATS.get(output.suffix.lower()) != kind:
                raise click.BadParameter(
                    f"the extension {output.suffix or '(none)'!r} does not match --format {kind}",
                    param_hint="'-o' / '--output'",
                )
        result = quantize_image(load_image(input, max_pixels=max_pixels), n_colors, random_state=seed,
                                colorspace=colorspace, effort=effort)
        visible = result.labels[result.labels >= 0]
        shares = np.bincount(visible, minlength=len(result.palette)) / max(visible.size, 1)
        if output is not None:
            save_palette_file(output, result.palette[:, :3], shares=shares, title=input.stem, overwrite=force)
    if output is None:
        entries = palettes.describe(result.palette[:, :3], shares)
        click.echo(palettes.render(entries, kind, title=input.stem).decode(), nl=False)
    else:
        click.echo(f"{len(result.palette)} colours -> {output}")
