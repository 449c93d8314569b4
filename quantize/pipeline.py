"""Quantise an image: colour histogram → weighted k-means → palette → rebuilt image."""

import time
import warnings
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from . import io
from ._validation import check_choice, check_float, check_image, check_int, check_random_state, resolve_seed
from .colorspace import (
    CLUSTER_SPACES, DEFAULT_SPACE, ciede2000_rows, from_space, premultiply, srgb_to_lab, to_features, to_palette,
    to_space,
)
from .dither import METHODS as DITHER_METHODS
from .dither import dither as dither_labels
from .distances import assign, assign_with_bounds, row_norms_sq, sq_distances
from .errors import FewDistinctPointsWarning, InvalidParameterError, TargetNotMetError
from .histogram import ColorHistogram, merge_histograms, pack_colors, unpack_colors
from .kmeans import cluster_sums
from .metrics import delta_e_2000, mean_and_p95, psnr, ssim
from .refine import DEFAULT_EFFORT, Levels, check_search, cluster_colors
from .report import Report, raw_ratio
from .seeding import sample_proportional

#: PNG-8 and GIF hold 256 palette entries, transparency included.
MAX_PALETTE = 256
_LOCKED_MAX_ITER = 100


@dataclass
class QuantizeResult:
    """The outcome of :func:`quantize_image`.

    Attributes
    ----------
    image : (H, W, 3) or (H, W, 4) ndarray of uint8
        The input rebuilt from the palette (RGBA when the input has transparency),
        built on first access: writing the result needs only the palette and labels.
    palette : (n, 3) or (n, 4) ndarray of uint8
        The colours used, n <= n_colors; RGBA when the input has transparency.
    labels : (H, W) ndarray of int16 (int32 above 32767 colours)
        Palette index of every pixel; -1 for fully transparent pixels.
    report : Report
    icc_profile : bytes or None
        Embedded in the output when the input was loaded with ``keep_icc``.
    """

    palette: np.ndarray
    labels: np.ndarray
    report: Report
    icc_profile: bytes | None = None
    channels: int = 3

    @cached_property
    def image(self):
        lookup = np.zeros((len(self.palette) + 1, self.channels), dtype=np.uint8)
        lookup[: len(self.palette), : self.palette.shape[1]] = self.palette
        if self.palette.shape[1] < self.channels:  # an opaque palette on an image with transparency
            lookup[: len(self.palette), 3] = 255
        return lookup[self.labels]  # label -1 picks the zero row: fully transparent

    def save(self, path, *, overwrite=False, smallest=False):
        """Write the result atomically (format from the extension, PNG-8 for .png).

        With ``smallest``, PNG-8 and lossless WebP are both encoded and the smaller is
        written, with its extension in place of ``path``'s (the notes say which).  The
        input file is never overwritten.  Returns the report, now with ``output`` and
        ``output_bytes`` filled in (also stored in ``self.report``).
        """
        start = time.perf_counter()
        notes = list(self.report.notes)
        if smallest:
            path, sizes = io.save_smallest(
                path, self.labels, self.palette, overwrite=overwrite, protect=self.report.input,
                icc_profile=self.icc_profile,
            )
            size = min(sizes.values())
            notes.append("smallest format: " + ", ".join(
                f"{name} {count:,} B" for name, count in sorted(sizes.items(), key=lambda item: item[1])))
        else:
            size = io.save_quantized(
                path, self.labels, self.palette, overwrite=overwrite, protect=self.report.input,
                icc_profile=self.icc_profile,
            )
        self.report = replace(
            self.report,
            output=str(path),
            output_bytes=size,
            notes=notes,
            seconds=self.report.seconds + time.perf_counter() - start,
        )
        return self.report


@dataclass
class _ImageColors:
    """An image's distinct colours, ready to cluster (see :func:`_image_colors`)."""

    histogram: ColorHistogram
    features: np.ndarray
    premultiplied: bool
    visible: np.ndarray | None
    shape: tuple
    space: str = "rgb"
    rgb_features: np.ndarray | None = None  # what errors are measured on (PSNR)

    @cached_property
    def lab(self):
        """float32 CIELAB of the distinct colours' RGB, for CIEDE2000 (once per image)."""
        return srgb_to_lab(self.histogram.colors[:, :3], np.float32)

    @cached_property
    def levels(self):
        """The colours at the resolutions of the palette search (once per image)."""
        return Levels(self.features, self.histogram.counts, self.histogram.colors)

    def entries(self, centers):
        """The palette entries (uint8) of cluster centres and their values in the
        clustering space, where colours are compared with them."""
        if self.space == "rgb":
            palette = to_palette(centers, self.premultiplied)
            return palette, to_features(palette, self.premultiplied)
        # centres back to sRGB; colours take their nearest entry in the same space
        palette = from_space(centers, self.space)
        return palette, to_space(palette, self.space)

    def nearest(self, palette_features):
        """Index of the nearest entry of every distinct colour (exact, first on ties)."""
        return self.levels.exact_labels(palette_features - self.levels.offset)


def _image_colors(pixels, space, notes=None):
    """The colours of (H, W, c) uint8 pixels to cluster.

    Fully transparent pixels take no part.  When some visible pixel is partly
    transparent, colours are clustered as premultiplied RGBA (colour weighted by
    coverage, as compositing sees it), whatever ``space``; otherwise in ``space``
    ("rgb", "lab" or "oklab").
    """
    channels = pixels.shape[2]
    flat = pixels.reshape(-1, channels)
    visible = None
    if channels == 4:
        visible = flat[:, 3] != 0
        if visible.all():
            visible = None
        else:
            flat = flat[visible]
    premultiplied = channels == 4 and bool((flat[:, 3] != 255).any())
    histogram = ColorHistogram(flat if premultiplied else flat[:, :3])
    if premultiplied and space != "rgb":
        if notes is not None:
            notes.append(f"partly transparent: clustered as premultiplied RGBA, not in {space}")
        space = "rgb"
    return _histogram_colors(histogram, space, premultiplied, visible, pixels.shape)


def _histogram_colors(histogram, space, premultiplied, visible, shape):
    """A histogram's colours in ``space`` (premultiplied only in "rgb")."""
    rgb_features = to_features(histogram.colors, premultiplied)
    features = rgb_features if space == "rgb" else to_space(histogram.colors, space)
    colors = _ImageColors(histogram, features, premultiplied, visible, shape, space, rgb_features)
    if space == "lab":
        colors.lab = features  # the clustering's CIELAB serves the report's CIEDE2000 too
    return colors


def _locked_kmeans(features, weights, locked, k, rng, max_iter=_LOCKED_MAX_ITER):
    """k centres of which the first len(locked) stay fixed: D² seeding of the free
    ones around the locked ones, then Lloyd steps that move only the free ones."""
    centers = list(locked)
    distance = sq_distances(features, np.asarray(locked, dtype=features.dtype)).min(axis=1)
    for _ in range(k - len(locked)):  # one draw per free centre
        if not (weights * distance).any():
            break
        pick = sample_proportional(np.cumsum(weights * distance), 1, rng)[0]
        centers.append(features[pick])
        distance = np.minimum(distance, ((features - features[pick]) ** 2).sum(axis=1))
    centers = np.asarray(centers, dtype=features.dtype)
    fixed = len(locked)
    for _ in range(max_iter):
        labels, _ = assign(features, centers, with_distances=False)
        counts, sums = cluster_sums(features, labels, weights, len(centers))
        moved = centers.copy()
        free = np.arange(fixed, len(centers))[counts[fixed:] > 0]
        moved[free] = sums[free] / counts[free, None]
        if np.allclose(moved, centers, atol=1e-3):
            break
        centers = moved
    return centers


def _palette_for(colors, n_colors, *, algorithm, init, effort, rng, notes, lock=None, splits=None):
    """Palette entries (RGB, or RGBA when premultiplied) and the entry of each distinct
    colour: its nearest *rounded* entry.  Entries nobody uses are dropped (two centres
    can round to the same colour), except locked ones, which come first and stay exact.
    ``splits`` shares Wu's boxes between several k of one image."""
    histogram, features = colors.histogram, colors.features
    if lock is not None and len(lock):
        centers = _locked_kmeans(features, histogram.counts.astype(np.float64), to_space(lock, colors.space),
                                 max(n_colors, len(lock)), rng)
        palette = np.vstack([lock, from_space(centers[len(lock):], colors.space)])
        color_labels = colors.nearest(to_space(palette, colors.space))
        keep = np.bincount(color_labels, minlength=len(palette)) > 0
        keep[: len(lock)] = True
        return palette[keep], (np.cumsum(keep) - 1)[color_labels]
    k = visible_colors(colors, n_colors, notes)
    if len(histogram) <= k:
        if len(histogram) < k:
            message = f"the image has only {len(histogram)} distinct colours, fewer than n_colors={k}; all are kept exactly"
            warnings.warn(message, FewDistinctPointsWarning, stacklevel=4)
            notes.append(message)
        centers = features
    else:
        centers = cluster_colors(features, histogram.counts, histogram.colors, k, init=init, algorithm=algorithm,
                                 effort=effort, rng=rng, levels=colors.levels, splits=splits,
                                 rounded=lambda centers: colors.entries(centers)[1])
    palette, palette_features = colors.entries(centers)
    color_labels = colors.nearest(palette_features)
    used = np.bincount(color_labels, minlength=len(palette)) > 0
    if not used.all():
        color_labels = (np.cumsum(used) - 1)[color_labels]
        palette = palette[used]
    return palette, color_labels


def visible_colors(colors, n_colors, notes=None):
    """The number of visible colours to fit for ``n_colors`` palette entries: one
    fewer at 256 when the image has fully transparent pixels, which take an entry."""
    if colors.visible is not None and n_colors == MAX_PALETTE:
        if notes is not None:
            notes.append("255 visible colours were fitted so the transparent entry fits the 256-colour palette")
        return MAX_PALETTE - 1
    return n_colors


def _spread_labels(histogram, visible, shape, color_labels):
    """The (H, W) label of every pixel from its colour's label; -1 where not visible."""
    height, width = shape[:2]
    label_dtype = np.int16 if color_labels.max(initial=0) <= np.iinfo(np.int16).max else np.int32
    labels = histogram.lookup(color_labels.astype(label_dtype))
    if visible is not None:
        full = np.full(height * width, -1, dtype=label_dtype)
        full[visible] = labels
        labels = full
    return labels.reshape(height, width)


def _pixel_labels(colors, palette, color_labels):
    """The output palette and the (H, W) label of every pixel (-1 where fully transparent)."""
    labels = _spread_labels(colors.histogram, colors.visible, colors.shape, color_labels)
    if colors.shape[2] == 4 and not colors.premultiplied:
        palette = np.column_stack([palette, np.full(len(palette), 255, np.uint8)])
    return palette, labels


def _squared_error(colors, palette, color_labels):
    """Sum over the pixels of the squared error of the rebuilt colour (the inertia of
    the rounded palette), from the histogram."""
    diff = colors.rgb_features - to_features(palette, colors.premultiplied)[color_labels]
    return float(colors.histogram.counts @ np.einsum("ij,ij->i", diff, diff))


def _color_psnr(colors, palette, color_labels, squared_error=None):
    """PSNR of the image the palette rebuilds, from the histogram alone: exactly the
    report's value (premultiplied RGBA when the image has transparency)."""
    height, width, channels = colors.shape
    if squared_error is None:
        squared_error = _squared_error(colors, palette, color_labels)
    if squared_error == 0:
        return float("inf")
    return float(10 * np.log10(255.0**2 * height * width * channels / squared_error))


def _color_delta_e(colors, palette, color_labels, *, p95=True):
    """Mean and 95th percentile (None without ``p95``: it takes a sort) of the
    CIEDE2000 difference over the visible pixels (their RGB, from the histogram):
    only the palette entries are converted."""
    differences = ciede2000_rows(colors.lab, srgb_to_lab(palette[:, :3], np.float32), color_labels, dtype=np.float32)
    return mean_and_p95(differences, colors.histogram.counts, p95=p95)


# Slopes of the metrics against the logarithm of Wu's squared error, before any probe
# has measured them: PSNR is 10 log10 of an inverse squared error, and a mean colour
# difference grows about as the square root of a squared one.
_PRIOR_SLOPES = {"psnr": -10 / np.log(10), "delta_e": 0.5}
_MODEL_PROBES = 6


def _smallest_palette(colors, k_max, quality, max_delta_e, *, algorithm, init, effort, fresh_rng, notes):
    """The palette with the fewest colours (<= k_max) meeting the targets.

    A probe at k is the very fit ``quantize_image(..., k)`` makes (the same start,
    levels, effort and a fresh random stream from the same seed), so the result is
    exactly what asking for that k gives.  Wu's boxes are nested, so one pass gives
    the squared error of its palette for every k, a curve that falls as k grows; the
    metrics reached by the probes so far are modelled as linear in its logarithm (PSNR
    directly, the mean CIEDE2000 as a logarithm), which predicts the k to probe next.
    The search ends at a k that meets the targets where k - 1 does not (bisection
    takes over if the model has not closed in after a few probes).
    """
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

    def probe(k):
        if k not in probes:
            palette, color_labels = _palette_for(colors, k, algorithm=algorithm, init=init, effort=effort,
                                                 rng=fresh_rng(), notes=[], splits=splits if init == "wu" else None)
            reached = {"psnr": _color_psnr(colors, palette, color_labels)}
            if max_delta_e is not None:
                reached["delta_e"] = _color_delta_e(colors, palette, color_labels, p95=False)[0]
            meets = (quality is None or reached["psnr"] >= quality) and (
                max_delta_e is None or reached["delta_e"] <= max_delta_e)
            probes[k] = (meets, reached, palette, color_labels)
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
            reached = probe(k_top)[1]
            raise TargetNotMetError(
                f"the target is not met with {k_max} colours: {_describe(reached, quality, max_delta_e)}", reached)
        if high == low + 1:
            break
        if attempt < _MODEL_PROBES:
            k = predict(low, high)
            if k in probes:  # the model stalls: close in one step
                k = high - 1 if high <= k_top else low + 1
        else:
            k = (low + high) // 2
    _, reached, palette, color_labels = probe(high)
    notes.append(f"{len(palette)} colours, the smallest k meeting the target ({high - 1} do not, "
                 f"{len(probes)} fits): {_describe(reached, quality, max_delta_e)}")
    return palette, color_labels


def _describe(reached, quality, max_delta_e):
    parts = []
    if quality is not None:
        parts.append(f"PSNR {reached['psnr']:.2f} dB (target >= {quality:g})")
    if max_delta_e is not None:
        parts.append(f"mean ΔE2000 {reached['delta_e']:.2f} (target <= {max_delta_e:g})")
    return ", ".join(parts)


def _fit_palette(pixels, n_colors, *, algorithm, init, effort, colorspace, rng, notes):
    """Palette and per-pixel labels for (H, W, c) uint8 pixels."""
    colors = _image_colors(pixels, colorspace)
    palette, color_labels = _palette_for(colors, n_colors, algorithm=algorithm, init=init, effort=effort, rng=rng,
                                         notes=notes)
    return _pixel_labels(colors, palette, color_labels)


def fit_palette(
    image, n_colors=16, *, algorithm="lloyd", init="wu", effort=DEFAULT_EFFORT, colorspace=DEFAULT_SPACE,
    random_state=None,
):
    """The quantisation alone: a palette and the label of every pixel, nothing more.

    :func:`quantize_image` does this and then rebuilds the image and measures it; call
    this when only the palette and the labels are needed (segmentation, benchmarks).

    Parameters
    ----------
    image : (H, W), (H, W, 3) or (H, W, 4) ndarray
        See ``check_image``.
    n_colors, algorithm, init, effort, colorspace, random_state
        As in :func:`quantize_image`.

    Returns
    -------
    palette : (n, 3) or (n, 4) ndarray of uint8
    labels : (H, W) ndarray of int16 (int32 above 32767 colours), -1 where fully transparent
    """
    n_colors = check_int(n_colors, "n_colors", low=1)
    check_search(algorithm, init, effort)
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    rng = check_random_state(random_state)
    return _fit_palette(check_image(image), n_colors, algorithm=algorithm, init=init, effort=effort,
                        colorspace=colorspace, rng=rng, notes=[])



def quantize_image(
    image, n_colors=16, *, algorithm="lloyd", init="wu", effort=DEFAULT_EFFORT, random_state=None,
    max_pixels=io.DEFAULT_MAX_PIXELS, quality=None, max_delta_e=None, colorspace=DEFAULT_SPACE,
    dither="none", dither_strength=1.0, lock=None, ssim=False,
):
    """Reduce an image to at most ``n_colors`` colours with weighted k-means.

    The distinct colours are clustered, weighted by their pixel counts (the same
    objective as clustering every pixel, at a cost that grows with the number of
    distinct colours), and every pixel takes its colour's nearest palette entry.

    Parameters
    ----------
    image : str, Path, LoadedImage, PIL.Image.Image or ndarray
        A file (read with :func:`quantize.io.load_image`), an image it returned, a
        Pillow image, or an (H, W), (H, W, 3) or (H, W, 4) array of uint8 (see
        ``check_image``).
    n_colors : int
        Maximum number of colours, >= 1.  Palette files (PNG-8, GIF) hold up to 256.
    algorithm : {"lloyd", "minibatch"}, keyword-only
        Lloyd steps from coarse bins of the histogram to its exact colours, or
        Sculley's mini-batch k-means on the bins first (see :mod:`quantize.refine`).
    init : {"wu", "k-means++", "random", "sharding"}, keyword-only
        The start: Wu's colour quantiser (deterministic, the default; see
        :mod:`quantize.wu`) or a seeding of :class:`quantize.kmeans.KMeans`.
    effort : {"normal", "fast", "thorough"}, keyword-only
        How far the search goes: "fast" stops at the coarse bins, "normal" refines on
        the exact colours, "thorough" adds k-means++ restarts and keeps the best
        (never worse than the other two).  Measured times and qualities: README,
        "Effort".
    random_state : None, int or numpy.random.Generator, keyword-only
        Seeds the random inits, mini-batch and the thorough restarts (the default
        search draws nothing).  None draws a fresh seed, which the report records so
        the run can be repeated.
    max_pixels : int or None, keyword-only
        Decompression-bomb limit when ``image`` is a path.
    quality : float, optional, keyword-only
        A PSNR target in dB: use the fewest colours (at most ``n_colors``) whose
        result reaches it; that result is exactly the one asking for that many colours
        gives.  The report's notes say the k chosen and the value reached.
    max_delta_e : float, optional, keyword-only
        A target for the mean CIEDE2000 difference, alone or with ``quality``.
    colorspace : {"lab", "rgb", "oklab"}, keyword-only
        Space the colours are clustered in (CIELAB as skimage's rgb2lab, OKLab from its
        published matrices); the centres are converted back to sRGB for the palette
        and every colour takes its nearest entry in the same space.  CIELAB, the
        default, gives the lowest mean CIEDE2000 on most photos; "rgb" the highest
        PSNR.  Images with partly transparent pixels are clustered as premultiplied
        RGBA (noted).
    dither : {"none", "floyd-steinberg", "ordered"}, keyword-only
        Dither against the fitted palette (see :mod:`quantize.dither`); not applied to
        images with partly transparent pixels (noted).  The report's CIEDE2000 is then
        measured on a sample of the dithered pixels.
    dither_strength : float in [0, 1], keyword-only
    lock : (m, 3) array of uint8, optional, keyword-only
        Colours kept exactly in the palette (brand colours, pure black and white); the
        other n_colors - m centres are learnt around them.  Not with a quality target
        or partly transparent pixels.
    ssim : bool, keyword-only
        Also measure SSIM for the report (off by default: it is the costliest
        metric, up to a third of the call on a big image).

    Returns
    -------
    QuantizeResult

    Raises
    ------
    TargetNotMetError
        When ``n_colors`` colours do not reach the target.

    Guarantees
    ----------
    - At most ``n_colors`` visible colours; fully transparent pixels stay fully
      transparent (label -1) and take one extra palette entry when written.  With
      transparency and n_colors = 256, 255 visible colours are fitted.
    - Without dithering, every pixel gets the palette colour nearest its own in
      ``colorspace``.
    - The input (file or array) is not modified.
    - The same input, parameters and integer ``random_state`` give the identical result.
    """
    n_colors = check_int(n_colors, "n_colors", low=1)
    check_search(algorithm, init, effort)
    if max_pixels is not None:
        check_int(max_pixels, "max_pixels", low=1)
    if quality is not None:
        quality = check_float(quality, "quality", low=0.0)
    if max_delta_e is not None:
        max_delta_e = check_float(max_delta_e, "max_delta_e", low=0.0)
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    if lock is not None:
        lock = check_palette(lock)
        if len(lock) > n_colors or len(np.unique(lock, axis=0)) < len(lock):
            raise InvalidParameterError(f"lock must hold at most n_colors={n_colors} distinct colours")
        if quality is not None or max_delta_e is not None:
            raise InvalidParameterError("lock cannot be combined with a quality target")
    dither_strength = _check_dither(dither, dither_strength)
    seed, rng = resolve_seed(random_state)
    loaded = io.as_loaded(image, max_pixels)
    start = time.perf_counter()  # loading is timed by load_image
    notes = list(loaded.notes)
    colors = _image_colors(loaded.pixels, colorspace, notes)
    if lock is not None and colors.premultiplied:
        raise InvalidParameterError("locked colours need an image without partly transparent pixels")
    if quality is None and max_delta_e is None:
        palette, color_labels = _palette_for(colors, n_colors, algorithm=algorithm, init=init, effort=effort,
                                             rng=rng, notes=notes, lock=lock)
    else:
        def fresh_rng():  # each probe draws as a call for its k would
            return np.random.default_rng(seed) if seed is not None else rng.spawn(1)[0]

        palette, color_labels = _smallest_palette(
            colors, n_colors, quality, max_delta_e, algorithm=algorithm, init=init, effort=effort,
            fresh_rng=fresh_rng, notes=notes,
        )
    palette, labels, delta_e, exact_psnr = _final_labels(loaded, colors, palette, color_labels, dither,
                                                         dither_strength, notes)
    return _result(loaded, palette, labels, start, with_ssim=ssim, exact_psnr=exact_psnr,
                   colors_requested=n_colors, seed=seed,
                   algorithm=algorithm, init=init, effort=effort, notes=notes, colorspace=colors.space,
                   delta_e=delta_e[0], delta_e_p95=delta_e[1])


def _check_dither(dither, dither_strength):
    """Validate the dithering options; the strength as a float in [0, 1]."""
    check_choice(dither, "dither", DITHER_METHODS)
    dither_strength = check_float(dither_strength, "dither_strength", low=0.0)
    if dither_strength > 1:
        raise InvalidParameterError(f"dither_strength={dither_strength!r} must be in [0, 1]")
    return dither_strength


_DELTA_E_SAMPLE = 1 << 18


def _final_labels(loaded, colors, palette, color_labels, dither, strength, notes):
    """The output palette, every pixel's label (dithered when asked and possible), the
    (mean, p95) CIEDE2000 of the result and its PSNR when the histogram gives it
    exactly (not dithered; else None)."""
    dithered = dither != "none" and not colors.premultiplied
    if dither != "none" and colors.premultiplied:
        notes.append("not dithered: the image has partly transparent pixels")
    exact_psnr = None
    if not dithered:
        delta_e = _color_delta_e(colors, palette, color_labels)
        exact_psnr = _color_psnr(colors, palette, color_labels)
    palette, labels = _pixel_labels(colors, palette, color_labels)
    if dithered:
        labels, delta_e = _dithered(loaded.pixels, palette, labels, dither, strength)
        notes.append(f"{dither} dithering at strength {strength:g}; CIEDE2000 measured on "
                     f"up to {_DELTA_E_SAMPLE:,} sampled pixels")
    return palette, labels, delta_e, exact_psnr



def _dithered(pixels, palette, labels, method, strength):
    """Dithered labels (transparent pixels stay -1) and the CIEDE2000 of the result,
    on a sample of pixels (dithering makes every pixel's colour its own) drawn from a
    fixed stream, so that the report does not depend on how the palette was found."""
    rng = np.random.default_rng(0)
    rgb = np.ascontiguousarray(pixels[..., :3])
    dithered = dither_labels(rgb, palette[:, :3], labels, method=method, strength=strength)
    dithered[labels < 0] = -1
    visible = np.flatnonzero(dithered.reshape(-1) >= 0)
    if len(visible) > _DELTA_E_SAMPLE:
        visible = np.sort(rng.choice(visible, _DELTA_E_SAMPLE, replace=False))
    flat = rgb.reshape(-1, 3)
    return dithered, delta_e_2000(flat[visible], palette[dithered.reshape(-1)[visible], :3])


def _result(loaded, palette, labels, start, *, with_ssim=False, exact_psnr=None, **report_fields):
    """The result and its report.  The image is rebuilt from palette and labels only
    where a metric needs it: PSNR when the histogram did not give it, SSIM when
    asked (it costs up to a third of the whole call on a big image)."""
    pixels = loaded.pixels
    height, width, channels = pixels.shape
    transparent = bool(labels.min() < 0) if labels.size else False
    result = QuantizeResult(palette, labels, None, loaded.icc_profile, channels)
    if exact_psnr is None or with_ssim:
        if channels == 4:
            reference, compared = premultiply(pixels), premultiply(result.image)
        else:
            reference, compared = pixels, result.image
    result.report = Report(
        input=str(loaded.path) if loaded.path is not None else None,
        width=width,
        height=height,
        colors_used=len(palette),
        psnr=exact_psnr if exact_psnr is not None else psnr(reference, compared),
        ssim=ssim(reference, compared) if with_ssim else None,
        input_bytes=loaded.file_bytes,
        raw_ratio=raw_ratio(width, height, channels, len(palette) + transparent),
        seconds=0.0,
        frames=loaded.frames,
        transparent=transparent,
        **report_fields,
    )
    result.report.seconds = loaded.seconds + time.perf_counter() - start
    return result


def color_histogram(image, *, max_pixels=io.DEFAULT_MAX_PIXELS):
    """Distinct RGB colours of an image's visible pixels (alpha > 0) and their counts.

    What :func:`fit_shared_palette` merges; small enough to send between processes.

    Returns
    -------
    colors : (m, 3) ndarray of uint8
    counts : (m,) ndarray of int64
    """
    pixels = io.as_loaded(image, max_pixels).pixels
    flat = pixels.reshape(-1, pixels.shape[2])
    if pixels.shape[2] == 4:
        flat = flat[flat[:, 3] != 0]
    histogram = ColorHistogram(flat[:, :3])
    return histogram.colors, histogram.counts


def fit_shared_palette(
    histograms, n_colors=16, *, algorithm="lloyd", init="wu", effort=DEFAULT_EFFORT, colorspace=DEFAULT_SPACE,
    random_state=None,
):
    """One RGB palette for several images, from their :func:`color_histogram`.

    The histograms are merged by adding counts, so every image weighs in proportion
    to its pixels, exactly as if all of them were one image.  ``algorithm``, ``init``,
    ``effort``, ``colorspace`` and ``random_state`` are as in :func:`quantize_image`; map the
    images to the palette with :func:`apply_palette` in the same ``colorspace``.

    Returns
    -------
    (n, 3) ndarray of uint8, n <= n_colors

    Guarantees
    ----------
    At most ``n_colors`` distinct entries; the same histograms, parameters and integer
    ``random_state`` give the same palette.
    """
    n_colors = check_int(n_colors, "n_colors", low=1, high=MAX_PALETTE)
    check_search(algorithm, init, effort)
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    rng = check_random_state(random_state)
    parts = [(pack_colors(colors), counts) for colors, counts in map(_check_histogram, histograms)]
    parts = [part for part in parts if len(part[0])]
    if not parts:
        raise InvalidParameterError("no visible pixel in any image: nothing to fit a palette to")
    codes, counts = merge_histograms(parts)
    colors = unpack_colors(codes, 3)
    if len(colors) <= n_colors:
        return colors
    centers = cluster_colors(to_space(colors, colorspace), counts, colors, n_colors, init=init,
                             algorithm=algorithm, effort=effort, rng=rng)
    return np.unique(from_space(centers, colorspace), axis=0)


def _nearest_entries(colors, palette, space):
    """The nearest palette entry of every distinct colour in ``space``, exactly (first
    on ties): CIELAB and OKLab features are float32, so colours whose two nearest
    entries are closer than that precision can tell apart are decided again from
    float64 coordinates."""
    features = to_space(palette, space)
    if space == "rgb" or len(palette) < 2:  # integer coordinates: float32 is exact
        return colors.nearest(features)
    X = colors.features
    labels, nearest, second = assign_with_bounds(X, features, row_norms_sq(X))
    unsure = np.flatnonzero(second - nearest <= _FLOAT32_FEATURE_ERROR)
    if unsure.size:
        exact = to_space(colors.histogram.colors[unsure, :3], space, np.float64)
        table = to_space(palette, space, np.float64)
        distances = ((exact[:, None, :] - table[None, :, :]) ** 2).sum(axis=2)
        labels[unsure] = distances.argmin(axis=1)
    return labels


#: Bound on the error of a distance between float32 CIELAB or OKLab coordinates (at
#: most about 100) against float64 ones: 1e-3, a hundred times the rounding seen.
_FLOAT32_FEATURE_ERROR = 1e-3


def _check_histogram(histogram):
    """A (colors, counts) pair as (n, 3) uint8 and (n,) int64: colours integers in
    0..255, counts non-negative integers, one per colour."""
    try:
        colors, counts = histogram
        colors, counts = np.asarray(colors), np.asarray(counts)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(f"a histogram is a (colors, counts) pair: {e}") from e
    if colors.ndim != 2 or colors.shape[1] != 3 or counts.shape != (len(colors),):
        raise InvalidParameterError(
            f"a histogram's colors are (n, 3) and its counts (n,); got {colors.shape} and {counts.shape}")
    for values, name, high in ((colors, "colors", 255), (counts, "counts", None)):
        if len(values) and not np.issubdtype(values.dtype, np.integer) or (
                len(values) and (values.min() < 0 or (high is not None and values.max() > high))):
            bounds = "integers in 0..255" if high else "non-negative integers"
            raise InvalidParameterError(f"a histogram's {name} must be {bounds}")
    return colors.astype(np.uint8), counts.astype(np.int64)


def check_palette(palette):
    """Validate an RGB palette and return it as (n, 3) uint8, 1 <= n <= 256."""
    palette = np.asarray(palette)
    if palette.ndim != 2 or palette.shape[1] != 3 or not 1 <= len(palette) <= MAX_PALETTE:
        raise InvalidParameterError(f"palette must be an (n, 3) array with 1 <= n <= {MAX_PALETTE}")
    if palette.dtype != np.uint8:
        if not np.issubdtype(palette.dtype, np.integer) or palette.min() < 0 or palette.max() > 255:
            raise InvalidParameterError("palette values must be integers in 0..255")
        palette = palette.astype(np.uint8)
    return palette


def apply_palette(
    image, palette, *, colorspace=DEFAULT_SPACE, dither="none", dither_strength=1.0,
    max_pixels=io.DEFAULT_MAX_PIXELS, ssim=False,
):
    """Map every pixel to the nearest colour of a given RGB palette.

    Parameters
    ----------
    image : str, Path, LoadedImage, PIL.Image.Image or ndarray
        As in :func:`quantize_image`.
    palette : (n, 3) array of uint8, 1 <= n <= 256
    colorspace : {"lab", "rgb", "oklab"}, keyword-only
        The space "nearest" is measured in; the one the palette was fitted in gives
        back :func:`quantize_image`'s pixels.
    dither, dither_strength, ssim : keyword-only
        As in :func:`quantize_image`.
    max_pixels : int or None, keyword-only

    Returns
    -------
    QuantizeResult
        Its palette is ``palette`` itself, every entry kept (used or not), so that
        images quantised with one palette share it exactly.

    Guarantees
    ----------
    Without dithering, every visible pixel takes the palette colour nearest its own in
    ``colorspace``; fully transparent pixels stay transparent (label -1); partly
    transparent ones become opaque (noted).  The same input and parameters give the
    identical result.
    """
    palette = check_palette(palette)
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    dither_strength = _check_dither(dither, dither_strength)
    loaded = io.as_loaded(image, max_pixels)
    start = time.perf_counter()
    pixels = loaded.pixels
    notes = list(loaded.notes)
    flat = pixels.reshape(-1, pixels.shape[2])
    visible = None
    if pixels.shape[2] == 4:
        visible = flat[:, 3] != 0
        if ((flat[:, 3] > 0) & (flat[:, 3] < 255)).any():
            notes.append("partly transparent pixels were made opaque: the palette has no alpha")
    histogram = ColorHistogram(flat[:, :3] if visible is None else flat[visible, :3])
    colors = _histogram_colors(histogram, colorspace, False, visible, pixels.shape)
    color_labels = _nearest_entries(colors, palette, colorspace)
    # PSNR from the pixels: partly transparent ones become opaque, which the colours do not show
    _, labels, delta_e, _ = _final_labels(loaded, colors, palette, color_labels, dither, dither_strength, notes)
    return _result(loaded, palette, labels, start, with_ssim=ssim,
                   colors_requested=len(palette), seed=None, algorithm="palette", init="none",
                   notes=notes, colorspace=colorspace, delta_e=delta_e[0], delta_e_p95=delta_e[1])
