"""Choosing k: the classic curves over a range of k, the elbow and the best silhouette.

Every k is fitted on the one colour histogram of the image (distinct colours weighted
by their pixel counts), so the metrics are those of the pixels: inertia, PSNR and mean
CIEDE2000 exactly, silhouette on a weighted sample, Davies–Bouldin exactly.
"""

import time
from dataclasses import dataclass

import numpy as np

from . import io
from ._validation import check_choice, check_int
from .colorspace import CLUSTER_SPACES, DEFAULT_SPACE
from .errors import InvalidParameterError
from .kmeans import ALGORITHMS, INITS
from .metrics import davies_bouldin_score, silhouette_score
from .pipeline import (
    _as_loaded, _color_delta_e, _color_psnr, _image_colors, _palette_for, _resolve_seed, _squared_error,
)

#: Columns of the table, in order.
COLUMNS = ("k", "inertia", "psnr", "delta_e", "silhouette", "davies_bouldin")


def knee(x, y):
    """The knee of a decreasing, convex curve by Kneedle (Satopää et al. 2011).

    Both axes are scaled to [0, 1]; the knee is the point farthest above the line from
    the first point to the last once the curve is flipped to rise, i.e. the largest
    (1 - y_scaled) - x_scaled.

    Parameters
    ----------
    x : (n,) increasing array;  y : (n,) array

    Returns
    -------
    The x of the knee (the first x when the curve is flat or has fewer than 3 points).
    """
    given = np.asarray(x)
    x, y = given.astype(np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 3 or np.ptp(y) == 0:
        return given[0].item() if len(x) else None
    x_scaled = (x - x[0]) / (x[-1] - x[0])
    y_scaled = (y - y.min()) / np.ptp(y)
    return given[int(np.argmax((1 - y_scaled) - x_scaled))].item()


@dataclass
class KSuggestion:
    """The curves of :func:`suggest_k` and the two recommendations.

    Attributes
    ----------
    table : dict of str to (m,) ndarray
        One array per column of :data:`COLUMNS` (one entry per k tried).
    elbow : int
        k at the knee of the log-inertia curve (:func:`knee`).
    best_silhouette : int
        k with the highest silhouette.
    input : str or None
    seed : int or None
    sample_size : int
        Pixels drawn (by weight) for each silhouette.
    seconds : float
    colorspace : str
        The space the colours were clustered in.
    """

    table: dict
    elbow: int
    best_silhouette: int
    input: str | None
    seed: int | None
    sample_size: int
    seconds: float
    colorspace: str = DEFAULT_SPACE

    def to_dict(self):
        rows = [
            {column: (None if np.isinf(v) else float(v)) if column != "k" else int(v)
             for column, v in zip(COLUMNS, values)}
            for values in zip(*(self.table[c] for c in COLUMNS))
        ]
        return {"input": self.input, "elbow": self.elbow, "best_silhouette": self.best_silhouette,
                "seed": self.seed, "colorspace": self.colorspace, "silhouette_sample": self.sample_size,
                "seconds": round(self.seconds, 3), "table": rows}

    def to_text(self):
        lines = ["    k       inertia   PSNR dB  mean ΔE00  silhouette  Davies-Bouldin"]
        for values in zip(*(self.table[c] for c in COLUMNS)):
            k, inertia, psnr, delta_e, silhouette, davies_bouldin = values
            marks = ("  <- elbow" if k == self.elbow else "") + ("  <- best silhouette" if k == self.best_silhouette else "")
            lines.append(f"  {int(k):3d}  {inertia:12.4g}  {psnr:8.2f}  {delta_e:9.2f}  {silhouette:10.3f}"
                         f"  {davies_bouldin:14.3f}{marks}")
        lines.append(f"elbow of the inertia curve (Kneedle on log inertia): k = {self.elbow}")
        lines.append(f"best silhouette ({self.sample_size} sampled pixels): k = {self.best_silhouette}")
        lines.append(f"{self.seconds:.2f} s, seed {self.seed}, clustered in {self.colorspace}")
        return "\n".join(lines)


def suggest_k(
    image, *, k_min=2, k_max=32, algorithm="minibatch", init="k-means++", colorspace=DEFAULT_SPACE,
    random_state=None, sample_size=2000, max_pixels=io.DEFAULT_MAX_PIXELS,
):
    """Fit every k in [k_min, k_max] and tabulate inertia, PSNR, mean CIEDE2000,
    silhouette and Davies–Bouldin; recommend k by the elbow and by the silhouette.

    Parameters
    ----------
    image : str, Path, LoadedImage, PIL.Image.Image or ndarray
        As in :func:`quantize.quantize_image`.
    k_min, k_max : int, keyword-only
        2 <= k_min <= k_max <= 256 (the silhouette needs two clusters).
    algorithm, init, colorspace, random_state, max_pixels
        As in :func:`quantize.quantize_image`: each k is fitted as ``quantize
        compress`` would fit it.  Inertia and PSNR are measured in sRGB, silhouette and
        Davies–Bouldin in ``colorspace``, where the clusters are.
    sample_size : int, keyword-only
        Pixels drawn by weight for each silhouette (cost sample_size² per k).

    Returns
    -------
    KSuggestion

    Guarantees
    ----------
    The same input, parameters and integer ``random_state`` give the same table.
    Values of k above the number of distinct colours are left out.
    """
    k_min = check_int(k_min, "k_min", low=2, high=256)
    k_max = check_int(k_max, "k_max", low=k_min, high=256)
    sample_size = check_int(sample_size, "sample_size", low=10)
    check_choice(algorithm, "algorithm", ALGORITHMS)
    check_choice(init, "init", INITS)
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    seed, rng = _resolve_seed(random_state)
    loaded = _as_loaded(image, max_pixels)
    start = time.perf_counter()
    colors = _image_colors(loaded.pixels, colorspace)
    ks = [k for k in range(k_min, k_max + 1) if k <= len(colors.histogram)]
    if not ks:
        raise InvalidParameterError(
            f"the image has {len(colors.histogram)} distinct colours: no k in {k_min}..{k_max} to compare")
    base = int(rng.integers(2**63))
    rows = []
    for k in ks:  # each k from its own stream: a row does not depend on the range
        stream = np.random.default_rng(np.random.SeedSequence(base, spawn_key=(k,)))
        palette, labels = _palette_for(colors, k, algorithm=algorithm, init=init, rng=stream, notes=[])
        rows.append((
            k,
            _squared_error(colors, palette, labels),
            _color_psnr(colors, palette, labels),
            _color_delta_e(colors, palette, labels)[0],
            silhouette_score(colors.features, labels, sample_weight=colors.histogram.counts,
                             sample_size=sample_size, random_state=base % 2**32),
            davies_bouldin_score(colors.features, labels, sample_weight=colors.histogram.counts),
        ))
    table = {column: np.array(values) for column, values in zip(COLUMNS, zip(*rows))}
    return KSuggestion(
        table=table,
        # Inertia falls by factors, so the knee is sought on its logarithm: a small
        # region's cluster then counts by its relative drop, not its absolute one,
        # and the elbow does not stop at the largest regions.
        elbow=int(knee(table["k"], np.log(np.maximum(table["inertia"], 1e-12)))),
        best_silhouette=int(table["k"][int(np.argmax(table["silhouette"]))]),
        input=str(loaded.path) if loaded.path is not None else None,
        seed=seed,
        sample_size=sample_size,
        seconds=loaded.seconds + time.perf_counter() - start,
        colorspace=colors.space,
    )
