"""Generated images with a known answer, for tests and benchmarks."""

import numpy as np
from skimage.filters import gaussian

from ._validation import check_choice, check_float, check_int, check_random_state
from .errors import InvalidParameterError

#: Region colours of :func:`make_regions`: at least 120 apart in RGB and 47 in CIELAB
#: (a farthest-point pick from a grid, starting at grey), so that colour alone
#: misjudges only pixels that noise of σ = 25 per channel carries far.
REGION_COLORS = np.array(
    [
        [120, 120, 120],
        [220, 40, 220],
        [220, 220, 40],
        [220, 40, 40],
        [40, 220, 180],
        [40, 220, 40],
        [40, 80, 220],
        [220, 220, 160],
    ],
    dtype=np.uint8,
)


def _shapes(height, width):
    """Boolean masks of non-convex shapes of different sizes, painted in this order."""
    y, x = np.mgrid[0:height, 0:width]
    y, x = y / height, x / width
    ring = np.hypot(y - 0.32, x - 0.3)
    yield (ring > 0.12) & (ring < 0.24)  # an annulus
    yield (np.abs(y - (0.78 + 0.07 * np.sin(2 * np.pi * 2.5 * x))) < 0.07)  # a wavy band
    yield ((x > 0.62) & (x < 0.72) & (y > 0.08) & (y < 0.6)) | (  # an L
        (x > 0.62) & (x < 0.92) & (y > 0.5) & (y < 0.6)
    )
    c = np.hypot(y - 0.3, x - 0.8)
    yield (c > 0.06) & (c < 0.12) & ~((x > 0.8) & (np.abs(y - 0.3) < 0.04))  # a C
    yield np.hypot(y - 0.32, x - 0.3) < 0.06  # a disk inside the annulus
    yield (np.abs(x - 0.45) < 0.03) & (y > 0.1) & (y < 0.65)  # a thin bar
    yield ((np.abs(x - 0.12) < 0.05) | (np.abs(y - 0.62) < 0.025)) & (x < 0.35) & (y > 0.55) & (y < 0.95)  # a T


def _check_scene(shape, n_regions, noise, most=8):
    """The checked height, width, number of regions (2..``most``) and noise of a
    generated scene."""
    return (
        check_int(shape[0], "height", low=16),
        check_int(shape[1], "width", low=16),
        check_int(n_regions, "n_regions", low=2, high=most),
        check_float(noise, "noise", low=0.0),
    )


def make_regions(shape=(192, 256), n_regions=5, *, noise=25.0, blur=1.0, colors=None, random_state=None):
    """A piecewise-constant colour image of non-convex regions, blurred, with noise.

    Parameters
    ----------
    shape : (int, int)
        Height and width, each >= 16.
    n_regions : int
        2..8: the background and ``n_regions - 1`` shapes (an annulus, a wavy band, an
        L, a C, a disk, a bar, a T), of different sizes.
    noise : float, keyword-only
        Standard deviation of the Gaussian noise added to every channel.
    blur : float, keyword-only
        Standard deviation, in pixels, of the Gaussian blur applied before the noise.
    colors : (>= n_regions, 3) array of uint8, keyword-only
        Region colours; :data:`REGION_COLORS` by default.
    random_state : None, int or numpy.random.Generator, keyword-only

    Returns
    -------
    image : (H, W, 3) ndarray of uint8
    truth : (H, W) ndarray of int32
        The region of every pixel, 0..n_regions-1; each region is non-empty.
    """
    height, width, n_regions, noise = _check_scene(shape, n_regions, noise)
    blur = check_float(blur, "blur", low=0.0)
    palette = REGION_COLORS if colors is None else np.asarray(colors, dtype=np.uint8)
    if palette.ndim != 2 or palette.shape[1] != 3 or len(palette) < n_regions:
        raise InvalidParameterError(f"colors must be an (n >= {n_regions}, 3) array")
    rng = check_random_state(random_state)
    truth = np.zeros((height, width), dtype=np.int32)
    for label, mask in zip(range(1, n_regions), _shapes(height, width)):
        truth[mask] = label
    image = palette[truth].astype(np.float64)
    if blur > 0:
        image = gaussian(image, sigma=blur, channel_axis=-1, preserve_range=True)
    image += rng.normal(0.0, noise, image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), truth


#: Least RGB distance between two colours of :func:`make_shapes`.
SHAPE_COLOR_GAP = 96.0
#: Least RGB distance between two colours of :func:`make_scene`: with noise of 25 per
#: channel, neighbouring regions overlap before smoothing.
SCENE_COLOR_GAP = 60.0
#: Colour families of :func:`make_scene`: where in the cube its colours are drawn.
SCENE_COLORS = ("random", "close hues", "dark", "pastel")
#: Layouts of :func:`make_scene`: the range of the shapes' half-sizes (a share of the
#: image's side), drawn uniformly ("even", "dominant": small shapes on a background that
#: keeps most of the image) or on a log scale ("varied": regions of very different sizes).
SCENE_LAYOUTS = {"even": (0.08, 0.3), "dominant": (0.05, 0.15), "varied": (0.03, 0.45)}
_MAX_SCENE_REGIONS = 12


def _distinct_colors(rng, n, gap, draw):
    """n colours from ``draw(rng)``, any two at least ``gap`` apart in RGB (rejection;
    a fresh start if a crowded family leaves no room)."""
    for _ in range(100):
        colors = np.zeros((0, 3))
        for _ in range(20 * n + 1000):
            color = draw(rng)
            if np.all(np.linalg.norm(colors - color, axis=1) >= gap):
                colors = np.vstack([colors, color])
                if len(colors) == n:
                    return colors
    raise InvalidParameterError(f"cannot draw {n} colours {gap:g} apart in this family")


def _paint_shapes(rng, height, width, n_regions, *, centres, radii, log=False, least=0.01):
    """Region map of a background and ``n_regions - 1`` shapes (ellipses, rectangles,
    triangles) painted in turn, each keeping at least ``least`` of the image visible."""
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    truth = np.zeros((height, width), dtype=np.int32)
    fewest = least * height * width
    for label in range(1, n_regions):
        for _ in range(1000):  # a few tries at most
            cy, cx = rng.uniform(*centres, 2)
            ry, rx = np.exp(rng.uniform(*np.log(radii), 2)) if log else rng.uniform(*radii, 2)
            kind = rng.integers(3)
            if kind == 0:
                mask = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 < 1
            elif kind == 1:
                mask = (np.abs(y - cy) < ry) & (np.abs(x - cx) < rx)
            else:
                mask = (y > cy - ry) & (y < cy + ry) & (np.abs(x - cx) < (y - cy + ry) * rx / (2 * ry))
            trial = np.where(mask, label, truth)
            if np.bincount(trial.ravel(), minlength=label + 1).min() >= fewest:
                truth = trial
                break
    return truth


def _noisy(colors, truth, noise, rng):
    image = colors[truth] + rng.normal(0.0, noise, truth.shape + (3,))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def make_shapes(shape=(240, 320), n_regions=6, *, noise=25.0, random_state=None):
    """Flat shapes of random colours on a background, with Gaussian noise.

    Unlike :func:`make_regions`, the colours are drawn at random (dark and pale ones
    included, any two at least :data:`SHAPE_COLOR_GAP` apart in RGB) and the shapes
    (rectangles, ellipses and triangles of random size and place) have sharp edges.

    Parameters
    ----------
    shape : (int, int)
        Height and width, each >= 16.
    n_regions : int
        2..8: the background and ``n_regions - 1`` shapes, painted in turn; each keeps
        at least 1 % of the image visible.
    noise : float, keyword-only
        Standard deviation of the Gaussian noise added to every channel.
    random_state : None, int or numpy.random.Generator, keyword-only

    Returns
    -------
    image : (H, W, 3) ndarray of uint8
    truth : (H, W) ndarray of int32
        The region of every pixel, 0..n_regions-1; each region is non-empty.
    """
    height, width, n_regions, noise = _check_scene(shape, n_regions, noise)
    rng = check_random_state(random_state)
    colors = _distinct_colors(rng, n_regions, SHAPE_COLOR_GAP, lambda r: r.integers(0, 256, 3).astype(np.float64))
    truth = _paint_shapes(rng, height, width, n_regions, centres=(0.15, 0.85), radii=(0.08, 0.3))
    return _noisy(colors, truth, noise, rng), truth


def _scene_color(family, hue):
    """A function drawing one colour of ``family`` (``hue`` in 0..1 for "close hues")."""
    if family == "dark":
        return lambda rng: rng.uniform(0, 130, 3)
    if family == "pastel":
        return lambda rng: rng.uniform(120, 255, 3)
    if family == "close hues":
        from colorsys import hsv_to_rgb

        return lambda rng: (
            255 * np.array(hsv_to_rgb((hue + rng.uniform(-0.08, 0.08)) % 1, rng.uniform(0.2, 1), rng.uniform(0.25, 1)))
        )
    return lambda rng: rng.uniform(0, 255, 3)


def make_scene(shape=(240, 320), n_regions=6, *, colors="random", layout="even", noise=25.0, random_state=None):
    """Flat shapes on a background from a family of colours and layouts, with noise:
    the scenes segmentation is measured on (bench/segment.py).

    Parameters
    ----------
    shape : (int, int)
        Height and width, each >= 16.
    n_regions : int
        2..12: the background and ``n_regions - 1`` shapes (ellipses, rectangles,
        triangles) painted in turn; each keeps at least 0.5 % of the image.
    colors : {"random", "close hues", "dark", "pastel"}, keyword-only
        Where the region colours are drawn (:data:`SCENE_COLORS`): anywhere in the RGB
        cube, around one hue (blues and teals, say), in its dark corner (0..130) or its
        pale one (120..255); any two at least :data:`SCENE_COLOR_GAP` apart.
    layout : {"even", "dominant", "varied"}, keyword-only
        The shapes' sizes (:data:`SCENE_LAYOUTS`).
    noise : float, keyword-only
        Standard deviation of the Gaussian noise added to every channel.
    random_state : None, int or numpy.random.Generator, keyword-only

    Returns
    -------
    image : (H, W, 3) ndarray of uint8
    truth : (H, W) ndarray of int32
        The region of every pixel, 0..n_regions-1; each region is non-empty.
    """
    height, width, n_regions, noise = _check_scene(shape, n_regions, noise, most=_MAX_SCENE_REGIONS)
    check_choice(colors, "colors", SCENE_COLORS)
    check_choice(layout, "layout", tuple(SCENE_LAYOUTS))
    rng = check_random_state(random_state)
    palette = _distinct_colors(rng, n_regions, SCENE_COLOR_GAP, _scene_color(colors, rng.uniform()))
    truth = _paint_shapes(
        rng,
        height,
        width,
        n_regions,
        centres=(0.1, 0.9),
        radii=SCENE_LAYOUTS[layout],
        log=layout == "varied",
        least=0.005,
    )
    return _noisy(palette, truth, noise, rng), truth
