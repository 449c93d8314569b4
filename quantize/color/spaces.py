"""The spaces colours are clustered in: sRGB, CIELAB, OKLab and DIN99o, there and back.

Opaque images are clustered in DIN99o by default (:data:`DEFAULT_SPACE`), sRGB,
CIELAB or OKLab on request.  CIELAB's inverse is computed here in NumPy, equal to
skimage.color's to 1e-9: importing skimage.color costs a fifth of a second (it brings
SciPy), which every ``quantize compress`` would pay.
"""

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._compiled import kernel
from .._parallel import get_num_threads

#: Spaces colours can be clustered in (compress, segment, batch).
CLUSTER_SPACES = ("rgb", "lab", "oklab", "din99o")
#: DIN99o gives the lowest mean CIEDE2000 at equal k on every opaque photo (18 of 18
#: against CIELAB, OKLab and sRGB: bench/colorspaces.py, docs/benchmarks.md "Colour
#: spaces"); sRGB gives the highest PSNR.
DEFAULT_SPACE = "din99o"

# OKLab (Björn Ottosson, 2020): linear sRGB → LMS → cube root → Lab, and back.
_OKLAB_M1 = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_OKLAB_M2 = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
_OKLAB_M2_INV = np.array(
    [[1.0, 0.3963377774, 0.2158037573], [1.0, -0.1055613458, -0.0638541728], [1.0, -0.0894841775, -1.2914855480]]
)
_OKLAB_M1_INV = np.array(
    [
        [4.0767416621, -3.3077115913, 0.2309699292],
        [-1.2684380046, 2.6097574011, -0.3413193965],
        [-0.0041960863, -0.7034186147, 1.7076147010],
    ]
)


def _to_linear(srgb):
    """sRGB in [0, 1] → linear light (IEC 61966-2-1)."""
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear):
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def to_space(rgb: ArrayLike, space: str, dtype: DTypeLike = np.float32) -> np.ndarray:
    """(m, 3) uint8 sRGB colours → (m, 3) coordinates of ``dtype`` in ``space``.

    "rgb" is the 0..255 values themselves; "lab" is CIELAB (D65, :func:`srgb_to_lab`);
    "oklab" is Ottosson's OKLab with L scaled to 0..100 like CIELAB's; "din99o" is
    DIN99o (:func:`lab_to_din99o`).
    """
    rgb = np.asarray(rgb, dtype=np.uint8)
    if space == "rgb":
        return rgb.astype(dtype)
    if space == "lab":
        return srgb_to_lab(rgb, dtype)
    if space == "din99o":
        return lab_to_din99o(srgb_to_lab(rgb)).astype(dtype, copy=False)
    return _converted("srgb_to_oklab", rgb, dtype, _OKLAB_M1, _OKLAB_M2)


def from_space(coordinates: ArrayLike, space: str) -> np.ndarray:
    """Inverse of :func:`to_space`: (m, 3) coordinates → (m, 3) uint8 sRGB, rounded and
    clipped to the gamut."""
    coordinates = np.asarray(coordinates, dtype=np.float64)
    if space == "rgb":
        return np.clip(np.rint(coordinates), 0, 255).astype(np.uint8)
    if space == "lab":
        srgb = lab_to_srgb(coordinates)
    elif space == "din99o":
        srgb = lab_to_srgb(din99o_to_lab(coordinates))
    else:
        lms = (coordinates / 100.0) @ _OKLAB_M2_INV.T
        srgb = _to_srgb((lms**3) @ _OKLAB_M1_INV.T)
    return np.clip(np.rint(srgb * 255.0), 0, 255).astype(np.uint8)


# CIELAB as skimage.color's rgb2lab and lab2rgb compute it (D65, 2° observer).
_XYZ_FROM_RGB = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_D65 = np.array([0.95047, 1.0, 1.08883])
_RGB_FROM_XYZ = np.linalg.inv(_XYZ_FROM_RGB)
_LINEAR = _to_linear(np.arange(256) / 255.0)  # linear light of every 8-bit value


def relative_luminance(rgb):
    """(..., 3) uint8 sRGB → (...) float64 relative luminance Y in [0, 1] (WCAG's)."""
    return _LINEAR[np.asarray(rgb, dtype=np.uint8)] @ _XYZ_FROM_RGB[1]


def srgb_to_lab(rgb: ArrayLike, dtype: DTypeLike = np.float64) -> np.ndarray:
    """(..., 3) uint8 sRGB → (..., 3) CIELAB (D65) of ``dtype``, equal to skimage's rgb2lab
    (computed in float64 by the compiled kernel, on the package's threads)."""
    rgb = np.asarray(rgb).astype(np.uint8, copy=False)
    return _converted("srgb_to_lab", rgb, dtype, _XYZ_FROM_RGB, _D65)


def _converted(name, rgb, dtype, *constants):
    """(..., 3) uint8 → (..., 3) of ``dtype`` by the kernel ``name`` of quantize.color._convert."""
    rows = np.ascontiguousarray(rgb.reshape(-1, 3))
    out = np.empty(rows.shape, dtype=dtype)
    getattr(kernel("color._convert"), name)(rows, _LINEAR, *constants, out, get_num_threads())
    return out.reshape(rgb.shape)


def lab_to_srgb(lab: ArrayLike) -> np.ndarray:
    """(..., 3) CIELAB (D65) → (..., 3) float64 sRGB in [0, 1], clipped to the gamut;
    equal to skimage's lab2rgb (which also clips a negative Z to 0)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([lab[..., 1] / 500.0 + fy, fy, np.maximum(fy - lab[..., 2] / 200.0, 0.0)], -1)
    xyz = np.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / 7.787) * _D65
    return _to_srgb(xyz @ _RGB_FROM_XYZ.T)


# DIN99o (DIN 6176; Cui, Luo, Rigg, Roesler, Witt, "Uniform colour spaces based on the
# DIN99 colour-difference formula", Color Res. Appl. 27(4), 2002): CIELAB with lightness
# and chroma compressed logarithmically and the a-b plane turned by 26 degrees, so that
# Euclidean distances follow CIEDE2000's (which shrinks chroma differences by 1 + 0.045 C).
_DIN_HUE = np.radians(26.0)
_DIN_COS, _DIN_SIN = np.cos(_DIN_HUE), np.sin(_DIN_HUE)


def lab_to_din99o(lab):
    """(..., 3) CIELAB → (..., 3) float64 DIN99o (L99o 0..100, a99o, b99o)."""
    lab = np.asarray(lab, dtype=np.float64)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    e = a * _DIN_COS + b * _DIN_SIN
    f = 0.83 * (b * _DIN_COS - a * _DIN_SIN)
    g = np.hypot(e, f)
    chroma = np.log1p(0.075 * g) / 0.0435
    # the ratio of chromas scales (e, f) and turns nothing but the final 26 degrees
    scale = np.divide(chroma, g, out=np.zeros_like(g), where=g > 0)
    e, f = e * scale, f * scale
    return np.stack([303.67 * np.log1p(0.0039 * L), e * _DIN_COS - f * _DIN_SIN, e * _DIN_SIN + f * _DIN_COS], -1)


def din99o_to_lab(din):
    """Inverse of :func:`lab_to_din99o`: (..., 3) DIN99o → (..., 3) float64 CIELAB."""
    din = np.asarray(din, dtype=np.float64)
    a99, b99 = din[..., 1], din[..., 2]
    e = a99 * _DIN_COS + b99 * _DIN_SIN  # turned back by 26 degrees
    f = b99 * _DIN_COS - a99 * _DIN_SIN
    chroma = np.hypot(e, f)
    g = np.expm1(0.0435 * chroma) / 0.075
    scale = np.divide(g, chroma, out=np.zeros_like(chroma), where=chroma > 0)
    e, f = e * scale, f * scale / 0.83
    return np.stack(
        [np.expm1(din[..., 0] / 303.67) / 0.0039, e * _DIN_COS - f * _DIN_SIN, e * _DIN_SIN + f * _DIN_COS], -1
    )


def hex_code(rgb: ArrayLike) -> str:
    """The ``#rrggbb`` notation of one sRGB colour (three integers 0..255)."""
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in np.asarray(rgb).ravel()))
