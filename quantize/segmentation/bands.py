"""Reading an array larger than memory a band of full rows at a time: :class:`RowReader`
(whole chunk rows, each read once a pass) and :class:`BandRunner` (a band's tiles on
this process's threads)."""

import threading

import numpy as np

from .._parallel import slices, thread_map
from ..quantization.tiled import opaque_tile

#: Rows of an array without chunks read at a time.
ROWS = 1024


class RowReader:
    """Full-width rows of an (H, W, 3|4) sliceable array, read a whole chunk row at a
    time (its chunks on the threads) and kept while the bands ahead need them."""

    def __init__(self, array):
        self.array = array
        chunks = getattr(array, "chunks", None)
        if chunks is None:
            self.step, self.across = ROWS, array.shape[1]
        else:  # a Zarr array's (rows, columns, ...) or a Dask array's tuples of sizes
            first = [c[0] if isinstance(c, tuple) else c for c in chunks[:2]]
            self.step, self.across = max(int(first[0]), 1), max(int(first[1]), 1)
        self.kept: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def _chunk_row(self, index):
        rows = slice(index * self.step, min((index + 1) * self.step, self.array.shape[0]))
        parts = thread_map(
            lambda columns: opaque_tile(np.asarray(self.array[rows, columns]), "image"),
            slices(self.array.shape[1], self.across),
        )
        return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]

    def __call__(self, top, bottom):
        """Rows ``top:bottom`` as (rows, W, 3) uint8 (a copy); chunk rows above ``top``
        are forgotten."""
        first, last = top // self.step, (bottom - 1) // self.step
        with self._lock:
            for index in [i for i in self.kept if i < first]:
                del self.kept[index]
            for index in range(first, last + 1):
                if index not in self.kept:
                    self.kept[index] = self._chunk_row(index)
            # only the rows asked for are copied: a view of whole chunk rows would hold them
            parts = [self.kept[i][max(top - i * self.step, 0) : bottom - i * self.step] for i in range(first, last + 1)]
        return np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]


class BandRunner:
    """The tiles on this process's threads: a band of full rows read at a time (each
    chunk row of the input once a pass), the band's tiles on the threads."""

    def __init__(self, array):
        self.rows = RowReader(array)

    def map(self, owner, method, plan, margin):
        """``getattr(owner, method)(read, window, index)`` of every tile of ``plan``, in
        raster order, each band's tiles read with ``margin`` rows above and below."""
        height, index = plan.shape[0], 0
        for rows in plan.grid[0]:
            top = max(rows.start - margin, 0)
            band = self.rows(top, min(rows.stop + margin, height))

            def read(window, band=band, top=top):
                window_rows, columns = window
                return band[window_rows.start - top : window_rows.stop - top, columns]

            windows = [(rows, columns) for columns in plan.grid[1]]
            work = getattr(owner, method)
            yield from thread_map(lambda item, read=read: work(read, item[1], item[0]), enumerate(windows, index))
            index += len(windows)
        self.rows.kept.clear()
