"""Animations: every frame quantised, with one palette for all of them (fitted on the
merged histogram of the frames, so that colours do not flicker from frame to frame)
or one palette per frame.

The frames are read twice, one at a time: a first pass adds each frame's histogram
to the merged one, a second maps each frame to the palette (nearest entry in the
clustering space, dithered if asked) and measures it.  No more than one decoded
frame is held; the result keeps each frame's palette indices.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from .. import display
from .._parallel import blas_on_one_thread
from .._validation import RandomState, check_choice, resolve_seed, settings_for_call
from ..color.alpha import lookup_table, to_features, visible_pixels
from ..color.histogram import ColorHistogram, count_colors, merge_histograms, unpack_colors
from ..color.spaces import DEFAULT_SPACE
from ..errors import InvalidParameterError, TargetNotMetError
from ..image import Animation, LoadedImage
from ..metrics.image import psnr, ssim
from .colors import clustering_space, histogram_colors, image_colors
from .palette import nearest_entries
from .report import Report, raw_ratio
from .result import compared_pixels, final_labels
from .search import DEFAULT_EFFORT
from .settings import MAX_PALETTE, QuantizeSettings, check_palette
from .target import fitted_palette

#: How frames weigh in the merged histogram: by their pixels, or by pixels times
#: their duration (a frame shown twice as long counts twice).
WEIGHTS = ("pixels", "duration")
#: Merge the frames' histograms every this many frames, to bound the parts held.
_MERGE_EVERY = 16


@dataclass
class AnimationResult:
    """The outcome of :func:`quantize_animation`.

    Attributes
    ----------
    palettes : list of (n, 3) or (n, 4) ndarray of uint8
        Each frame's palette: one and the same array for every frame unless
        ``frame_palettes`` was asked for.
    labels : list of (H, W) ndarray of int16
        Each frame's palette indices, -1 where fully transparent.
    durations : list of int
        Milliseconds per frame, as in the input.
    loop : int or None
        0 plays for ever; None: the input said nothing (a GIF then plays once).
    disposals, blends : list
        Per frame, as in the input (None where its format has no such notion).
    frame_psnr, frame_delta_e : (F,) ndarray of float
        PSNR and mean CIEDE2000 of every frame.
    report : Report
        Of the whole animation: ``psnr`` over all frames' pixels, ``delta_e`` their
        mean, ``delta_e_p95`` the worst frame's 95th percentile, ``frame_stats`` the
        per-frame summary.
    """

    palettes: list
    labels: list
    durations: list
    loop: int | None
    disposals: list
    blends: list
    frame_psnr: np.ndarray
    frame_delta_e: np.ndarray
    report: Report
    shared: bool = True
    transparent: bool = False
    source_format: str | None = None

    @property
    def palette(self):
        """The palette of every frame, or None with one palette per frame."""
        return self.palettes[0] if self.shared else None

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` rebuilt from its palette: (H, W, 3) or (H, W, 4) uint8."""
        channels = 4 if self.transparent or self.palettes[index].shape[1] == 4 else 3
        return lookup_table(self.palettes[index], channels)[self.labels[index]]

    def _pictures(self):
        shown = sorted({0, len(self.labels) // 2, len(self.labels) - 1})  # first, middle, last
        factor = display.step(self.labels[0].shape)
        return [display.reduced_labels(self.palettes[i], self.labels[i], factor) for i in shown], [
            f"frame {i + 1} of {len(self.labels)}" for i in shown
        ]

    def _repr_png_(self) -> bytes:
        """The first, middle and last frames, small, above the (first frame's) palette."""
        return display.png(self._pictures()[0], self.palettes[0])

    def _repr_html_(self) -> str:
        """The first, middle and last frames, the palette and the report's figures."""
        pictures, captions = self._pictures()
        return display.html_view(pictures, captions, self.palettes[0], self.report.facts())


def as_animation(animation):
    """An :class:`~quantize.image.Animation` as it is (a file's:
    ``quantize.files.animation.read_animation``), or one of a sequence of (H, W, 3|4)
    uint8 arrays (100 ms each).  A path is refused: the library reads no file."""
    if isinstance(animation, Animation):
        return animation
    if isinstance(animation, (str, PurePath)):
        raise InvalidParameterError(
            f"animation is a path ({animation}): read it with quantize.files.animation.read_animation(path) first"
        )
    return Animation.from_arrays(animation)


@blas_on_one_thread()
def quantize_animation(
    animation: Animation | Sequence[np.ndarray],
    n_colors: int = 16,
    *,
    settings: QuantizeSettings | None = None,
    algorithm: str = "lloyd",
    init: str = "wu",
    effort: str = DEFAULT_EFFORT,
    random_state: RandomState = None,
    quality: float | None = None,
    max_delta_e: float | None = None,
    colorspace: str = DEFAULT_SPACE,
    dither: str = "none",
    dither_strength: float = 1.0,
    lock: np.ndarray | Sequence | None = None,
    ssim: bool = False,
    frame_palettes: bool = False,
    weight: str = "pixels",
    palette: np.ndarray | Sequence | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AnimationResult:
    """Quantise every frame of an animation (GIF, APNG, animated WebP).

    Parameters
    ----------
    animation : Animation or sequence of ndarray
        An :class:`~quantize.image.Animation` (a file's, from
        ``quantize.files.animation.read_animation``; ``Animation.from_arrays``), or
        (H, W, 3|4) uint8 frames of one size.
    n_colors, settings, algorithm, init, effort, random_state, quality, max_delta_e, colorspace, dither, ...
        As in :func:`quantize.quantize_image` (dither_strength, lock and ssim too): at most ``n_colors`` colours per
        palette, the same search, targets, dithering (per frame, against the
        palette) and colour space.
    frame_palettes : bool, keyword-only
        One palette per frame (GIF local colour tables) instead of one for all.
    weight : {"pixels", "duration"}, keyword-only
        How frames weigh in the shared palette: by pixels, or by pixels times
        their duration.
    palette : (n, 3) array of uint8, optional, keyword-only
        Map every frame to this palette instead of fitting one.
    progress : callable, optional, keyword-only
        Called as ``progress(done, total)`` after each frame of each pass (two
        passes with a shared palette: the histograms, then the mapping).

    Returns
    -------
    AnimationResult

    Raises
    ------
    InvalidParameterError
        A bad setting, before any frame is decoded.
    TargetNotMetError
        ``n_colors`` colours miss the quality target (with ``frame_palettes``: on
        some frame); its ``result`` is the ``n_colors`` result.

    Guarantees
    ----------
    - At most ``n_colors`` visible colours in each palette, fully transparent pixels
      stay transparent (one more entry), and without dithering every pixel takes its
      palette's entry nearest its colour in ``colorspace``.
    - With the shared palette, every frame has the very same palette, and the
      palette is what :func:`quantize.quantize_image` fits to the frames placed
      side by side (the merged histogram is theirs).
    """
    s = settings_for_call(QuantizeSettings, settings, locals())  # the keywords of the signature
    check_choice(weight, "weight", WEIGHTS)
    if palette is not None:
        palette = check_palette(palette)
        if s.targeted or s.lock is not None or frame_palettes:
            raise InvalidParameterError("a given palette cannot be combined with a target, lock or frame_palettes")
    seed, rng = resolve_seed(s.random_state)
    animation = as_animation(animation)
    start = time.perf_counter()
    notes: list[str] = []
    shared = None
    passes = 1 if frame_palettes else 2
    done = 0

    def step():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, passes * animation.n_frames)

    if not frame_palettes:
        merged, timing = _merged_colors(animation, s.colorspace, weight, notes, step, opaque=palette is not None)
        if palette is not None:
            shared, miss = palette, None
            if merged.premultiplied:
                notes.append("partly transparent pixels were made opaque: the palette has no alpha")
        else:
            fitted = fitted_palette(merged, s, seed=seed, rng=rng, notes=notes)
            shared, miss = fitted.palette, fitted.miss
    else:
        timing = None
    frames = _map_frames(animation, s, shared, timing, seed, rng, notes, step)
    result = _result(animation, s, frames, shared is not None, seed, notes, start)
    miss = miss if not frame_palettes else next((f["miss"] for f in frames["stats"] if f["miss"]), None)
    if miss is not None:
        result.report.notes.append(miss.message)
        raise TargetNotMetError(miss.message, miss.reached, result)
    return result


def _merged_colors(animation, space, weight, notes, step, *, opaque=False):
    """Pass 1: the merged histogram of every frame, as ImageColors, and what the
    frames' timing and alpha are.  ``opaque``: partial alpha is not clustered (a
    given palette has none)."""
    parts, timing = (
        [],
        {"durations": [], "disposals": [], "blends": [], "alpha": False, "transparent": False, "partial": False},
    )
    total = 0
    for frame in animation.frames():
        flat, visible = visible_pixels(frame.pixels)
        timing["durations"].append(frame.duration)
        timing["disposals"].append(frame.disposal)
        timing["blends"].append(frame.blend)
        timing["transparent"] |= visible is not None
        timing["partial"] |= bool((flat[:, 3] < 255).any())
        factor = max(frame.duration, 1) if weight == "duration" else 1
        total += frame.pixels.shape[0] * frame.pixels.shape[1] * factor
        codes, counts = count_colors(flat)
        parts.append((codes, counts * factor))
        if len(parts) >= _MERGE_EVERY:
            parts = [merge_histograms(parts)]
        step()
    codes, counts = merge_histograms(parts) if len(parts) > 1 else parts[0]
    premultiplied = timing["partial"] and not opaque
    timing["alpha"] = timing["transparent"] or premultiplied
    colors = unpack_colors(codes, 4 if premultiplied else 3)
    space = clustering_space(space, premultiplied, notes)
    merged = histogram_colors(
        ColorHistogram.from_counts(colors, counts), space, premultiplied, None, (total, 1, colors.shape[1])
    )
    merged.transparent = timing["transparent"]
    timing["premultiplied"], timing["space"] = premultiplied, space
    return merged, timing


def _map_frames(animation, s, shared, timing, seed, rng, notes, step):
    """Pass 2: every frame's palette, labels and measures."""
    out = {"palettes": [], "labels": [], "stats": [], "durations": [], "disposals": [], "blends": []}
    shared_out = None
    frame_notes = []
    for frame in animation.frames():
        if timing is None:  # frame palettes: the first pass was skipped
            out["durations"].append(frame.duration)
            out["disposals"].append(frame.disposal)
            out["blends"].append(frame.blend)
        pixels = frame.pixels
        miss = None
        if shared is None:  # each frame as a still image, alpha dropped where it is all opaque
            if (pixels[..., 3] == 255).all():
                pixels = np.ascontiguousarray(pixels[..., :3])
            colors = image_colors(pixels, s.colorspace, frame_notes)
            fitted = fitted_palette(colors, s, seed=seed, rng=rng, notes=frame_notes)
            palette, color_labels, miss = fitted.palette, fitted.color_labels, fitted.miss
        else:  # the animation's own alpha handling and space, whatever this frame holds
            pixels = pixels if timing["alpha"] else np.ascontiguousarray(pixels[..., :3])
            premultiplied, space = timing["premultiplied"], timing["space"]
            flat, visible = visible_pixels(pixels)
            colors = histogram_colors(
                ColorHistogram(flat if premultiplied else flat[:, :3]), space, premultiplied, visible, pixels.shape
            )
            if premultiplied and shared.shape[1] == 4:
                palette, color_labels = shared, colors.nearest(to_features(shared, True))
            else:
                palette, color_labels = shared, nearest_entries(colors, shared[:, :3], space)
        final = final_labels(
            LoadedImage(pixels), colors, palette, color_labels, s.dither, s.dither_strength, frame_notes
        )
        palette, labels, exact_psnr = final.palette, final.labels, final.psnr
        if shared is not None:
            shared_out = palette if shared_out is None else shared_out  # one array for every frame
            palette = shared_out
        if exact_psnr is None or s.ssim:
            compared = compared_pixels(pixels, lookup_table(palette, pixels.shape[2])[labels])
        frame_psnr = exact_psnr if exact_psnr is not None else psnr(*compared)
        frame_ssim = ssim(*compared) if s.ssim else None
        out["palettes"].append(palette)
        out["labels"].append(labels)
        out["stats"].append(
            {
                "psnr": frame_psnr,
                "delta_e": (final.delta_e, final.delta_e_p95),
                "ssim": frame_ssim,
                "miss": miss,
                "pixels": labels.size,
                "transparent": colors.transparent,
            }
        )
        step()
    if timing is not None:
        out.update({key: timing[key] for key in ("durations", "disposals", "blends")})
    for note in dict.fromkeys(frame_notes):  # each once, not once per frame
        notes.append(note if shared is not None else f"frames: {note}")
    return out


def _result(animation, s, frames, shared, seed, notes, start):
    stats = frames["stats"]
    frame_psnr = np.array([f["psnr"] for f in stats])
    frame_delta_e = np.array([f["delta_e"][0] for f in stats])
    pixels = np.array([f["pixels"] for f in stats], dtype=np.float64)
    mse = 255.0**2 / np.power(10.0, np.where(np.isinf(frame_psnr), np.inf, frame_psnr) / 10)
    overall_mse = float(mse @ pixels / pixels.sum())
    transparent = any(f["transparent"] for f in stats)
    palettes = frames["palettes"]
    width, height = animation.size
    entries = max(len(p) for p in palettes) + transparent
    channels = 4 if transparent or palettes[0].shape[1] == 4 else 3
    finite = frame_psnr[np.isfinite(frame_psnr)]
    frame_stats = {
        "psnr": {
            "mean": float(finite.mean()) if finite.size else None,
            "worst": float(frame_psnr.min()) if finite.size else None,
        },
        "delta_e": {"mean": float(frame_delta_e.mean()), "worst": float(frame_delta_e.max())},
    }
    ssims = [f["ssim"] for f in stats if f["ssim"] is not None]
    report = Report(
        input=str(animation.path) if animation.path is not None else None,
        width=width,
        height=height,
        colors_requested=s.n_colors,
        colors_used=max(len(p) for p in palettes),
        psnr=float("inf") if overall_mse == 0 else float(10 * math.log10(255.0**2 / overall_mse)),
        ssim=float(np.mean(ssims)) if ssims else None,
        input_bytes=animation.file_bytes,
        raw_ratio=raw_ratio(width, height * len(stats), channels, entries) if entries <= MAX_PALETTE else None,
        seconds=animation.seconds + time.perf_counter() - start,
        seed=seed,
        algorithm=s.algorithm,
        init=s.init,
        effort=s.effort,
        frames=len(stats),
        transparent=transparent,
        colorspace=s.colorspace,
        delta_e=float(frame_delta_e @ pixels / pixels.sum()),
        delta_e_p95=float(max(f["delta_e"][1] for f in stats)),
        notes=notes,
        frame_stats=frame_stats,
    )
    if not shared:
        report.notes.insert(0, f"one palette per frame (up to {report.colors_used} colours)")
    return AnimationResult(
        palettes,
        frames["labels"],
        list(frames["durations"]),
        animation.loop,
        list(frames["disposals"]),
        list(frames["blends"]),
        frame_psnr,
        frame_delta_e,
        report,
        shared=shared,
        transparent=transparent,
        source_format=animation.format,
    )
