"""``quantize suggest-k``: the curves over a range of k, the recommended k, the elbow and
the silhouette."""

import json

import click

from ..files.read import check_input_file, load_image
from ..files.write import check_outputs
from ..quantization.settings import JND_DELTA_E
from .app import detail, one_line_errors, say
from .options import (
    FiniteFloatRange,
    algorithm_opt,
    colorspace_opt,
    effort_opt,
    force_opt,
    init_opt,
    input_arg,
    json_opt,
    max_pixels_opt,
    output_path,
    quantize_settings,
    seed_opt,
    verbosity_opts,
)
from .progress import KProgress, wanted


@click.command("suggest-k")
@input_arg
@click.option("--k-min", type=click.IntRange(2, 256), default=2, show_default=True, help="Smallest k tried.")
@click.option("--k-max", type=click.IntRange(2, 256), default=32, show_default=True, help="Largest k tried.")
@click.option(
    "--max-delta-e",
    type=FiniteFloatRange(min=0),
    default=JND_DELTA_E,
    show_default=True,
    metavar="X",
    help="Recommend the fewest colours whose mean CIEDE2000 is at most X (1: just noticeable).",
)
@click.option(
    "--plot",
    "plot_path",
    type=output_path,
    help="Write the curves, with the recommended k marked, to this PNG (needs matplotlib).",
)
@effort_opt
@algorithm_opt
@init_opt
@colorspace_opt()
@seed_opt
@max_pixels_opt
@json_opt
@verbosity_opts
@force_opt
@click.pass_context
def suggest_k(
    ctx,
    input,
    k_min,
    k_max,
    max_delta_e,
    plot_path,
    effort,
    algorithm,
    init,
    colorspace,
    seed,
    max_pixels,
    as_json,
    force,
):
    """Tabulate inertia, PSNR, mean ΔE2000, silhouette and Davies–Bouldin for every k
    in a range, and recommend the fewest colours whose mean ΔE2000 is at most
    --max-delta-e (else the knee of the ΔE2000 curve).  The elbow and the best
    silhouette are shown too; the silhouette measures how separate the clusters
    are, and on photos it is usually highest at k = 2.

    \b
    Example:
        quantize suggest-k photo.jpg --k-max 24 --plot curves.png
    """
    from ..quantization.choose_k import suggest_k as suggest

    if k_min > k_max:
        raise click.BadParameter(f"--k-min {k_min} is above --k-max {k_max}", param_hint="'--k-min'")
    with one_line_errors(input):
        s = quantize_settings(
            ctx, dict(effort=effort, algorithm=algorithm, init=init, colorspace=colorspace, seed=seed)
        )
        check_input_file(input)
        if plot_path is not None:
            check_outputs([(plot_path, "the --plot file")], reads=[(input, "the input image")], overwrite=force)
        progress = KProgress(wanted(as_json=as_json))
        try:
            loaded = load_image(input, max_pixels=max_pixels)
            detail(f"{input}: read in {loaded.seconds:.2f} s")
            suggestion = suggest(
                loaded, k_min=k_min, k_max=k_max, max_delta_e=max_delta_e, settings=s, progress=progress
            )
        finally:
            progress.close()
        detail(f"{input}: k = {k_min}..{k_max} fitted in {suggestion.seconds:.2f} s")
        if plot_path is not None:
            from ..files.plot import plot_suggestion

            plot_suggestion(suggestion, plot_path, overwrite=force)
    if as_json:
        click.echo(json.dumps(suggestion.to_dict()))
    else:
        say(suggestion.to_text())
        if plot_path is not None:
            say(f"plot: {plot_path}")
