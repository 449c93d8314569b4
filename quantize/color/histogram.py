"""The colour histogram: an image's distinct colours and how many pixels have each.

Clustering the distinct colours weighted by their counts minimises exactly the same
k-means objective as clustering every pixel, while the cost grows with the number of
distinct colours (a photo has far fewer than it has pixels).  Labels found for the
distinct colours go back to the pixels through a lookup.

Below 32 megapixels one compiled pass (``quantize.color._histogram``: a hash table
per thread, no sort of the pixels) gives the histogram and every pixel's colour
index at once.  Above, RGB pixels are counted in a table over all 2^24 colours,
which bounds the memory whatever the number of distinct colours, and RGBA pixels
are read in strips of about a million, each packed into 32-bit codes and sorted
while it is in cache, the strips' histograms merged at the end; nothing of the size
of the image is then allocated besides the result of :meth:`ColorHistogram.lookup`.
"""

from collections.abc import Iterable

import numpy as np

from .._compiled import kernel
from .._parallel import get_num_threads, map_slices, slices, thread_map

_RGB_CODES = 1 << 24
_STRIP = 1 << 20
_TABLE_MIN_PIXELS = 1 << 20
_DENSE_KEYS = 1 << 21
# From this many RGB pixels on, counts go into one 2^24-entry table (128 MB, one pass)
# instead of sorted strips: when every strip of a big noisy image holds a million
# distinct colours, the strips' histograms and their merge take gigabytes.
_DENSE_MIN_PIXELS = 1 << 25
_DENSE_STRIP = 1 << 22
# Below this many pixels the compiled pass counts them and keeps each pixel's colour
# index (4 bytes a pixel); above it, memory is bounded as described above.
_KERNEL_MAX_PIXELS = _DENSE_MIN_PIXELS


def pack_colors(pixels: np.ndarray) -> np.ndarray:
    """One uint32 code per pixel, shape (n,), from (n, 3) or (n, 4) uint8 pixels.

    The code is the pixel's bytes read as a little-endian integer, so RGB codes are
    below 2^24 and :func:`unpack_colors` reverses it exactly.
    """
    n, channels = pixels.shape
    if channels == 4:
        return np.ascontiguousarray(pixels).view("<u4").reshape(n)
    padded = np.zeros((n, 4), dtype=np.uint8)
    for channel in range(channels):  # one long strided copy per channel is fastest
        padded[:, channel] = pixels[:, channel]
    return padded.view("<u4").reshape(n)


def unpack_colors(codes: np.ndarray, channels: int) -> np.ndarray:
    """Inverse of :func:`pack_colors`: (m,) codes to (m, channels) uint8 colours."""
    return np.ascontiguousarray(codes, dtype="<u4").view(np.uint8).reshape(-1, 4)[:, :channels].copy()


def _runs(ordered):
    """Start index of every run of equal values in a sorted array."""
    is_start = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=is_start[1:])
    return np.flatnonzero(is_start)


def _strip_histogram(pixels):
    codes = pack_colors(pixels).copy()  # a copy: packing RGBA may return a view
    codes.sort()
    starts = _runs(codes)
    return codes[starts], np.diff(np.append(starts, len(codes)))


def count_colors(pixels):
    """(codes, counts) of (n, c) uint8 pixels, sorted by code: the histogram alone,
    without the colour of every pixel (cheaper than :class:`ColorHistogram`); what
    :func:`merge_histograms` adds up."""
    parts = [_strip_histogram(pixels[part]) for part in slices(len(pixels), _STRIP)]
    if not parts:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    return parts[0] if len(parts) == 1 else merge_histograms(parts)


def merge_histograms(parts: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Add up several (codes, counts) histograms, each sorted by code (strips of one
    image, frames, or several images); returns the (codes, counts) of their sum, with
    exact int64 counts whatever their size."""
    parts = [(np.asarray(codes), np.asarray(counts)) for codes, counts in parts]
    if not parts:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    if all(not len(counts) or int(counts.max()) < 1 << 32 for _, counts in parts):
        # Code in the high half, count in the low half: each part is sorted by code, so
        # a stable sort only merges runs, and the counts travel with their codes.
        keys = np.concatenate([(codes.astype(np.uint64) << 32) | counts.astype(np.uint64) for codes, counts in parts])
        keys.sort(kind="stable")
        codes = (keys >> 32).astype(np.uint32)
        counts = (keys & 0xFFFFFFFF).astype(np.int64)
    else:  # a count of 2^32 or more does not fit beside its code
        codes = np.concatenate([codes for codes, _ in parts]).astype(np.uint32)
        counts = np.concatenate([counts for _, counts in parts]).astype(np.int64)
        order = np.argsort(codes, kind="stable")
        codes, counts = codes[order], counts[order]
    if not len(codes):
        return codes, counts
    starts = _runs(codes)
    return codes[starts], np.add.reduceat(counts, starts)


def _dense_histogram(pixels):
    """(codes, counts) of RGB pixels counted in one table over all 2^24 codes."""
    table = np.zeros(_RGB_CODES, dtype=np.int64)
    for part in slices(len(pixels), _DENSE_STRIP):
        table += np.bincount(pack_colors(pixels[part]), minlength=_RGB_CODES)
    codes = np.flatnonzero(table)
    return codes.astype(np.uint32), table[codes]


class ColorHistogram:
    """Distinct colours of a set of pixels and their counts.

    Parameters
    ----------
    pixels : (n, 3) or (n, 4) ndarray of uint8
        Kept by reference for :meth:`lookup`; not modified.

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

    def __init__(self, pixels: np.ndarray) -> None:
        self.channels = pixels.shape[1]
        self._pixels = pixels
        self._inverse = None
        if len(pixels) < _KERNEL_MAX_PIXELS:  # one compiled pass; each pixel's colour kept
            self._distinct, self.counts, self._inverse = kernel("color._histogram").histogram(
                np.ascontiguousarray(pixels), get_num_threads()
            )
            self.colors = unpack_colors(self._distinct, self.channels)
            return
        if self.channels == 3 and len(pixels) >= _DENSE_MIN_PIXELS:
            self._distinct, self.counts = _dense_histogram(pixels)
            self.colors = unpack_colors(self._distinct, self.channels)
            return
        parts = thread_map(_strip_histogram, self._strips())
        if not parts:
            self._distinct, self.counts = np.zeros(0, np.uint32), np.zeros(0, np.int64)
        elif len(parts) == 1:
            self._distinct, self.counts = parts[0]
        else:
            self._distinct, self.counts = merge_histograms(parts)
        self.colors = unpack_colors(self._distinct, self.channels)

    @classmethod
    def from_counts(cls, colors, counts):
        """A histogram of given distinct ``colors`` (in code order, as
        :func:`merge_histograms` returns them) and their ``counts``; it has no pixels,
        so :meth:`lookup` is not available."""
        histogram = cls.__new__(cls)
        histogram.channels = colors.shape[1]
        histogram._pixels = histogram._inverse = None
        histogram._distinct = pack_colors(colors)
        histogram.colors, histogram.counts = colors, np.asarray(counts, dtype=np.int64)
        return histogram

    def _strips(self):
        return [self._pixels[part] for part in slices(len(self._pixels), _STRIP)]

    def __len__(self):
        return len(self.counts)

    def lookup(self, values: np.ndarray) -> np.ndarray:
        """Spread one value per distinct colour back to every pixel.

        Parameters
        ----------
        values : (m,) ndarray
            One value (a label, say) per row of ``colors``.

        Returns
        -------
        (n,) ndarray of values.dtype, in the pixels' order.
        """
        if self._inverse is not None:  # a small image: its colour of every pixel is known
            return values[self._inverse]
        out = np.empty(len(self._pixels), dtype=values.dtype)
        # For RGB a direct table over all 2^24 codes is fastest, once the image is big
        # enough to pay for the table; otherwise (and for RGBA codes) a binary search.
        if self.channels <= 3 and len(self._pixels) >= _TABLE_MIN_PIXELS:
            table = np.zeros(_RGB_CODES, dtype=values.dtype)
            table[self._distinct] = values

            def find(codes):
                return table[codes]
        else:

            def find(codes):
                return values[np.searchsorted(self._distinct, codes)]

        def fill(part):
            out[part] = find(pack_colors(self._pixels[part]))

        map_slices(fill, len(self._pixels), _STRIP)
        return out


def coarse_bins(colors, bits):
    """Bin of every colour on a grid of ``bits`` bits per channel.

    Parameters
    ----------
    colors : (m, c) ndarray of uint8
    bits : int, 1..8

    Returns
    -------
    bins : (m,) ndarray of int32
        Bin index of each colour, numbered 0..n_bins-1 in order of first code.
    n_bins : int
    """
    key_bits = bits * colors.shape[1]
    dtype = np.int32 if key_bits < 31 else np.int64  # 4 bytes a colour: there can be tens of millions
    keys = np.zeros(len(colors), dtype=dtype)
    for channel in range(colors.shape[1]):
        keys <<= bits
        keys |= colors[:, channel] >> (8 - bits)
    n_keys = 1 << key_bits
    if n_keys > _DENSE_KEYS:  # RGBA on a fine grid: too many keys for a table
        unique, bins = np.unique(keys, return_inverse=True)
        return bins.reshape(-1).astype(np.int32), len(unique)
    # A presence table numbers the occupied keys in order without sorting.
    present = np.zeros(n_keys, dtype=bool)
    present[keys] = True
    index = np.cumsum(present, dtype=np.int32) - 1
    return index[keys], int(index[-1]) + 1
