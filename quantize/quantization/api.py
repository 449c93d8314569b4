"""The public functions of quantisation: arrays (or a file) in, results out.

:func:`quantize_image` validates once (:class:`QuantizeSettings`), then histogram →
palette search (:mod:`.colors`, :mod:`.search`, :mod:`.target`) → labels, metrics and
report (:mod:`.result`).  :func:`apply_palette` maps to a given palette;
:func:`color_histogram` and :func:`fit_shared_palette` fit one palette on many images.
"""

import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .._parallel import blas_on_one_thread
from .._validation import RandomState, check_int, check_random_state, resolve_seed, settings_for_call
from ..color.alpha import visible_pixels
from ..color.histogram import ColorHistogram, merge_histograms, pack_colors, unpack_colors
from ..color.spaces import DEFAULT_SPACE, from_space, to_space
from ..errors import InvalidParameterError, TargetNotMetError
from ..image import ImageLike, as_loaded
from .colors import histogram_colors, image_colors
from .labels import pixel_labels
from .levels import Levels
from .palette import nearest_entries, palette_for
from .result import QuantizeResult, build_result, final_labels
from .search import DEFAULT_EFFORT, cluster_colors
from .settings import MAX_PALETTE, QuantizeSettings, check_histogram, check_palette
from .target import fitted_palette


@blas_on_one_thread()
def fit_palette(
    image: ImageLike,
    n_colors: int = 16,
    *,
    algorithm: str = "lloyd",
    init: str = "wu",
    effort: str = DEFAULT_EFFORT,
    colorspace: str = DEFAULT_SPACE,
    random_state: RandomState = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The quantisation alone: a palette and the label of every pixel, nothing more.

    :func:`quantize_image` does this and then rebuilds the image and measures it; call
    this when only the palette and the labels are needed (segmentation, benchmarks).

    Parameters
    ----------
    image : str, Path, LoadedImage, PIL.Image.Image or ndarray
        As in :func:`quantize_image`.
    n_colors, algorithm, init, effort, colorspace, random_state
        As in :func:`quantize_image`: the same palette and labels as its result's.

    Returns
    -------
    palette : (n, 3) or (n, 4) ndarray of uint8
    labels : (H, W) ndarray of int16 (int32 above 32767 colours), -1 where fully transparent
    """
    s = QuantizeSettings(
        n_colors=n_colors,
        algorithm=algorithm,
        init=init,
        effort=effort,
        colorspace=colorspace,
        random_state=random_state,
    )
    colors = image_colors(as_loaded(image).pixels, s.colorspace)
    palette, color_labels = palette_for(colors, s.n_colors, s.search, rng=check_random_state(s.random_state), notes=[])
    return pixel_labels(colors, palette, color_labels)


@blas_on_one_thread()
def quantize_image(
    image: ImageLike,
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
    progress: Callable[[int, int], None] | None = None,
) -> QuantizeResult:
    """Reduce an image to at most ``n_colors`` colours with weighted k-means.

    The distinct colours are clustered, weighted by their pixel counts (the same
    objective as clustering every pixel, at a cost that grows with the number of
    distinct colours), and every pixel takes its colour's nearest palette entry.

    Parameters
    ----------
    image : LoadedImage, PIL.Image.Image or ndarray
        An image :func:`quantize.load_image` read from a file, a Pillow image, or an
        (H, W), (H, W, 3) or (H, W, 4) array of uint8, uint16 or floats in [0, 1]
        (see ``check_image``).
    n_colors : int, default 16
        Maximum number of colours, >= 1.  Palette files (PNG-8, GIF) hold up to 256.
    settings : QuantizeSettings, optional, keyword-only
        All the options below at once; ``n_colors`` and keywords given beside it with
        another value than their default replace its fields.
    algorithm : {"lloyd", "minibatch"}, keyword-only
        Lloyd steps from coarse bins of the histogram to its exact colours, or
        Sculley's mini-batch k-means on the bins first (see :mod:`quantize.quantization.search`).
    init : {"wu", "k-means++", "random", "sharding"}, keyword-only
        The start: Wu's colour quantiser (deterministic, the default; see
        :mod:`quantize.cluster.wu`) or a seeding of :class:`quantize.KMeans`.
    effort : {"normal", "fast", "thorough"}, keyword-only
        How far the search goes: "fast" stops at the coarse bins, "normal" refines on
        the exact colours, "thorough" adds k-means++ restarts and keeps the best
        (never worse than the other two).  Measured times and qualities: docs/benchmarks.md,
        "Effort".
    random_state : None, int or numpy.random.Generator, keyword-only
        Seeds the random inits, mini-batch and the thorough restarts (the default
        search draws nothing).  None draws a fresh seed, which the report records so
        the run can be repeated.
    quality : float, optional, keyword-only
        A PSNR target in dB: use the fewest colours (at most ``n_colors``) whose
        result reaches it; that result is exactly the one asking for that many colours
        gives.  The report's notes say the k chosen and the value reached.
    max_delta_e : float, optional, keyword-only
        A target for the mean CIEDE2000 difference, alone or with ``quality``.
    colorspace : {"lab", "rgb", "oklab", "din99o"}, keyword-only
        Space the colours are clustered in (CIELAB as skimage's rgb2lab, OKLab from its
        published matrices, DIN99o as DIN 6176 defines it from CIELAB); the centres are
        converted back to sRGB for the palette and every colour takes its nearest
        entry in the same space.  DIN99o, the default, is built so that its distances
        follow CIEDE2000's and gives the lowest mean CIEDE2000 on every opaque photo
        measured; "rgb" the highest PSNR.  Images with partly transparent pixels are clustered as premultiplied
        RGBA (noted).
    dither : {"none", "floyd-steinberg", "ordered"}, keyword-only
        Dither against the fitted palette (see :mod:`quantize.quantization.dither`); not applied to
        images with partly transparent pixels (noted).  The report's CIEDE2000 is then
        measured on a sample of the dithered pixels.
    dither_strength : float in [0, 1], keyword-only
    lock : (m, 3) array of uint8, optional, keyword-only
        Colours kept exactly in the palette (brand colours, pure black and white); the
        other n_colors - m centres are learnt around them by the same search (its start,
        effort and Lloyd steps; mini-batch k-means has no fixed centres, so
        ``algorithm="minibatch"`` runs Lloyd steps with a lock).  Not with a quality
        target or partly transparent pixels.
    ssim : bool, keyword-only
        Also measure SSIM for the report (off by default: it is the costliest
        metric, up to a third of the call on a big image).
    progress : callable, optional, keyword-only
        With a quality target, called as ``progress(fits, most)`` after each palette
        the search fits (``most`` bounds the number of fits; the last call has
        ``fits == most``).

    Returns
    -------
    QuantizeResult

    Raises
    ------
    InvalidParameterError
        A setting out of its domain (before any work).
    TargetNotMetError
        When ``n_colors`` colours do not reach the target; its ``result`` is the
        ``n_colors`` result, with the miss in its report's notes.

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
    s = settings_for_call(QuantizeSettings, settings, locals())  # the keywords of the signature
    seed, rng = resolve_seed(s.random_state)
    loaded = as_loaded(image)
    start = time.perf_counter()  # loading is timed by load_image
    notes = list(loaded.notes)
    colors = image_colors(loaded.pixels, s.colorspace, notes)
    if s.lock is not None and colors.premultiplied:
        raise InvalidParameterError("locked colours need an image without partly transparent pixels")
    fitted = fitted_palette(colors, s, seed=seed, rng=rng, notes=notes, progress=progress)
    palette, color_labels, miss = fitted.palette, fitted.color_labels, fitted.miss
    final = final_labels(loaded, colors, palette, color_labels, s.dither, s.dither_strength, notes)
    if miss is not None:
        notes.append(miss.message)
    result = build_result(
        loaded,
        final.palette,
        final.labels,
        start,
        with_ssim=s.ssim,
        exact_psnr=final.psnr,
        colors_requested=s.n_colors,
        seed=seed,
        notes=notes,
        colorspace=colors.space,
        delta_e=final.delta_e,
        delta_e_p95=final.delta_e_p95,
        algorithm=s.algorithm,
        init=s.init,
        effort=s.effort,
    )
    if miss is not None:
        raise TargetNotMetError(miss.message, miss.reached, result)
    return result


@blas_on_one_thread()
def color_histogram(image: ImageLike) -> tuple[np.ndarray, np.ndarray]:
    """Distinct RGB colours of an image's visible pixels (alpha > 0) and their counts.

    What :func:`fit_shared_palette` merges; small enough to send between processes.

    Returns
    -------
    colors : (m, 3) ndarray of uint8
    counts : (m,) ndarray of int64
    """
    flat, _ = visible_pixels(as_loaded(image).pixels)
    histogram = ColorHistogram(flat[:, :3])
    return histogram.colors, histogram.counts


@blas_on_one_thread()
def fit_shared_palette(
    histograms: Iterable[tuple[np.ndarray, np.ndarray]],
    n_colors: int = 16,
    *,
    algorithm: str = "lloyd",
    init: str = "wu",
    effort: str = DEFAULT_EFFORT,
    colorspace: str = DEFAULT_SPACE,
    random_state: RandomState = None,
) -> np.ndarray:
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
    s = QuantizeSettings(
        n_colors=n_colors,
        algorithm=algorithm,
        init=init,
        effort=effort,
        colorspace=colorspace,
        random_state=random_state,
    )
    check_int(s.n_colors, "n_colors", high=MAX_PALETTE)
    rng = check_random_state(s.random_state)
    checked = list(map(check_histogram, histograms))
    if sum(float(counts.sum(dtype=np.float64)) for _, counts in checked) >= 2.0**62:
        raise InvalidParameterError("the histograms' counts add up to 2^62 pixels or more")
    # colours of no pixel carry no weight: they are no part of the fit
    parts = [(pack_colors(colors[counts > 0]), counts[counts > 0]) for colors, counts in checked]
    parts = [part for part in parts if len(part[0])]
    if not parts:
        raise InvalidParameterError("no visible pixel in any image: nothing to fit a palette to")
    codes, counts = merge_histograms(parts)
    colors = unpack_colors(codes, 3)
    if len(colors) <= s.n_colors:
        return colors
    levels = Levels(to_space(colors, s.colorspace), counts, colors)
    centers = cluster_colors(levels, s.n_colors, s.search, rng=rng)
    return np.unique(from_space(centers, s.colorspace), axis=0)


@blas_on_one_thread()
def apply_palette(
    image: ImageLike,
    palette: np.ndarray | Sequence,
    *,
    colorspace: str = DEFAULT_SPACE,
    dither: str = "none",
    dither_strength: float = 1.0,
    ssim: bool = False,
) -> QuantizeResult:
    """Map every pixel to the nearest colour of a given RGB palette.

    Parameters
    ----------
    image : str, Path, LoadedImage, PIL.Image.Image or ndarray
        As in :func:`quantize_image`.
    palette : (n, 3) array of uint8, 1 <= n <= 256
    colorspace : {"lab", "rgb", "oklab", "din99o"}, keyword-only
        The space "nearest" is measured in; the one the palette was fitted in gives
        back :func:`quantize_image`'s pixels.
    dither, dither_strength, ssim : keyword-only
        As in :func:`quantize_image`.

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
    s = QuantizeSettings(colorspace=colorspace, dither=dither, dither_strength=dither_strength, ssim=ssim)
    loaded = as_loaded(image)
    start = time.perf_counter()
    pixels = loaded.pixels
    notes = list(loaded.notes)
    flat, visible = visible_pixels(pixels)
    if flat.shape[1] == 4 and (flat[:, 3] < 255).any():
        notes.append("partly transparent pixels were made opaque: the palette has no alpha")
    histogram = ColorHistogram(flat[:, :3])
    colors = histogram_colors(histogram, s.colorspace, False, visible, pixels.shape)
    color_labels = nearest_entries(colors, palette, s.colorspace)
    # PSNR from the pixels: partly transparent ones become opaque, which the colours do not show
    final = final_labels(loaded, colors, palette, color_labels, s.dither, s.dither_strength, notes)
    return build_result(
        loaded,
        palette,
        final.labels,
        start,
        with_ssim=s.ssim,
        colors_requested=len(palette),
        seed=None,
        algorithm="palette",
        init="none",
        notes=notes,
        colorspace=s.colorspace,
        delta_e=final.delta_e,
        delta_e_p95=final.delta_e_p95,
    )
