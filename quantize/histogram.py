"""The colour histogram: an image's distinct colours and how many pixels have each.

Clustering the distinct colours weighted by their counts minimises exactly the same
k-means objective as clustering every pixel, while the cost grows with the number of
distinct colours (a photo has far fewer than it has pixels).  Labels found for the
distinct colours go back to the pixels through a lookup.
"""

import numpy as np

_RGB_CODES = 1 << 24


def pack_colors(pixels):
    """One uint32 code per pixel, shape (n,), from (n, 3) or (n, 4) uint8 pixels.

    The code is the pixel's bytes read as a little-endian integer, so RGB codes are
    below 2^24 and :func:`unpack_colors` reverses it exactly.
    """
    n, c = pixels.shape
    if c == 4:
        return np.ascontiguousarray(pixels).view("<u4").reshape(n)
    padded = np.zeros((n, 4), dtype=np.uint8)
    padded[:, :c] = pixels
    return padded.view("<u4").reshape(n)


def unpack_colors(codes, channels):
    """Inverse of :func:`pack_colors`: (m,) codes to (m, channels) uint8 colours."""
    return np.ascontiguousarray(codes, dtype="<u4").view(np.uint8).reshape(-1, 4)[:, :channels].copy()


class ColorHistogram:
    """Distinct colours of a set of pixels and their counts.

    Parameters
    ----------
    pixels : (n, 3) or (n, 4) ndarray of uint8

    Attributes
    ----------
    colors : (m, c) ndarray of uint8
        The distinct colours, in increasing code order.
    counts : (m,) ndarray of int64
        Number of pixels of each colour; sums to n.

    Guarantees
    ----------
    ``colors`` are distinct, ``counts`` are positive and sum to the number of pixels,
    and ``lookup(values)[i]`` is the value of pixel i's colour.
    """

    def __init__(self, pixels):
        self.channels = pixels.shape[1]
        self._codes = pack_colors(pixels)
        # Sorting uint32 is a radix sort in NumPy 2: far faster than np.unique or a dense
        # bincount over 2^24 codes.
        ordered = np.sort(self._codes)
        is_start = np.ones(len(ordered), dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=is_start[1:])
        starts = np.flatnonzero(is_start)
        self._distinct = ordered[starts]
        self.counts = np.diff(np.append(starts, len(ordered)))
        self.colors = unpack_colors(self._distinct, self.channels)

    def __len__(self):
        return len(self.counts)

    def lookup(self, values):
        """Spread one value per distinct colour back to every pixel.

        Parameters
        ----------
        values : (m,) ndarray
            One value (a label, say) per row of ``colors``.

        Returns
        -------
        (n,) ndarray of values.dtype, in the pixels' order.
        """
        if self.channels <= 3:  # codes < 2^24: a direct table is fastest
            table = np.zeros(_RGB_CODES, dtype=values.dtype)
            table[self._distinct] = values
            return table[self._codes]
        return values[np.searchsorted(self._distinct, self._codes)]


def coarse_bins(colors, bits):
    """Bin of every colour on a grid of ``bits`` bits per channel.

    Parameters
    ----------
    colors : (m, c) ndarray of uint8
    bits : int, 1..8

    Returns
    -------
    bins : (m,) ndarray of intp
        Bin index of each colour, numbered 0..n_bins-1 in order of first code.
    n_bins : int
    """
    shifted = (colors >> (8 - bits)).astype(np.intp)
    keys = np.zeros(len(colors), dtype=np.intp)
    for channel in range(colors.shape[1]):
        keys = (keys << bits) | shifted[:, channel]
    unique, bins = np.unique(keys, return_inverse=True)
    return bins.reshape(-1), len(unique)
