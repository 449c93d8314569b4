"""Segmentation: colour clusters, their connected regions, speckle cleanup and statistics.

Pixels are clustered by colour (DIN99o by default), optionally with their position,
scaled as SLIC's compactness scales it, after a smoothing the image's noise decides.
A *cluster* is a set of pixels of similar colour anywhere in the image; a *region* is
a 4-connected piece of one cluster.  Regions smaller than ``min_region`` pixels
(by default a share of the image) are merged into a neighbour, so that no speckle is
left.
"""

import time

import numpy as np

from .._parallel import blas_on_one_thread
from .._validation import RandomState, resolve_seed, settings_for_call
from ..color.alpha import visible_mask
from ..color.spaces import DEFAULT_SPACE
from ..image import ImageLike, as_loaded
from ..quantization.search import DEFAULT_EFFORT
from .auto import NOISY, auto_min_region, auto_sigma, estimate_noise, residual_noise, space_for_noise
from .clustering import cluster_pixels, smooth
from .regions import region_map, statistics
from .result import SegmentResult
from .settings import AUTO, SegmentSettings
from .speckle import despeckle, speckle_size


@blas_on_one_thread()
def segment_image(
    image: ImageLike,
    n_segments: int = 4,
    *,
    settings: SegmentSettings | None = None,
    spatial: float = 0.0,
    min_region: int | str = AUTO,
    sigma: float | str = AUTO,
    colorspace: str = DEFAULT_SPACE,
    effort: str = DEFAULT_EFFORT,
    random_state: RandomState = None,
) -> SegmentResult:
    """Segment an image into clusters of similar colour and their connected regions.

    Parameters
    ----------
    image : LoadedImage, PIL.Image.Image or ndarray
        As in :func:`quantize.quantize_image`.
    n_segments : int, default 4
        Number of colour clusters, 1..256.
    settings : SegmentSettings, optional, keyword-only
        All the options below at once; ``n_segments`` and keywords given beside it with
        another value than their default replace its fields.
    spatial : float, keyword-only
        Weight of the pixel position against colour, as SLIC's ``compactness``: the
        position in units of the grid step sqrt(pixels / n_segments) is multiplied by
        it.  0 (the default) clusters by colour alone; larger values give more
        compact, blob-like regions (one grid step then weighs as much as a colour
        difference of ``spatial``).  The colour scale is larger in RGB (0..255) than
        in CIELAB or DIN99o, so the same effect needs larger values there.  Above 0, the clustering runs on a sample of
        :data:`SPATIAL_SAMPLE` pixels instead of the colour histogram.
    min_region : int or "auto", keyword-only
        Regions with fewer pixels are merged into the neighbouring region they share
        the longest border with (ties: the nearest in colour), until none is left.
        "auto" (the default): 1/2000 of the image's pixels, at least 16
        (:func:`~quantize.segmentation.auto.auto_min_region`); 0 keeps every region.
    sigma : float or "auto", keyword-only
        Standard deviation, in pixels, of a Gaussian smoothing of the colours before
        they are clustered (as SLIC's ``sigma``), which keeps noise from scattering
        pixels across clusters.  "auto" (the default) estimates the image's noise
        (:func:`~quantize.segmentation.auto.estimate_noise`) and smooths just enough
        to bring it down to about 5 sRGB units, not at all on a clean image; 0 does
        not smooth.  With colour alone (``spatial`` 0), smoothed colours are
        labelled by their nearest cluster mean in sRGB, where the smoothing averaged
        them; statistics and colours are always taken from the unsmoothed pixels.
    colorspace : {"lab", "rgb", "oklab", "din99o"}, keyword-only
        Space the cluster centres are searched in: DIN99o (perceptual, the default),
        CIELAB, sRGB, or OKLab.  With colour alone (``spatial`` 0), an image whose noise is
        :data:`~quantize.segmentation.auto.NOISY` sRGB units or more is clustered in
        sRGB whatever the space: only there is its noise the same in every direction,
        and k-means in DIN99o, CIELAB or OKLab splits a large noisy region along its noisiest
        axis instead of separating two regions (docs/benchmarks.md, "Segmentation
        quality").  The result's ``parameters`` record the noise and the space used.
    effort : {"normal", "fast", "thorough"}, keyword-only
        How far the colour clustering searches, as in :func:`quantize.quantize_image`
        (with ``spatial`` > 0 the clustering is a k-means++ fit on a sample instead).
    random_state : None, int or numpy.random.Generator, keyword-only

    Returns
    -------
    SegmentResult

    Guarantees
    ----------
    - Every non-transparent pixel is in exactly one cluster and one region; fully
      transparent pixels (alpha 0) are in none (-1).
    - At most ``n_segments`` clusters, none empty; shares sum to 1.
    - Every region is 4-connected and lies in one cluster; with ``min_region``, no
      region smaller than it has a neighbour.
    - The same input, parameters and integer ``random_state`` give the same result.
    """
    s = settings_for_call(SegmentSettings, settings, locals())  # the keywords of the signature
    seed, rng = resolve_seed(s.random_state)
    loaded = as_loaded(image)
    start = time.perf_counter()
    pixels = loaded.pixels
    height, width, channels = pixels.shape
    rgb = pixels[..., :3]
    visible = visible_mask(pixels.reshape(-1, channels))
    where = None if visible is None else np.flatnonzero(visible)

    visible_map = None if visible is None else visible.reshape(height, width)
    noise = estimate_noise(rgb, visible_map)
    smoothing = auto_sigma(noise) if isinstance(s.sigma, str) else s.sigma
    # the spatial weight is defined against the colour space asked for: it stays there
    noisy = s.spatial == 0 and noise >= NOISY
    space = space_for_noise(s.colorspace, noise) if s.spatial == 0 else s.colorspace
    n_visible = height * width if where is None else len(where)
    min_region = auto_min_region(n_visible) if s.min_region == AUTO else s.min_region
    clusters = None
    centers = np.zeros((0, 3), np.float32)
    if where is None or len(where):
        smoothed = smooth(rgb, smoothing) if smoothing > 0 else rgb
        labels, centers = cluster_pixels(
            smoothed,
            where,
            s.n_segments,
            colorspace=space,
            spatial=s.spatial,
            effort=s.effort,
            rng=rng,
            label_in_rgb=smoothing > 0 and space != "rgb",
            noise=residual_noise(noise, smoothing) if noisy else None,
        )
        del smoothed
        if where is None:  # the labels are the map: no second copy of it
            clusters = labels.astype(np.int32, copy=False)
        else:
            clusters = np.full(height * width, -1, dtype=np.int32)
            clusters[where] = labels
        del labels
    if clusters is None:
        clusters = np.full(height * width, -1, dtype=np.int32)
    clusters = despeckle(clusters.reshape(height, width), speckle_size(min_region), centers)
    notes = list(loaded.notes)
    if 0 < len(centers) < s.n_segments:
        notes.append(f"only {len(centers)} clusters: the image has too few distinct colours for {s.n_segments}")

    return SegmentResult(
        image=pixels,
        **statistics(rgb, region_map(clusters, centers, min_region)),
        parameters={
            "n_segments": s.n_segments,
            "colorspace": s.colorspace,
            "effort": s.effort,
            "spatial": s.spatial,
            "min_region": min_region,
            "sigma": smoothing,
            "noise": round(noise, 2),
            "cluster_space": space,
            "seed": seed,
        },
        input=str(loaded.path) if loaded.path is not None else None,
        notes=notes,
        seconds=loaded.seconds + time.perf_counter() - start,
    )
