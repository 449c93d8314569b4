"""The spaces colours are clustered in, and the way back to uint8 palette entries.

Opaque images are clustered in CIELAB by default (:data:`DEFAULT_SPACE`), sRGB or
OKLab on request.  Images with partly transparent pixels are clustered as
premultiplied RGBA (colour scaled by alpha): that is what a compositor shows, so the
colour of a nearly transparent pixel counts for little and the colour hidden under a
fully transparent one for nothing.  Premultiplication rounds to integers exactly as
:func:`premultiply` does, so the clustering minimises the very error the report
measures.

CIELAB, its inverse and CIEDE2000 are computed here in NumPy, equal to
skimage.color's to 1e-9: importing skimage.color costs a fifth of a second (it brings
SciPy), which every ``quantize compress`` would pay.
"""

import math

import numpy as np

from .parallel import thread_map

# Rows per chunk of the conversions below: their float64 temporaries stay a few
# megabytes each however many colours an image has (a noisy 100 MP one has 11 million).
_CHUNK = 1 << 16


def _by_chunks(function, n, dtype, tail=()):
    """(n, *tail) array of ``dtype`` filled by ``function(rows_slice)``, chunk by chunk,
    on the package's threads."""
    out = np.empty((n, *tail), dtype=dtype)

    def work(start):
        part = slice(start, start + _CHUNK)
        out[part] = function(part)

    thread_map(work, range(0, n, _CHUNK))
    return out


def premultiply(rgba):
    """Colour scaled by alpha, rounded: (..., 4) uint8 → (..., 4) uint8 (alpha unchanged)."""
    out = rgba.copy()
    out[..., :3] = (rgba[..., :3].astype(np.uint16) * rgba[..., 3:] + 127) // 255
    return out


def to_features(colors, premultiplied):
    """Clustering coordinates of (m, c) uint8 colours: (m, c) float32 (exact values)."""
    return (premultiply(colors) if premultiplied else colors).astype(np.float32)


def to_palette(centers, premultiplied):
    """uint8 palette entries for cluster centres given in feature space.

    RGB centres are rounded.  Premultiplied centres get the rounded alpha (at least 1:
    a cluster of visible pixels stays visible) and, per channel, the straight colour
    whose premultiplied value is nearest the centre, so that the round trip through a
    straight-alpha palette loses as little as possible.  At low alpha many straight
    colours premultiply alike; among those the one nearest the cluster's own straight
    colour (the centre over its unrounded alpha) is kept, so that nearly transparent
    white stays white.
    """
    if not premultiplied:
        return np.clip(np.rint(centers), 0, 255).astype(np.uint8)
    alpha = np.clip(np.rint(centers[:, 3]), 1, 255)
    straight = centers[:, :3] * 255 / np.maximum(centers[:, 3:], 1e-6)
    steps = np.array([0, -1, 1])
    candidates = np.clip(np.concatenate([np.rint(straight)[..., None] + steps,
                                         np.rint(centers[:, :3] * 255 / alpha[:, None])[..., None] + steps],
                                        axis=2), 0, 255)
    shown = (candidates * alpha[:, None, None] + 127) // 255
    error = np.abs(shown - centers[:, :3, None])
    # nearest premultiplied value first; among equals, nearest the straight colour
    error += np.abs(candidates - straight[..., None]) * 1e-9
    best = error.argmin(axis=2)
    rgb = np.take_along_axis(candidates, best[..., None], axis=2)[..., 0]
    return np.column_stack([rgb, alpha]).astype(np.uint8)


#: Spaces colours can be clustered in (compress, segment, batch).
CLUSTER_SPACES = ("rgb", "lab", "oklab")
#: CIELAB gives the lowest mean CIEDE2000 at equal k on most photos (bench/colorspaces.py,
#: README "Colour spaces"); sRGB gives the highest PSNR.
DEFAULT_SPACE = "lab"

# OKLab (Björn Ottosson, 2020): linear sRGB → LMS → cube root → Lab, and back.
_OKLAB_M1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                      [0.2119034982, 0.6806995451, 0.1073969566],
                      [0.0883024619, 0.2817188376, 0.6299787005]])
_OKLAB_M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                      [1.9779984951, -2.4285922050, 0.4505937099],
                      [0.0259040371, 0.7827717662, -0.8086757660]])
_OKLAB_M2_INV = np.array([[1.0, 0.3963377774, 0.2158037573],
                          [1.0, -0.1055613458, -0.0638541728],
                          [1.0, -0.0894841775, -1.2914855480]])
_OKLAB_M1_INV = np.array([[4.0767416621, -3.3077115913, 0.2309699292],
                          [-1.2684380046, 2.6097574011, -0.3413193965],
                          [-0.0041960863, -0.7034186147, 1.7076147010]])


def _to_linear(srgb):
    """sRGB in [0, 1] → linear light (IEC 61966-2-1)."""
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear):
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def to_space(rgb, space, dtype=np.float32):
    """(m, 3) uint8 sRGB colours → (m, 3) coordinates of ``dtype`` in ``space``.

    "rgb" is the 0..255 values themselves; "lab" is CIELAB (D65, :func:`srgb_to_lab`);
    "oklab" is Ottosson's OKLab with L scaled to 0..100 like CIELAB's.
    """
    rgb = np.asarray(rgb, dtype=np.uint8)
    if space == "rgb":
        return rgb.astype(dtype)
    if space == "lab":
        return srgb_to_lab(rgb, dtype)
    return _by_chunks(lambda part: 100.0 * np.cbrt(_LINEAR[rgb[part]] @ _OKLAB_M1.T) @ _OKLAB_M2.T,
                      len(rgb), dtype, (3,))


def from_space(coordinates, space):
    """Inverse of :func:`to_space`: (m, 3) coordinates → (m, 3) uint8 sRGB, rounded and
    clipped to the gamut."""
    coordinates = np.asarray(coordinates, dtype=np.float64)
    if space == "rgb":
        return np.clip(np.rint(coordinates), 0, 255).astype(np.uint8)
    if space == "lab":
        srgb = lab_to_srgb(coordinates)
    else:
        lms = (coordinates / 100.0) @ _OKLAB_M2_INV.T
        srgb = _to_srgb((lms**3) @ _OKLAB_M1_INV.T)
    return np.clip(np.rint(srgb * 255.0), 0, 255).astype(np.uint8)


# CIELAB as skimage.color's rgb2lab and lab2rgb compute it (D65, 2° observer).
_XYZ_FROM_RGB = np.array([[0.412453, 0.357580, 0.180423],
                          [0.212671, 0.715160, 0.072169],
                          [0.019334, 0.119193, 0.950227]])
_D65 = np.array([0.95047, 1.0, 1.08883])
_RGB_FROM_XYZ = np.linalg.inv(_XYZ_FROM_RGB)
_LINEAR = _to_linear(np.arange(256) / 255.0)  # linear light of every 8-bit value


def srgb_to_lab(rgb, dtype=np.float64):
    """(..., 3) uint8 sRGB → (..., 3) CIELAB (D65) of ``dtype``, equal to skimage's rgb2lab.

    Computed in chunks of rows on the package's threads, so memory is the output's.
    """
    rgb = np.asarray(rgb).astype(np.uint8, copy=False)
    rows = rgb.reshape(-1, 3)

    def lab(part):
        f = _LINEAR[rows[part]] @ _XYZ_FROM_RGB.T / _D65
        f = np.where(f > 0.008856, np.cbrt(f), 7.787 * f + 16.0 / 116.0)
        return np.column_stack([116.0 * f[:, 1] - 16.0, 500.0 * (f[:, 0] - f[:, 1]), 200.0 * (f[:, 1] - f[:, 2])])

    return _by_chunks(lab, len(rows), dtype, (3,)).reshape(rgb.shape)


def lab_to_srgb(lab):
    """(..., 3) CIELAB (D65) → (..., 3) float64 sRGB in [0, 1], clipped to the gamut;
    equal to skimage's lab2rgb (which also clips a negative Z to 0)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([lab[..., 1] / 500.0 + fy, fy, np.maximum(fy - lab[..., 2] / 200.0, 0.0)], -1)
    xyz = np.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / 7.787) * _D65
    return _to_srgb(xyz @ _RGB_FROM_XYZ.T)


def ciede2000_rows(lab1, lab2, index=None, *, dtype=np.float64):
    """CIEDE2000 between each row of (n, 3) ``lab1`` and the same row of ``lab2``, or
    its row ``index[i]`` when given (palette entries): (n,) array of ``dtype``, in
    chunks of rows on the package's threads (bounded memory).  See :func:`ciede2000`
    for ``dtype``."""
    def part_of_lab2(part):
        return lab2[part] if index is None else lab2[index[part]]

    return _by_chunks(lambda part: ciede2000(lab1[part], part_of_lab2(part), dtype=dtype), len(lab1), dtype)


def ciede2000(lab1, lab2, *, dtype=np.float64):
    """CIEDE2000 colour difference of (..., 3) CIELAB arrays (Sharma, Wu & Dalal 2005),
    equal to skimage.color.deltaE_ciede2000 with kL = kC = kH = 1.

    ``dtype`` is the precision of the computation: float64 agrees with skimage to
    1e-9; float32 (used for the reports' means over millions of colours, where its
    vectorised sines and cosines are an order of magnitude faster) to about 1e-4.
    """
    L1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=dtype), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=dtype), -1, 0)
    c_bar7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_bar7 / (c_bar7 + 25.0**7)))
    a1, a2 = a1 * (1 + g), a2 * (1 + g)
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.arctan2(b1, a1) % (2 * np.pi), np.arctan2(b2, a2) % (2 * np.pi)
    both = (c1 * c2) != 0
    dh = h2 - h1
    dh = np.where(dh > np.pi, dh - 2 * np.pi, np.where(dh < -np.pi, dh + 2 * np.pi, dh))
    dh = np.where(both, dh, 0.0)
    d_l, d_c = L2 - L1, c2 - c1
    d_h = 2 * np.sqrt(c1 * c2) * np.sin(dh / 2)
    l_bar, c_bar = (L1 + L2) / 2, (c1 + c2) / 2
    h_sum = h1 + h2
    h_bar = np.where(np.abs(h1 - h2) > np.pi, np.where(h_sum < 2 * np.pi, h_sum + 2 * np.pi, h_sum - 2 * np.pi), h_sum)
    h_bar = np.where(both, h_bar / 2, h_sum)
    # Python floats, not NumPy float64 scalars: they keep float32 arrays in float32
    t = (1 - 0.17 * np.cos(h_bar - math.radians(30)) + 0.24 * np.cos(2 * h_bar)
         + 0.32 * np.cos(3 * h_bar + math.radians(6)) - 0.20 * np.cos(4 * h_bar - math.radians(63)))
    d_theta = math.radians(30) * np.exp(-(((np.rad2deg(h_bar) - 275) / 25) ** 2))
    c_bar7 = c_bar**7
    r_c = 2 * np.sqrt(c_bar7 / (c_bar7 + 25.0**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar
    s_h = 1 + 0.015 * c_bar * t
    r_t = -np.sin(2 * d_theta) * r_c
    terms = (d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h)
    return np.sqrt(np.maximum(terms, 0.0))
