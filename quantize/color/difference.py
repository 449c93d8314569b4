"""CIEDE2000, the colour difference the reports and the quality targets measure
(Sharma, Wu & Dalal 2005), equal to skimage.color.deltaE_ciede2000 (computed by the
compiled kernel ``quantize.color._convert``, in float64, on the package's threads)."""

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._compiled import kernel
from .._parallel import get_num_threads

_NO_INDEX = np.empty(0, dtype=np.intp)


def ciede2000_rows(
    lab1: ArrayLike, lab2: ArrayLike, index: ArrayLike | None = None, *, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """CIEDE2000 between each row of (n, 3) ``lab1`` and the same row of ``lab2``, or
    its row ``index[i]`` when given (palette entries): (n,) array of ``dtype``
    (computed in float64 either way; float32 halves the memory of a large result)."""
    lab1 = np.asarray(lab1)
    if lab1.dtype not in (np.float32, np.float64):
        lab1 = lab1.astype(np.float64)
    lab1 = np.ascontiguousarray(lab1.reshape(-1, 3))
    lab2 = np.ascontiguousarray(np.asarray(lab2, dtype=np.float64).reshape(-1, 3))
    index = _NO_INDEX if index is None else np.ascontiguousarray(index, dtype=np.intp)
    out = np.empty(len(lab1), dtype=dtype)
    kernel("color._convert").ciede2000_rows(lab1, lab2, index, out, get_num_threads())
    return out


def ciede2000(lab1: ArrayLike, lab2: ArrayLike, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    """CIEDE2000 colour difference of (..., 3) CIELAB arrays (Sharma, Wu & Dalal 2005),
    equal to skimage.color.deltaE_ciede2000 with kL = kC = kH = 1 (to 1e-9); the
    arrays broadcast against each other.  ``dtype`` is the result's."""
    lab1, lab2 = np.broadcast_arrays(np.asarray(lab1, dtype=np.float64), np.asarray(lab2, dtype=np.float64))
    return ciede2000_rows(lab1.reshape(-1, 3), lab2.reshape(-1, 3), dtype=dtype).reshape(lab1.shape[:-1])
