"""Quality targets: the fewest colours whose palette reaches a PSNR or a mean
CIEDE2000, found by a model of the metrics along Wu's nested boxes, then bisection."""

from dataclasses import dataclass

import numpy as np

from .._validation import fresh_stream
from .colors import visible_colors
from .exact import color_delta_e, color_psnr
from .palette import palette_for

# Slopes of the metrics against the logarithm of Wu's squared error, before any probe
# has measured them: PSNR is 10 log10 of an inverse squared error, and a mean colour
# difference grows about as the square root of a squared one.
_PRIOR_SLOPES = {"psnr": -10 / np.log(10), "delta_e": 0.5}

_MODEL_PROBES = 6


@dataclass(frozen=True)
class TargetMiss:
    """Why the largest palette allowed misses a quality target: the message, and the
    values it reached (``{"psnr": ..., "delta_e": ...}``)."""

    message: str
    reached: dict


@dataclass(frozen=True)
class FittedPalette:
    """A palette fitted to an image's colours: its entries, the entry of each distinct
    colour, and the target it missed (None when met, or when none was asked)."""

    palette: np.ndarray
    color_labels: np.ndarray
    miss: TargetMiss | None = None


def fitted_palette(colors, settings, *, seed, rng, notes, progress=None):
    """The palette ``settings`` (a QuantizeSettings) ask for, fitted to ``colors``: K
    colours (:func:`.colors.palette_for`, locked ones kept) or, with a target, the
    fewest meeting it (:func:`smallest_palette`), as a :class:`FittedPalette`.  After a
    miss the notes are those of the K-colour result, as a call without the target gives."""
    if not settings.targeted:
        palette, color_labels = palette_for(
            colors, settings.n_colors, settings.search, rng=rng, notes=notes, lock=settings.lock
        )
        return FittedPalette(palette, color_labels)
    fitted = smallest_palette(
        colors, settings, fresh_rng=lambda: fresh_stream(seed, rng), notes=notes, progress=progress
    )
    if fitted.miss is not None:
        visible_colors(colors, settings.n_colors, notes)
    return fitted


def smallest_palette(colors, settings, *, fresh_rng, notes, progress=None):
    """The palette with the fewest colours (at most ``settings.n_colors``, k_max)
    meeting the targets of ``settings`` (a QuantizeSettings) and its colours' labels,
    as a :class:`FittedPalette`; when even k_max colours miss, that palette with the
    :class:`TargetMiss` saying by how much.

    A probe at k is the very fit ``quantize_image(..., k)`` makes (the same start,
    levels, effort and a fresh random stream from the same seed), so the result is
    exactly what asking for that k gives.  Wu's boxes are nested, so one pass gives
    the squared error of its palette for every k, a curve that falls as k grows; the
    metrics reached by the probes so far are modelled as linear in its logarithm (PSNR
    directly, the mean CIEDE2000 as a logarithm), which predicts the k to probe next.
    The search ends at a k that meets the targets where k - 1 does not (bisection
    takes over if the model has not closed in after a few probes).  ``progress``, if
    given, is called as ``progress(fits, most)`` after each fit and at the end.
    """
    k_max, quality, max_delta_e = settings.n_colors, settings.quality, settings.max_delta_e
    targets = {}
    if quality is not None:
        targets["psnr"] = quality
    if max_delta_e is not None:
        targets["delta_e"] = np.log(max_delta_e)
    k_top = min(visible_colors(colors, k_max), len(colors.histogram))  # lossless from there on
    splits = colors.levels.splits(k_top)
    sse = np.maximum(splits.sse, splits.sse[0] * 1e-12 + 1e-30)
    curve = np.log(np.concatenate([sse, np.full(k_top - len(sse), sse[-1])]))  # curve[k - 1]
    probes = {}
    # The model's probes, then bisection of what is left of the bracket.
    most = min(k_top, _MODEL_PROBES + 1 + int(np.ceil(np.log2(k_top + 1))))

    def probe(k):
        if k not in probes:
            palette, color_labels = palette_for(
                colors, k, settings.search, rng=fresh_rng(), notes=[], splits=splits if settings.init == "wu" else None
            )
            reached = {"psnr": color_psnr(colors, palette, color_labels)}
            if max_delta_e is not None:
                reached["delta_e"] = color_delta_e(colors, palette, color_labels, p95=False)[0]
            meets = (quality is None or reached["psnr"] >= quality) and (
                max_delta_e is None or reached["delta_e"] <= max_delta_e
            )
            probes[k] = (meets, reached, palette, color_labels)
            if progress is not None:
                progress(min(len(probes), most - 1), most)
        return probes[k]

    def modelled(name, k):
        value = probes[k][1][name]
        return np.log(max(value, 1e-12)) if name == "delta_e" else min(value, 1e3)

    def predict(low, high):
        """The smallest k in (low, high) the model says meets every target."""
        bracket = [k for k in (low, high) if k in probes]
        known = bracket if len(bracket) == 2 else list(probes)[-2:]
        guess = low + 1
        for name, target in targets.items():
            x0, y0 = curve[known[-1] - 1], modelled(name, known[-1])
            slope = _PRIOR_SLOPES[name]
            if len(known) == 2 and curve[known[0] - 1] != x0:
                fitted = (modelled(name, known[0]) - y0) / (curve[known[0] - 1] - x0)
                slope = fitted if fitted * slope > 0 else slope  # keep the known direction
            needed = x0 + (target - y0) / slope  # the log error that just meets the target
            guess = max(guess, int(np.searchsorted(-curve, -needed, side="left")) + 1)
        return min(guess, high - 1)

    low, high = 0, k_top + 1  # low fails (or is 0), high meets (or is past the top)
    k = min(k_top, 16)
    for attempt in range(k_top):
        if probe(k)[0]:
            high = k
        else:
            low = k
        if low == k_top:
            _, reached, palette, color_labels = probe(k_top)
            message = f"target not met: {k_max} colours reach {_describe(reached, quality, max_delta_e)}"
            if progress is not None:
                progress(most, most)
            return FittedPalette(palette, color_labels, TargetMiss(message, reached))
        if high == low + 1:
            break
        if attempt < _MODEL_PROBES:
            k = predict(low, high)
            if k in probes:  # the model stalls: close in one step
                k = high - 1 if high <= k_top else low + 1
        else:
            k = (low + high) // 2
    _, reached, palette, color_labels = probe(high)
    notes.append(
        f"{len(palette)} colours, the smallest k meeting the target ({high - 1} do not, "
        f"{len(probes)} fits): {_describe(reached, quality, max_delta_e)}"
    )
    if progress is not None:
        progress(most, most)
    return FittedPalette(palette, color_labels)


def _describe(reached, quality, max_delta_e):
    parts = []
    if quality is not None:
        parts.append(f"PSNR {reached['psnr']:.2f} dB (target >= {quality:g})")
    if max_delta_e is not None:
        parts.append(f"mean ΔE2000 {reached['delta_e']:.2f} (target <= {max_delta_e:g})")
    return ", ".join(parts)
