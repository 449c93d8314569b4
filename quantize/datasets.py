"""Generated images with a known answer, for tests and benchmarks."""

import numpy as np
from skimage.filters import gaussian

from ._validation import check_float, check_int, check_random_state
from .errors import InvalidParameterError


#: Region colours of :func:`make_regions`: at least 120 apart in RGB and 47 in CIELAB
#: (a farthest-point pick from a grid, starting at grey), so that colour alone
#: misjudges only pixels that noise of σ = 25 per channel carries far.
REGION_COLORS = np.array(
    [[120, 120, 120], [220, 40, 220], [220, 220, 40], [220, 40, 40],
     [40, 220, 180], [40, 220, 40], [40, 80, 220], [220, 220, 160]],
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
        (x > 0.62) & (x < 0.92) & (y > 0.5) & (y < 0.6))
    c = np.hypot(y - 0.3, x - 0.8)
    yield (c > 0.06) & (c < 0.12) & ~((x > 0.8) & (np.abs(y - 0.3) < 0.04))  # a C
    yield np.hypot(y - 0.32, x - 0.3) < 0.06  # a disk inside the annulus
    yield (np.abs(x - 0.45) < 0.03) & (y > 0.1) & (y < 0.65)  # a thin bar
    yield ((np.abs(x - 0.12) < 0.05) | (np.abs(y - 0.62) < 0.025)) & (x < 0.35) & (y > 0.55) & (y < 0.95)  # a T


def _check_scene(shape, n_regions, noise):
    """The checked height, width, number of regions and noise of a generated scene."""
    return (check_int(shape[0], "height", low=16), check_int(shape[1], "width", low=16),
            check_int(n_regions, "n_regions", low=2, high=8), check_float(noise, "noise", low=0.0))


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
    colors = np.zeros((0, 3))
    while len(colors) < n_regions:  # rejection: 8 colours 96 apart fit easily in the cube
        color = rng.integers(0, 256, 3).astype(np.float64)
        if np.all(np.linalg.norm(colors - color, axis=1) >= SHAPE_COLOR_GAP):
            colors = np.vstack([colors, color])
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    truth = np.zeros((height, width), dtype=np.int32)
    least = 0.01 * height * width
    for label in range(1, n_regions):
        for _ in range(1000):  # a few tries at most: shapes cover 1 to 36 % of the image
            cy, cx = rng.uniform(0.15, 0.85, 2)
            ry, rx = rng.uniform(0.08, 0.3, 2)
            kind = rng.integers(3)
            if kind == 0:
                mask = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 < 1
            elif kind == 1:
                mask = (np.abs(y - cy) < ry) & (np.abs(x - cx) < rx)
            else:
                mask = (y > cy - ry) & (y < cy + ry) & (np.abs(x - cx) < (y - cy + ry) * rx / (2 * ry))
            trial = np.where(mask, label, truth)
            if np.bincount(trial.ravel(), minlength=label + 1).min() >= least:
                truth = trial
                break
    image = colors[truth] + rng.normal(0.0, noise, (height, width, 3))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), truth
