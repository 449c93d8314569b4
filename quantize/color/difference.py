"""CIEDE2000, the colour difference the reports and the quality targets measure
(Sharma, Wu & Dalal 2005), equal to skimage.color.deltaE_ciede2000 in NumPy."""

import math

import numpy as np

from .._parallel import fill_slices
from .spaces import CHUNK


def ciede2000_rows(lab1, lab2, index=None, *, dtype=np.float64):
    """CIEDE2000 between each row of (n, 3) ``lab1`` and the same row of ``lab2``, or
    its row ``index[i]`` when given (palette entries): (n,) array of ``dtype``, in
    chunks of rows on the package's threads (bounded memory).  See :func:`ciede2000`
    for ``dtype``."""
    def part_of_lab2(part):
        return lab2[part] if index is None else lab2[index[part]]

    return fill_slices(lambda part: ciede2000(lab1[part], part_of_lab2(part), dtype=dtype), len(lab1), CHUNK,
                       dtype)


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
