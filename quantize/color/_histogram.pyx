# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The colour histogram, compiled: one pass over the pixels, no sort of them.

Each thread takes a strip of the pixels and counts their 32-bit codes (the pixel's
bytes read little-endian, as histogram.pack_colors makes them) in a hash table of
its own, numbering its colours as it meets them and writing each pixel's number;
the strips' colours are then merged in code order (a radix sort) and a second pass turns each
pixel's number into its colour's index.
"""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc

from .._build cimport QUANTIZE_SOURCE_HASH

cnp.import_array()

#: The hash of the kernels' sources this module was built from (see quantize/_compiled.py).
SOURCE_HASH = QUANTIZE_SOURCE_HASH.decode()

cdef uint32_t EMPTY = 0xFFFFFFFF


cdef struct Table:
    Py_ssize_t bits, used          # 2^bits slots
    uint32_t* slot_code            # the code in each slot
    int32_t* slot_id               # its colour's number (EMPTY as -1: no colour)
    uint32_t* codes                # by number: the code
    int64_t* counts                # by number: the pixels
    Py_ssize_t capacity            # of codes and counts
    bint failed                    # out of memory


cdef inline uint32_t _code(const uint8_t[:, ::1] pixels, Py_ssize_t i, Py_ssize_t channels) noexcept nogil:
    cdef uint32_t code = pixels[i, 0] | (<uint32_t> pixels[i, 1] << 8) | (<uint32_t> pixels[i, 2] << 16)
    if channels == 4:
        code = code | (<uint32_t> pixels[i, 3] << 24)
    return code


cdef inline Py_ssize_t _slot(uint32_t code, Py_ssize_t bits) noexcept nogil:
    return <Py_ssize_t> ((<uint64_t> code * 0x9E3779B97F4A7C15ULL) >> (64 - bits))


cdef bint _init(Table* t, Py_ssize_t bits) noexcept nogil:
    cdef Py_ssize_t s
    t.bits, t.used, t.capacity, t.failed = bits, 0, 1 << (bits - 1), False
    t.slot_code = <uint32_t*> malloc((1 << bits) * sizeof(uint32_t))
    t.slot_id = <int32_t*> malloc((1 << bits) * sizeof(int32_t))
    t.codes = <uint32_t*> malloc(t.capacity * sizeof(uint32_t))
    t.counts = <int64_t*> malloc(t.capacity * sizeof(int64_t))
    if t.slot_code == NULL or t.slot_id == NULL or t.codes == NULL or t.counts == NULL:
        t.failed = True
        return False
    for s in range(1 << bits):
        t.slot_id[s] = -1
    return True


cdef void _release(Table* t) noexcept nogil:
    free(t.slot_code)
    free(t.slot_id)
    free(t.codes)
    free(t.counts)


cdef bint _grow(Table* t) noexcept nogil:
    """Twice the slots (and room for twice the colours); the numbers stay."""
    cdef Py_ssize_t bits = t.bits + 1, s, n
    cdef uint32_t* slot_code = <uint32_t*> malloc((1 << bits) * sizeof(uint32_t))
    cdef int32_t* slot_id = <int32_t*> malloc((1 << bits) * sizeof(int32_t))
    cdef uint32_t* codes = <uint32_t*> realloc(t.codes, 2 * t.capacity * sizeof(uint32_t))
    cdef int64_t* counts
    if codes != NULL:
        t.codes = codes
    counts = <int64_t*> realloc(t.counts, 2 * t.capacity * sizeof(int64_t))
    if counts != NULL:
        t.counts = counts
    if slot_code == NULL or slot_id == NULL or codes == NULL or counts == NULL:
        free(slot_code)
        free(slot_id)
        t.failed = True
        return False
    t.capacity = 2 * t.capacity
    for s in range(1 << bits):
        slot_id[s] = -1
    for n in range(t.used):
        s = _slot(t.codes[n], bits)
        while slot_id[s] >= 0:
            s = (s + 1) & ((1 << bits) - 1)
        slot_code[s] = t.codes[n]
        slot_id[s] = <int32_t> n
    free(t.slot_code)
    free(t.slot_id)
    t.slot_code, t.slot_id, t.bits = slot_code, slot_id, bits
    return True


cdef void _count(Table* t, const uint8_t[:, ::1] pixels, Py_ssize_t start, Py_ssize_t stop,
                 int32_t[::1] numbers) noexcept nogil:
    cdef Py_ssize_t i, s, channels = pixels.shape[1], mask
    cdef uint32_t code, last_code = 0
    cdef int32_t last = -1, n
    for i in range(start, stop):
        code = _code(pixels, i, channels)
        if last >= 0 and code == last_code:  # photos come in runs of one colour
            t.counts[last] += 1
            numbers[i] = last
            continue
        mask = (1 << t.bits) - 1
        s = _slot(code, t.bits)
        while t.slot_id[s] >= 0 and t.slot_code[s] != code:
            s = (s + 1) & mask
        n = t.slot_id[s]
        if n < 0:
            if t.used >= t.capacity:  # half full: more room, and the slots again
                if not _grow(t):
                    return
                mask = (1 << t.bits) - 1
                s = _slot(code, t.bits)
                while t.slot_id[s] >= 0:
                    s = (s + 1) & mask
            n = <int32_t> t.used
            t.used += 1
            t.slot_code[s] = code
            t.slot_id[s] = n
            t.codes[n] = code
            t.counts[n] = 0
        t.counts[n] += 1
        numbers[i] = n
        last, last_code = n, code


cdef void radix_order(const uint32_t* keys, Py_ssize_t n, Py_ssize_t* order, Py_ssize_t* spare) noexcept nogil:
    """``order`` (n) becomes the positions of ``keys`` in increasing key order, equal
    keys in their order (three stable counting passes of 11 bits)."""
    cdef Py_ssize_t i, pass_, total, c
    cdef Py_ssize_t counts[2048]
    cdef Py_ssize_t* source = order
    cdef Py_ssize_t* target = spare
    cdef Py_ssize_t* swap
    cdef int shift
    for i in range(n):
        order[i] = i
    for pass_ in range(3):
        shift = 11 * pass_
        for c in range(2048):
            counts[c] = 0
        for i in range(n):
            counts[(keys[source[i]] >> shift) & 2047] += 1
        total = 0
        for c in range(2048):
            total, counts[c] = total + counts[c], total
        for i in range(n):
            c = (keys[source[i]] >> shift) & 2047
            target[counts[c]] = source[i]
            counts[c] += 1
        swap = source
        source = target
        target = swap
    if source != order:  # an odd number of passes leaves the result in spare
        for i in range(n):
            order[i] = source[i]


def merged(const uint32_t[::1] codes, const int64_t[::1] counts):
    """The distinct ``codes`` in increasing order, the index of each input code among
    them, and their summed counts (a radix sort: no comparison sort)."""
    cdef Py_ssize_t n = codes.shape[0], i, m = 0
    order_array = np.empty(n, dtype=np.intp)
    spare_array = np.empty(n, dtype=np.intp)
    distinct_array = np.empty(n, dtype=np.uint32)
    sums_array = np.zeros(n, dtype=np.int64)
    where_array = np.empty(n, dtype=np.intp)
    cdef Py_ssize_t[::1] order = order_array, spare = spare_array, where = where_array
    cdef uint32_t[::1] distinct = distinct_array
    cdef int64_t[::1] sums = sums_array
    if n == 0:
        return distinct_array, where_array, sums_array
    with nogil:
        radix_order(&codes[0], n, &order[0], &spare[0])
        for i in range(n):
            if i == 0 or codes[order[i]] != distinct[m - 1]:
                distinct[m] = codes[order[i]]
                m = m + 1
            sums[m - 1] += counts[order[i]]
            where[order[i]] = m - 1
    return distinct_array[:m].copy(), where_array, sums_array[:m].copy()


def histogram(const uint8_t[:, ::1] pixels, int n_threads=1):
    """The distinct colours of (n, 3|4) uint8 pixels, in code order, their counts, and
    each pixel's colour index.

    Returns
    -------
    codes : (m,) uint32, increasing
    counts : (m,) int64
    inverse : (n,) int32
    """
    cdef Py_ssize_t n = pixels.shape[0], parts = max(1, min(n_threads, n // 65536 + 1)), p, i
    if pixels.shape[1] not in (3, 4):
        raise ValueError("pixels must have 3 or 4 channels")
    inverse_array = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] inverse = inverse_array
    cdef Table* tables = <Table*> malloc(parts * sizeof(Table))
    if tables == NULL:
        raise MemoryError()
    cdef Py_ssize_t step = (n + parts - 1) // parts
    cdef bint failed = False
    for p in range(parts):
        tables[p].slot_code = tables[p].slot_id = NULL
        tables[p].codes = NULL
        tables[p].counts = NULL
    try:
        for p in prange(parts, nogil=True, num_threads=parts, schedule="static"):
            if _init(&tables[p], 16):
                _count(&tables[p], pixels, p * step, min((p + 1) * step, n), inverse)
        for p in range(parts):
            failed = failed or tables[p].failed
        if failed:
            raise MemoryError("not enough memory for the colour histogram")
        strip_codes = [np.asarray(<uint32_t[:tables[p].used]> tables[p].codes).copy() if tables[p].used
                       else np.zeros(0, np.uint32) for p in range(parts)]
        strip_counts = [np.asarray(<int64_t[:tables[p].used]> tables[p].counts).copy() if tables[p].used
                        else np.zeros(0, np.int64) for p in range(parts)]
    finally:
        for p in range(parts):
            _release(&tables[p])
        free(tables)
    every = np.concatenate(strip_codes)
    codes, where, counts = merged(every, np.concatenate(strip_counts))
    # each strip's numbers become indices into the merged colours
    cdef int32_t[::1] index = where.astype(np.int32)
    cdef int32_t[::1] offset = np.cumsum([0] + [len(c) for c in strip_codes]).astype(np.int32)
    for p in prange(parts, nogil=True, num_threads=parts, schedule="static"):
        for i in range(p * step, min((p + 1) * step, n)):
            inverse[i] = index[offset[p] + inverse[i]]
    return codes, counts, inverse_array
