"""Choosing k: the classic curves over a range of k and the recommendation a person can
act on (the fewest colours whose mean CIEDE2000 is under a just-noticeable difference,
else the knee of that curve), with the elbow and the best silhouette as information.

Every k is fitted exactly as :func:`quantize.quantize_image` fits it, on the image's
one colour histogram and its levels, from one pass of Wu's nested boxes (see
:mod:`quantize.quantization.search`): the row for k is the result of asking for k colours.  The
metrics are those of the pixels: inertia, PSNR, mean CIEDE2000 and Davies–Bouldin
exactly from the histogram, the silhouette on one weighted sample of pixels shared by
every k.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._parallel import blas_on_one_thread
from .._validation import RandomState, check_float, check_int, fresh_stream, resolve_seed, settings_for_call
from ..color.spaces import DEFAULT_SPACE
from ..errors import InvalidParameterError
from ..image import ImageLike, as_loaded
from ..metrics.clustering import SilhouetteSample, davies_bouldin_score
from .colors import image_colors, visible_colors
from .exact import color_delta_e, color_psnr, squared_error
from .palette import palette_for
from .search import DEFAULT_EFFORT
from .settings import JND_DELTA_E, MAX_PALETTE, QuantizeSettings

#: Columns of the table, in order.
COLUMNS = ("k", "inertia", "psnr", "delta_e", "silhouette", "davies_bouldin")


def knee(x, y, *, reference=None):
    """The knee of a decreasing, convex curve by Kneedle (Satopää et al. 2011).

    Both axes are scaled to [0, 1]; the knee is the point farthest above the line from
    the first point to the last once the curve is flipped to rise, i.e. the largest
    (1 - y_scaled) - x_scaled.  That difference is 0 at the first point, so the first
    point can only be the knee of a curve that starts there; give the point before it
    as ``reference`` (the curve at k_min - 1) so that a drop into the first point
    counts, and a two-region image's curve has its knee at k = 2.

    Parameters
    ----------
    x : (n,) increasing array;  y : (n,) array
    reference : (x, y) pair, optional
        A point before the first, taking part in the scaling and never returned.

    Returns
    -------
    The x of the knee (the first x when the curve is flat or too short to bend).
    """
    given = np.asarray(x)
    if not len(given):
        return None
    x, y = given.astype(np.float64), np.asarray(y, dtype=np.float64)
    if reference is not None:
        x, y = np.append(reference[0], x), np.append(reference[1], y)
    if len(x) < 3 or np.ptp(y) == 0:
        return given[0].item()
    x_scaled = (x - x[0]) / (x[-1] - x[0])
    y_scaled = (y - y.min()) / np.ptp(y)
    score = (1 - y_scaled) - x_scaled
    if reference is not None:
        score = score[1:]
    return given[int(np.argmax(score))].item()


@dataclass
class KSuggestion:
    """The curves of :func:`suggest_k`, its recommendation and the classic answers.

    Attributes
    ----------
    table : dict of str to (m,) ndarray
        One array per column of :data:`COLUMNS` (one entry per k tried).
    recommended : int
        ``under_delta_e`` when a k of the range gets there, else ``delta_e_knee``.
    under_delta_e : int or None
        The fewest colours whose mean CIEDE2000 is at most ``max_delta_e``; None when
        no k of the range gets there.
    delta_e_knee : int
        k at the knee of the mean CIEDE2000 curve (:func:`knee`): past it, each colour
        more buys less.
    max_delta_e : float
    elbow : int
        k at the knee of the log-inertia curve (:func:`knee`).
    best_silhouette : int
        k with the highest silhouette: how far apart the clusters are, not how well the
        palette renders the image; on colour data it is usually highest at the
        smallest k (2).
    input : str or None
    seed : int or None
    sample_size : int
        Pixels drawn (by weight) for each silhouette.
    seconds : float
    colorspace : str
        The space the colours were clustered in.
    """

    table: dict
    recommended: int
    under_delta_e: int | None
    delta_e_knee: int
    max_delta_e: float
    elbow: int
    best_silhouette: int
    input: str | None
    seed: int | None
    sample_size: int
    seconds: float
    colorspace: str = DEFAULT_SPACE

    def to_dict(self) -> dict[str, Any]:
        rows = [
            {
                column: (None if np.isinf(v) else float(v)) if column != "k" else int(v)
                for column, v in zip(COLUMNS, values)
            }
            for values in zip(*(self.table[c] for c in COLUMNS))
        ]
        return {
            "input": self.input,
            "recommended": self.recommended,
            "under_delta_e": self.under_delta_e,
            "delta_e_knee": self.delta_e_knee,
            "max_delta_e": self.max_delta_e,
            "elbow": self.elbow,
            "best_silhouette": self.best_silhouette,
            "seed": self.seed,
            "colorspace": self.colorspace,
            "silhouette_sample": self.sample_size,
            "seconds": round(self.seconds, 3),
            "table": rows,
        }

    def to_text(self) -> str:
        lines = ["    k       inertia   PSNR dB  mean ΔE00  silhouette  Davies-Bouldin"]
        for values in zip(*(self.table[c] for c in COLUMNS)):
            k, inertia, psnr, delta_e, silhouette, davies_bouldin = values
            marks = (
                ("  <- recommended" if k == self.recommended else "")
                + ("  <- elbow" if k == self.elbow else "")
                + ("  <- best silhouette" if k == self.best_silhouette else "")
            )
            lines.append(
                f"  {int(k):3d}  {inertia:12.4g}  {psnr:8.2f}  {delta_e:9.2f}  {silhouette:10.3f}"
                f"  {davies_bouldin:14.3f}{marks}"
            )
        if self.under_delta_e is not None:
            lines.append(
                f"recommended: k = {self.recommended}, the fewest colours with mean ΔE00 <= {self.max_delta_e:g}"
            )
        else:
            lines.append(
                f"recommended: k = {self.recommended}, the knee of the ΔE00 curve (no k up to "
                f"{int(self.table['k'][-1])} has mean ΔE00 <= {self.max_delta_e:g}: try a larger --k-max, "
                f"or compress --max-delta-e {self.max_delta_e:g})"
            )
        lines.append(f"elbow of the inertia curve (Kneedle on log inertia): k = {self.elbow}")
        lines.append(
            f"best silhouette ({self.sample_size} sampled pixels; it measures how separate the "
            f"clusters are, not the image's quality): k = {self.best_silhouette}"
        )
        lines.append(f"{self.seconds:.2f} s, seed {self.seed}, clustered in {self.colorspace}")
        return "\n".join(lines)


@blas_on_one_thread()
def suggest_k(
    image: ImageLike,
    *,
    k_min: int = 2,
    k_max: int = 32,
    max_delta_e: float = JND_DELTA_E,
    sample_size: int = 2000,
    settings: QuantizeSettings | None = None,
    algorithm: str = "lloyd",
    init: str = "wu",
    effort: str = DEFAULT_EFFORT,
    colorspace: str = DEFAULT_SPACE,
    random_state: RandomState = None,
    progress: Callable[[int, int], None] | None = None,
) -> KSuggestion:
    """Fit every k in [k_min, k_max] and tabulate inertia, PSNR, mean CIEDE2000,
    silhouette and Davies–Bouldin; recommend the fewest colours whose mean CIEDE2000
    is at most ``max_delta_e``, else the knee of the CIEDE2000 curve.

    Parameters
    ----------
    image : LoadedImage, PIL.Image.Image or ndarray
        As in :func:`quantize.quantize_image`.
    k_min, k_max : int, keyword-only
        2 <= k_min <= k_max <= 256 (the silhouette needs two clusters).
    max_delta_e : float, keyword-only
        The mean CIEDE2000 the recommended k stays under (>= 0); by default 1, the
        formula's just-noticeable difference.
    sample_size : int, keyword-only
        Pixels drawn by weight for the silhouette (one sample for every k).
    settings : QuantizeSettings, optional, keyword-only
        The search's settings (only algorithm, init, effort, colorspace and
        random_state count); the keywords below beside it replace its fields, as in
        :func:`quantize.quantize_image`.
    algorithm, init, effort, colorspace, random_state : keyword-only
        As in :func:`quantize.quantize_image`: the row for k is the result
        ``quantize_image(image, k, ...)`` gives with the same settings.  Inertia and
        PSNR are measured in sRGB, silhouette and Davies–Bouldin in ``colorspace``,
        where the clusters are.
    progress : callable, optional
        Called as ``progress(done, total)`` before the first k and after each k.

    Returns
    -------
    KSuggestion

    Guarantees
    ----------
    The same input, parameters and integer ``random_state`` give the same table; a
    row does not depend on the range it was computed in.  Values of k above the
    number of distinct colours are left out.
    """
    k_min = check_int(k_min, "k_min", low=2, high=MAX_PALETTE)
    k_max = check_int(k_max, "k_max", low=k_min, high=MAX_PALETTE)
    max_delta_e = check_float(max_delta_e, "max_delta_e", low=0.0)
    sample_size = check_int(sample_size, "sample_size", low=10)
    s = settings_for_call(
        QuantizeSettings,
        settings,
        dict(algorithm=algorithm, init=init, effort=effort, colorspace=colorspace, random_state=random_state),
    )
    seed, rng = resolve_seed(s.random_state)
    loaded = as_loaded(image)
    start = time.perf_counter()
    colors = image_colors(loaded.pixels, s.colorspace)
    counts = colors.histogram.counts
    ks = [k for k in range(k_min, k_max + 1) if k <= len(colors.histogram)]
    if not ks:
        raise InvalidParameterError(
            f"the image has {len(colors.histogram)} distinct colours: no k in {k_min}..{k_max} to compare"
        )
    splits = None
    if s.init == "wu":  # one pass of nested boxes for every k (and the elbow's reference)
        splits = colors.levels.splits(visible_colors(colors, ks[-1]))
    silhouette = SilhouetteSample(
        colors.features, sample_weight=counts, sample_size=sample_size, random_state=seed if seed is not None else 0
    )

    def fit(k):
        # A fresh stream from the seed for every k, as quantize_image(image, k) draws.
        return palette_for(colors, k, s.search, rng=fresh_stream(seed, rng), notes=[], splits=splits)

    rows = []
    if progress is not None:
        progress(0, len(ks))
    for done, k in enumerate(ks, 1):
        palette, labels = fit(k)
        sse = squared_error(colors, palette, labels)
        rows.append(
            (
                k,
                sse,
                color_psnr(colors, palette, labels, sse),
                color_delta_e(colors, palette, labels, p95=False)[0],
                silhouette.score(labels),
                davies_bouldin_score(colors.features, labels, sample_weight=counts),
            )
        )
        if progress is not None:
            progress(done, len(ks))
    table = {column: np.array(values) for column, values in zip(COLUMNS, zip(*rows))}
    # The curve at k_min - 1, so that the elbow can fall on k_min itself.
    reference = (ks[0] - 1, squared_error(colors, *fit(ks[0] - 1)))
    log_inertia = np.log(np.maximum(table["inertia"], 1e-12))
    under = np.flatnonzero(table["delta_e"] <= max_delta_e)
    under_delta_e = int(table["k"][under[0]]) if len(under) else None
    delta_e_knee = int(knee(table["k"], table["delta_e"]))
    return KSuggestion(
        table=table,
        recommended=under_delta_e if under_delta_e is not None else delta_e_knee,
        under_delta_e=under_delta_e,
        delta_e_knee=delta_e_knee,
        max_delta_e=max_delta_e,
        # Inertia falls by factors, so the knee is sought on its logarithm: a small
        # region's cluster then counts by its relative drop, not its absolute one,
        # and the elbow does not stop at the largest regions.
        elbow=int(knee(table["k"], log_inertia, reference=(reference[0], np.log(max(reference[1], 1e-12))))),
        best_silhouette=int(table["k"][int(np.argmax(table["silhouette"]))]),
        input=str(loaded.path) if loaded.path is not None else None,
        seed=seed,
        sample_size=sample_size,
        seconds=loaded.seconds + time.perf_counter() - start,
        colorspace=colors.space,
    )
