"""Quantise an image: colour histogram → weighted k-means → palette → rebuilt image."""

import secrets
import time
import warnings
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image

from . import io
from ._validation import check_choice, check_float, check_image, check_int, check_random_state
from .colorspace import (
    CLUSTER_SPACES, DEFAULT_SPACE, ciede2000_rows, from_space, premultiply, srgb_to_lab, to_features, to_palette,
    to_space,
)
from .dither import METHODS as DITHER_METHODS
from .dither import dither as dither_labels
from .distances import assign, sq_distances
from .errors import FewDistinctPointsWarning, InvalidParameterError, TargetNotMetError
from .histogram import ColorHistogram, coarse_bins, merge_histograms, pack_colors, unpack_colors
from .kmeans import ALGORITHMS, INITS, KMeans, cluster_sums
from .metrics import delta_e_2000, mean_and_p95, psnr, ssim
from .parallel import thread_map
from .report import Report, raw_ratio
from .seeding import initial_centers, sample_proportional

#: PNG-8 and GIF hold 256 palette entries, transparency included.
MAX_PALETTE = 256
# The palette search (measured with bench/peers.py; see the README).  Restarts of the
# chosen k-means run on a coarse histogram (_SEARCH_BITS bits per channel: bin means
# weighted by bin counts), seeded from a coarser one (_SEED_BITS) where that still has
# _SEED_PER_CLUSTER bins per cluster; the best run is polished by up to _POLISH_ITER
# Lloyd iterations on the exact histogram.  Up to _COARSE_MIN distinct colours, the
# exact histogram is searched directly.
_COARSE_MIN = 4096
_SEARCH_BITS = 6
_SEED_BITS = 5
_SEED_PER_CLUSTER = 4
_SEARCH_TOL = 1e-3
_POLISH_ITER = 5
# Above _POLISH_EXACT_MAX distinct colours (big noisy images have millions), polish on
# _POLISH_BITS bits per channel instead: bin sums keep the centroids exact, only
# colours sharing a 2x2x2 bin share a label while polishing.
_POLISH_EXACT_MAX = 1 << 21
_POLISH_BITS = 7
_LOCKED_MAX_ITER = 100


def _restarts(k, init):
    """More restarts where they pay: few clusters have few, deep local optima."""
    if init == "sharding":  # deterministic: every restart would be the same
        return 1
    return 8 if k <= 32 else 4 if k <= 128 else 2


@dataclass
class QuantizeResult:
    """The outcome of :func:`quantize_image`.

    Attributes
    ----------
    image : (H, W, 3) or (H, W, 4) ndarray of uint8
        The input rebuilt from the palette (RGBA when the input has transparency).
    palette : (n, 3) or (n, 4) ndarray of uint8
        The colours used, n <= n_colors; RGBA when the input has transparency.
    labels : (H, W) ndarray of int16 (int32 above 32767 colours)
        Palette index of every pixel; -1 for fully transparent pixels.
    report : Report
    icc_profile : bytes or None
        Embedded in the output when the input was loaded with ``keep_icc``.
    """

    image: np.ndarray
    palette: np.ndarray
    labels: np.ndarray
    report: Report
    icc_profile: bytes | None = None

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


def _resolve_seed(random_state):
    """The seed to record in the report and the one Generator to use."""
    if random_state is None:
        random_state = secrets.randbits(32)
    rng = check_random_state(random_state)
    seed = None if isinstance(random_state, np.random.Generator) else int(random_state)
    return seed, rng


def _as_loaded(image, max_pixels):
    if isinstance(image, io.LoadedImage):
        return image
    if isinstance(image, (str, Path)):
        return io.load_image(image, max_pixels=max_pixels)
    if isinstance(image, Image.Image):
        pixels, notes = io.image_to_array(image)
        return io.LoadedImage(pixels, notes=tuple(notes))
    return io.LoadedImage(check_image(image))


def _coarse(features, counts, colors, bits):
    """Bin means and bin weights of the histogram on a grid of ``bits`` per channel."""
    bins, n_bins = coarse_bins(colors, bits)
    bin_counts, bin_sums = cluster_sums(features, bins, counts, n_bins)
    return (bin_sums / bin_counts[:, None]).astype(features.dtype), bin_counts


def _cluster_colors(features, counts, colors, k, *, algorithm, init, rng):
    """k centres for the weighted distinct colours: restarts on a coarse histogram,
    the best one polished on the exact histogram."""
    n_init = _restarts(k, init)
    search, search_weights = features, counts
    if len(features) > _COARSE_MIN:
        search, search_weights = _coarse(features, counts, colors, _SEARCH_BITS)
    if len(search) <= k:  # too few bins to search on: search the exact histogram
        search, search_weights = features, counts
    seeds, seed_weights = search, search_weights
    if search is not features:
        seeds, seed_weights = _coarse(features, counts, colors, _SEED_BITS)
        if len(seeds) < _SEED_PER_CLUSTER * k:
            seeds, seed_weights = search, search_weights
    tol = _SEARCH_TOL if search is not features else 1e-4

    def run(stream):
        start = initial_centers(seeds, k, init, seed_weights, stream)
        if len(start) < k:  # the seeding level has too few distinct points
            start = init
        model = KMeans(k, init=start, algorithm=algorithm, tol=tol, polish_iter=300,
                       init_size=len(search), random_state=stream)
        return model.fit(search, sample_weight=search_weights)

    best = min(thread_map(run, rng.spawn(n_init)), key=lambda model: model.inertia_)
    if search is features:
        return best.cluster_centers_
    if len(features) > _POLISH_EXACT_MAX:
        features, counts = _coarse(features, counts, colors, _POLISH_BITS)
    polish = KMeans(k, init=best.cluster_centers_, algorithm="lloyd", max_iter=_POLISH_ITER)
    return polish.fit(features, sample_weight=counts).cluster_centers_


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


def _palette_for(colors, n_colors, *, algorithm, init, rng, notes, lock=None):
    """Palette entries (RGB, or RGBA when premultiplied) and the entry of each distinct
    colour: its nearest *rounded* entry.  Entries nobody uses are dropped (two centres
    can round to the same colour), except locked ones, which come first and stay exact."""
    histogram, features = colors.histogram, colors.features
    if lock is not None and len(lock):
        centers = _locked_kmeans(features, histogram.counts.astype(np.float64), to_space(lock, colors.space),
                                 max(n_colors, len(lock)), rng)
        palette = np.vstack([lock, from_space(centers[len(lock):], colors.space)])
        color_labels, _ = assign(features, to_space(palette, colors.space), with_distances=False)
        keep = np.bincount(color_labels, minlength=len(palette)) > 0
        keep[: len(lock)] = True
        return palette[keep], (np.cumsum(keep) - 1)[color_labels]
    k = n_colors
    if colors.visible is not None and n_colors == MAX_PALETTE:
        k = MAX_PALETTE - 1
        notes.append("255 visible colours were fitted so the transparent entry fits the 256-colour palette")
    if len(histogram) <= k:
        if len(histogram) < k:
            message = f"the image has only {len(histogram)} distinct colours, fewer than n_colors={k}; all are kept exactly"
            warnings.warn(message, FewDistinctPointsWarning, stacklevel=4)
            notes.append(message)
        centers = features
    else:
        centers = _cluster_colors(
            features, histogram.counts, histogram.colors, k, algorithm=algorithm, init=init, rng=rng
        )
    if colors.space == "rgb":
        palette = to_palette(centers, colors.premultiplied)
        palette_features = to_features(palette, colors.premultiplied)
    else:  # centres back to sRGB; colours take their nearest entry in the same space
        palette = from_space(centers, colors.space)
        palette_features = to_space(palette, colors.space)
    color_labels, _ = assign(features, palette_features)
    used = np.bincount(color_labels, minlength=len(palette)) > 0
    if not used.all():
        color_labels = (np.cumsum(used) - 1)[color_labels]
        palette = palette[used]
    return palette, color_labels


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


def _color_psnr(colors, palette, color_labels):
    """PSNR of the image the palette rebuilds, from the histogram alone: exactly the
    report's value (premultiplied RGBA when the image has transparency)."""
    height, width, channels = colors.shape
    squared_error = _squared_error(colors, palette, color_labels)
    if squared_error == 0:
        return float("inf")
    return float(10 * np.log10(255.0**2 * height * width * channels / squared_error))


def _color_delta_e(colors, palette, color_labels):
    """Mean and 95th percentile of the CIEDE2000 difference over the visible pixels
    (their RGB, from the histogram): only the palette entries are converted."""
    differences = ciede2000_rows(colors.lab, srgb_to_lab(palette[:, :3]), color_labels)
    return mean_and_p95(differences, colors.histogram.counts)


def _smallest_palette(colors, k_max, quality, max_delta_e, *, algorithm, init, rng, notes):
    """The palette with the fewest colours (<= k_max) meeting the targets, by bisection
    on k over the one histogram.  Every probe draws from its own stream, so the result
    does not depend on the path of the search."""
    base = int(rng.integers(2**63))
    probes = {}

    def probe(k):
        if k not in probes:
            stream = np.random.default_rng(np.random.SeedSequence(base, spawn_key=(k,)))
            palette, color_labels = _palette_for(colors, k, algorithm=algorithm, init=init, rng=stream, notes=[])
            reached = {"psnr": _color_psnr(colors, palette, color_labels)}
            if max_delta_e is not None:
                reached["delta_e"] = _color_delta_e(colors, palette, color_labels)[0]
            meets = (quality is None or reached["psnr"] >= quality) and (
                max_delta_e is None or reached["delta_e"] <= max_delta_e)
            probes[k] = (meets, reached, palette, color_labels)
        return probes[k]

    def describe(reached):
        parts = []
        if quality is not None:
            parts.append(f"PSNR {reached['psnr']:.2f} dB (target >= {quality:g})")
        if max_delta_e is not None:
            parts.append(f"mean ΔE2000 {reached['delta_e']:.2f} (target <= {max_delta_e:g})")
        return ", ".join(parts)

    if not probe(k_max)[0]:
        raise TargetNotMetError(
            f"the target is not met with {k_max} colours: {describe(probe(k_max)[1])}", probe(k_max)[1]
        )
    low, high = 1, k_max
    while low < high:
        middle = (low + high) // 2
        if probe(middle)[0]:
            high = middle
        else:
            low = middle + 1
    _, reached, palette, color_labels = probe(high)
    notes.append(f"{len(palette)} colours, the smallest k found by bisection to meet the target: "
                 f"{describe(reached)}")
    return palette, color_labels


def _fit_palette(pixels, n_colors, *, algorithm, init, colorspace, rng, notes):
    """Palette and per-pixel labels for (H, W, c) uint8 pixels."""
    colors = _image_colors(pixels, colorspace)
    palette, color_labels = _palette_for(colors, n_colors, algorithm=algorithm, init=init, rng=rng, notes=notes)
    return _pixel_labels(colors, palette, color_labels)


def fit_palette(
    image, n_colors=16, *, algorithm="minibatch", init="k-means++", colorspace=DEFAULT_SPACE, random_state=None,
):
    """The quantisation alone: a palette and the label of every pixel, nothing more.

    :func:`quantize_image` does this and then rebuilds the image and measures it; call
    this when only the palette and the labels are needed (segmentation, benchmarks).

    Parameters
    ----------
    image : (H, W), (H, W, 3) or (H, W, 4) ndarray
        See ``check_image``.
    n_colors, algorithm, init, colorspace, random_state
        As in :func:`quantize_image`.

    Returns
    -------
    palette : (n, 3) or (n, 4) ndarray of uint8
    labels : (H, W) ndarray of int16 (int32 above 32767 colours), -1 where fully transparent
    """
    n_colors = check_int(n_colors, "n_colors", low=1)
    check_choice(algorithm, "algorithm", ALGORITHMS)
    check_choice(init, "init", INITS)
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    rng = check_random_state(random_state)
    return _fit_palette(check_image(image), n_colors, algorithm=algorithm, init=init, colorspace=colorspace,
                        rng=rng, notes=[])


def quantize_image(
    image, n_colors=16, *, algorithm="minibatch", init="k-means++", random_state=None,
    max_pixels=io.DEFAULT_MAX_PIXELS, quality=None, max_delta_e=None, colorspace=DEFAULT_SPACE,
    dither="none", dither_strength=1.0, lock=None,
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
    algorithm : {"minibatch", "lloyd"}, keyword-only
        See :class:`quantize.kmeans.KMeans`; "minibatch" is polished by Lloyd steps.
    init : {"k-means++", "random", "sharding"}, keyword-only
    random_state : None, int or numpy.random.Generator, keyword-only
        None draws a fresh seed, which the report records so the run can be repeated.
    max_pixels : int or None, keyword-only
        Decompression-bomb limit when ``image`` is a path.
    quality : float, optional, keyword-only
        A PSNR target in dB: use the fewest colours (at most ``n_colors``) whose
        result reaches it.  The report's notes say the k chosen and the value reached.
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
    check_choice(algorithm, "algorithm", ALGORITHMS)
    check_choice(init, "init", INITS)
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
    seed, rng = _resolve_seed(random_state)
    loaded = _as_loaded(image, max_pixels)
    start = time.perf_counter()  # loading is timed by load_image
    notes = list(loaded.notes)
    colors = _image_colors(loaded.pixels, colorspace, notes)
    if lock is not None and colors.premultiplied:
        raise InvalidParameterError("locked colours need an image without partly transparent pixels")
    if quality is None and max_delta_e is None:
        palette, color_labels = _palette_for(colors, n_colors, algorithm=algorithm, init=init, rng=rng,
                                             notes=notes, lock=lock)
    else:
        palette, color_labels = _smallest_palette(
            colors, n_colors, quality, max_delta_e, algorithm=algorithm, init=init, rng=rng, notes=notes
        )
    palette, labels, delta_e = _final_labels(loaded, colors, palette, color_labels, dither, dither_strength,
                                             rng, notes)
    return _result(loaded, palette, labels, start, colors_requested=n_colors, seed=seed,
                   algorithm=algorithm, init=init, notes=notes, colorspace=colors.space,
                   delta_e=delta_e[0], delta_e_p95=delta_e[1])


def _check_dither(dither, dither_strength):
    """Validate the dithering options; the strength as a float in [0, 1]."""
    check_choice(dither, "dither", DITHER_METHODS)
    dither_strength = check_float(dither_strength, "dither_strength", low=0.0)
    if dither_strength > 1:
        raise InvalidParameterError(f"dither_strength={dither_strength!r} must be in [0, 1]")
    return dither_strength


_DELTA_E_SAMPLE = 1 << 18


def _final_labels(loaded, colors, palette, color_labels, dither, strength, rng, notes):
    """The output palette, every pixel's label (dithered when asked and possible) and
    the (mean, p95) CIEDE2000 of the result."""
    dithered = dither != "none" and not colors.premultiplied
    if dither != "none" and colors.premultiplied:
        notes.append("not dithered: the image has partly transparent pixels")
    if not dithered:
        delta_e = _color_delta_e(colors, palette, color_labels)
    palette, labels = _pixel_labels(colors, palette, color_labels)
    if dithered:
        labels, delta_e = _dithered(loaded.pixels, palette, labels, dither, strength, rng)
        notes.append(f"{dither} dithering at strength {strength:g}; CIEDE2000 measured on "
                     f"up to {_DELTA_E_SAMPLE:,} sampled pixels")
    return palette, labels, delta_e


def _dithered(pixels, palette, labels, method, strength, rng):
    """Dithered labels (transparent pixels stay -1) and the CIEDE2000 of the result,
    on a sample of pixels (dithering makes every pixel's colour its own)."""
    rgb = np.ascontiguousarray(pixels[..., :3])
    dithered = dither_labels(rgb, palette[:, :3], labels, method=method, strength=strength)
    dithered[labels < 0] = -1
    visible = np.flatnonzero(dithered.reshape(-1) >= 0)
    if len(visible) > _DELTA_E_SAMPLE:
        visible = np.sort(rng.choice(visible, _DELTA_E_SAMPLE, replace=False))
    flat = rgb.reshape(-1, 3)
    return dithered, delta_e_2000(flat[visible], palette[dithered.reshape(-1)[visible], :3])


def _result(loaded, palette, labels, start, **report_fields):
    """Rebuild the image from palette and labels, measure it, and report."""
    pixels = loaded.pixels
    height, width, channels = pixels.shape
    transparent = bool(labels.min() < 0) if labels.size else False
    lookup = np.zeros((len(palette) + 1, channels), dtype=np.uint8)
    lookup[: len(palette), : palette.shape[1]] = palette
    if palette.shape[1] < channels:  # an opaque palette on an image with transparency
        lookup[: len(palette), 3] = 255
    rebuilt = lookup[labels]  # label -1 picks the zero row: fully transparent
    if channels == 4:
        reference, compared = premultiply(pixels), premultiply(rebuilt)
    else:
        reference, compared = pixels, rebuilt
    report = Report(
        input=str(loaded.path) if loaded.path is not None else None,
        width=width,
        height=height,
        colors_used=len(palette),
        psnr=psnr(reference, compared),
        ssim=ssim(reference, compared),
        input_bytes=loaded.file_bytes,
        raw_ratio=raw_ratio(width, height, channels, len(palette) + transparent),
        seconds=0.0,
        frames=loaded.frames,
        transparent=transparent,
        **report_fields,
    )
    report.seconds = loaded.seconds + time.perf_counter() - start
    return QuantizeResult(rebuilt, palette, labels, report, loaded.icc_profile)


def color_histogram(image, *, max_pixels=io.DEFAULT_MAX_PIXELS):
    """Distinct RGB colours of an image's visible pixels (alpha > 0) and their counts.

    What :func:`fit_shared_palette` merges; small enough to send between processes.

    Returns
    -------
    colors : (m, 3) ndarray of uint8
    counts : (m,) ndarray of int64
    """
    pixels = _as_loaded(image, max_pixels).pixels
    flat = pixels.reshape(-1, pixels.shape[2])
    if pixels.shape[2] == 4:
        flat = flat[flat[:, 3] != 0]
    histogram = ColorHistogram(flat[:, :3])
    return histogram.colors, histogram.counts


def fit_shared_palette(
    histograms, n_colors=16, *, algorithm="minibatch", init="k-means++", colorspace=DEFAULT_SPACE,
    random_state=None,
):
    """One RGB palette for several images, from their :func:`color_histogram`.

    The histograms are merged by adding counts, so every image weighs in proportion
    to its pixels, exactly as if all of them were one image.  ``algorithm``, ``init``,
    ``colorspace`` and ``random_state`` are as in :func:`quantize_image`; map the
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
    check_choice(algorithm, "algorithm", ALGORITHMS)
    check_choice(init, "init", INITS)
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    rng = check_random_state(random_state)
    parts = [(pack_colors(np.asarray(c, np.uint8).reshape(-1, 3)), np.asarray(n, np.int64)) for c, n in histograms]
    parts = [part for part in parts if len(part[0])]
    if not parts:
        raise InvalidParameterError("no visible pixel in any image: nothing to fit a palette to")
    codes, counts = merge_histograms(parts)
    colors = unpack_colors(codes, 3)
    if len(colors) <= n_colors:
        return colors
    centers = _cluster_colors(to_space(colors, colorspace), counts, colors, n_colors, algorithm=algorithm,
                              init=init, rng=rng)
    return np.unique(from_space(centers, colorspace), axis=0)


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
    max_pixels=io.DEFAULT_MAX_PIXELS,
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
    dither, dither_strength : keyword-only
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
    loaded = _as_loaded(image, max_pixels)
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
    color_labels, _ = assign(colors.features, to_space(palette, colorspace), with_distances=False)
    # a fixed stream: it only draws the pixels a dithered result's CIEDE2000 is measured on
    rng = np.random.default_rng(0)
    _, labels, delta_e = _final_labels(loaded, colors, palette, color_labels, dither, dither_strength, rng, notes)
    return _result(loaded, palette, labels, start,
                   colors_requested=len(palette), seed=None, algorithm="palette", init="none",
                   notes=notes, colorspace=colorspace, delta_e=delta_e[0], delta_e_p95=delta_e[1])
