# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Colour conversions and differences, compiled: sRGB to CIELAB and OKLab, and
CIEDE2000, row by row on OpenMP threads (spaces.py and difference.py validate and
hold the constants' meaning)."""

import numpy as np

from cython.parallel cimport prange
from libc.math cimport atan2, cos, exp, fabs, sin, sqrt, M_PI
from libc.string cimport memcpy

from .._build cimport QUANTIZE_SOURCE_HASH

#: The hash of the kernels' sources this module was built from (see quantize/_compiled.py).
SOURCE_HASH = QUANTIZE_SOURCE_HASH.decode()

ctypedef fused real_in:
    float
    double

ctypedef fused real_out:
    float
    double


cdef inline double cube_root(double t) noexcept nogil:
    """The cube root of t >= 0: libm's cbrt, which costs a third of a conversion, replaced
    by a first guess from the exponent bits and Halley's iterations (each triples the
    correct digits: 5 % to 1e-4, 1e-12, then double precision)."""
    cdef double y, y3
    cdef unsigned long long bits
    cdef int step
    if t <= 0.0:
        return 0.0
    memcpy(&bits, &t, sizeof(double))
    bits = bits // 3 + <unsigned long long> 0x2A9F7893782DA1CEULL
    memcpy(&y, &bits, sizeof(double))
    for step in range(3):
        y3 = y * y * y
        y = y * (y3 + 2 * t) / (2 * y3 + t)
    return y


cdef inline double lab_f(double t) noexcept nogil:
    return cube_root(t) if t > 0.008856 else 7.787 * t + 16.0 / 116.0


def srgb_to_lab(const unsigned char[:, ::1] rgb, const double[::1] linear, const double[:, ::1] xyz_from_rgb,
                const double[::1] white, real_out[:, ::1] out, int n_threads=1):
    """CIELAB of (n, 3) 8-bit sRGB rows into ``out`` (n, 3): ``linear`` is the linear
    light of each 8-bit value, ``xyz_from_rgb`` the 3x3 matrix, ``white`` the white
    point (computed as skimage's rgb2lab: XYZ / white, f, then L, a, b)."""
    cdef Py_ssize_t n = rgb.shape[0], i
    cdef double r, g, b, f0, f1, f2
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        r = linear[rgb[i, 0]]
        g = linear[rgb[i, 1]]
        b = linear[rgb[i, 2]]
        f0 = lab_f((xyz_from_rgb[0, 0] * r + xyz_from_rgb[0, 1] * g + xyz_from_rgb[0, 2] * b) / white[0])
        f1 = lab_f((xyz_from_rgb[1, 0] * r + xyz_from_rgb[1, 1] * g + xyz_from_rgb[1, 2] * b) / white[1])
        f2 = lab_f((xyz_from_rgb[2, 0] * r + xyz_from_rgb[2, 1] * g + xyz_from_rgb[2, 2] * b) / white[2])
        out[i, 0] = <real_out> (116.0 * f1 - 16.0)
        out[i, 1] = <real_out> (500.0 * (f0 - f1))
        out[i, 2] = <real_out> (200.0 * (f1 - f2))


def srgb_to_oklab(const unsigned char[:, ::1] rgb, const double[::1] linear, const double[:, ::1] m1,
                  const double[:, ::1] m2, real_out[:, ::1] out, int n_threads=1):
    """OKLab (L scaled to 0..100) of (n, 3) 8-bit sRGB rows into ``out``: linear light,
    ``m1`` to LMS, cube roots, ``m2`` to Lab (Ottosson 2020)."""
    cdef Py_ssize_t n = rgb.shape[0], i
    cdef double r, g, b, l, m, s
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        r = linear[rgb[i, 0]]
        g = linear[rgb[i, 1]]
        b = linear[rgb[i, 2]]
        l = cube_root(m1[0, 0] * r + m1[0, 1] * g + m1[0, 2] * b)
        m = cube_root(m1[1, 0] * r + m1[1, 1] * g + m1[1, 2] * b)
        s = cube_root(m1[2, 0] * r + m1[2, 1] * g + m1[2, 2] * b)
        out[i, 0] = <real_out> (100.0 * (m2[0, 0] * l + m2[0, 1] * m + m2[0, 2] * s))
        out[i, 1] = <real_out> (100.0 * (m2[1, 0] * l + m2[1, 1] * m + m2[1, 2] * s))
        out[i, 2] = <real_out> (100.0 * (m2[2, 0] * l + m2[2, 1] * m + m2[2, 2] * s))


cdef double POW25_7 = 6103515625.0  # 25^7
cdef double DEG = M_PI / 180.0
cdef double COS30 = cos(30 * DEG), SIN30 = sin(30 * DEG), COS6 = cos(6 * DEG), SIN6 = sin(6 * DEG)
cdef double COS63 = cos(63 * DEG), SIN63 = sin(63 * DEG)


cdef inline double pow7(double x) noexcept nogil:
    cdef double x2 = x * x
    return x2 * x2 * x2 * x


cdef inline double ciede2000_one(double L1, double a1, double b1, double L2, double a2, double b2) noexcept nogil:
    """CIEDE2000 of two CIELAB colours (Sharma, Wu & Dalal 2005; kL = kC = kH = 1),
    step by step as skimage.color.deltaE_ciede2000 computes it."""
    cdef double c_bar7, g, c1, c2, h1, h2, dh, d_l, d_c, d_h, l_bar, c_bar, h_sum, h_bar, t, d_theta
    cdef double r_c, s_l, s_c, s_h, r_t, terms, x, cos1, sin1, cos2, sin2, cos3, sin3, cos4, sin4
    cdef bint both
    c_bar7 = pow7((sqrt(a1 * a1 + b1 * b1) + sqrt(a2 * a2 + b2 * b2)) / 2)
    g = 0.5 * (1 - sqrt(c_bar7 / (c_bar7 + POW25_7)))
    a1 = a1 * (1 + g)
    a2 = a2 * (1 + g)
    c1 = sqrt(a1 * a1 + b1 * b1)
    c2 = sqrt(a2 * a2 + b2 * b2)
    h1 = atan2(b1, a1)
    if h1 < 0:
        h1 = h1 + 2 * M_PI
    h2 = atan2(b2, a2)
    if h2 < 0:
        h2 = h2 + 2 * M_PI
    both = (c1 * c2) != 0
    dh = h2 - h1
    if dh > M_PI:
        dh = dh - 2 * M_PI
    elif dh < -M_PI:
        dh = dh + 2 * M_PI
    if not both:
        dh = 0.0
    d_l = L2 - L1
    d_c = c2 - c1
    d_h = 2 * sqrt(c1 * c2) * sin(dh / 2)
    l_bar = (L1 + L2) / 2
    c_bar = (c1 + c2) / 2
    h_sum = h1 + h2
    h_bar = h_sum
    if fabs(h1 - h2) > M_PI:
        h_bar = h_sum + 2 * M_PI if h_sum < 2 * M_PI else h_sum - 2 * M_PI
    if both:
        h_bar = h_bar / 2
    else:
        h_bar = h_sum
    # T's four cosines from one cosine and sine of h_bar (multiple-angle formulas)
    cos1 = cos(h_bar)
    sin1 = sin(h_bar)
    cos2 = 2 * cos1 * cos1 - 1
    sin2 = 2 * sin1 * cos1
    cos3 = cos1 * (4 * cos1 * cos1 - 3)
    sin3 = sin1 * (3 - 4 * sin1 * sin1)
    cos4 = 2 * cos2 * cos2 - 1
    sin4 = 2 * sin2 * cos2
    t = (1 - 0.17 * (cos1 * COS30 + sin1 * SIN30) + 0.24 * cos2 + 0.32 * (cos3 * COS6 - sin3 * SIN6)
         - 0.20 * (cos4 * COS63 + sin4 * SIN63))
    x = (h_bar / DEG - 275) / 25
    d_theta = 30 * DEG * exp(-(x * x))
    c_bar7 = pow7(c_bar)
    r_c = 2 * sqrt(c_bar7 / (c_bar7 + POW25_7))
    x = (l_bar - 50) * (l_bar - 50)
    s_l = 1 + 0.015 * x / sqrt(20 + x)
    s_c = 1 + 0.045 * c_bar
    s_h = 1 + 0.015 * c_bar * t
    r_t = -sin(2 * d_theta) * r_c
    terms = ((d_l / s_l) * (d_l / s_l) + (d_c / s_c) * (d_c / s_c) + (d_h / s_h) * (d_h / s_h)
             + r_t * (d_c / s_c) * (d_h / s_h))
    return sqrt(terms) if terms > 0 else 0.0


def ciede2000_rows(const real_in[:, ::1] lab1, const double[:, ::1] lab2, const Py_ssize_t[::1] index,
                   real_out[::1] out, int n_threads=1):
    """CIEDE2000 between row i of ``lab1`` and row ``index[i]`` of ``lab2`` (row i when
    ``index`` is empty), into ``out`` (computed in float64)."""
    cdef Py_ssize_t n = lab1.shape[0], i, j
    cdef bint indexed = index.shape[0] > 0
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        j = index[i] if indexed else i
        out[i] = <real_out> ciede2000_one(lab1[i, 0], lab1[i, 1], lab1[i, 2], lab2[j, 0], lab2[j, 1], lab2[j, 2])
