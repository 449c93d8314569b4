"""The tiles of an image larger than memory on a Dask cluster: counted and mapped by the
workers (each opens the file itself, so it must be on a filesystem they share), the
histogram summed in a tree there, and the mapped tiles handed back in raster order to
the one process that writes the output, a bounded number in flight; a segmentation's
passes run there too (:class:`ClusterRunner`)."""

import collections
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from ..color.histogram import merge_histograms, unpack_colors
from ..errors import ClusterError
from ..files.tiled import TiledImage, open_tiled
from ..quantization.tiled import TiledPalette, dithered_tiles, opaque_tile, tile_histogram

#: Images a worker process keeps open (path -> TiledImage).
_OPEN: dict[str, TiledImage] = {}
#: Sums of tiles waiting to be summed again, at most.
_FAN_IN = 8
#: Tiles a task counts or maps: enough to pay for a task's round trip (a few ms).
GROUP = 16


def _image(path: str) -> TiledImage:
    image = _OPEN.get(path)
    if image is None:
        image = _OPEN[path] = open_tiled(Path(path))
    return image


def count_windows(path: str, windows: list) -> tuple[np.ndarray, np.ndarray]:
    """Worker: (codes, counts) of some windows of the image at ``path``, summed."""
    image = _image(path)
    return merge_histograms([tile_histogram(image.read(window)) for window in windows])


def map_windows(path: str, windows: list, fitted: TiledPalette, encode: Callable) -> list:
    """Worker: some windows' labels, each encoded for the output (a deflated TIFF tile)."""
    image = _image(path)
    return [encode(fitted.labels(image.read(window))) for window in windows]


def _groups(windows):
    return [windows[i : i + GROUP] for i in range(0, len(windows), GROUP)]


def _merge(*parts):
    return merge_histograms(parts)


def _workers(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def cluster_tile_histogram(
    client, path: str, windows: list, progress: Callable[[int, int], None]
) -> tuple[np.ndarray, np.ndarray]:
    """(colors, counts) of every window, counted on the workers and summed in a tree
    there; a batch of tiles is submitted once the one before the last is summed, so
    what the workers hold stays bounded."""
    from distributed import wait

    groups = _groups(windows)
    batch = 4 * _workers(client)  # groups in a batch
    sums: list = []
    done = 0
    try:
        for start in range(0, len(groups), batch):
            part = groups[start : start + batch]
            counted = client.map(count_windows, [path] * len(part), part, pure=False)
            if len(sums) >= 1:
                wait(sums[-1])  # back-pressure: one batch summing while the next is counted
                progress(done, len(windows))
            sums.append(client.submit(_merge, *counted, pure=False))
            done += sum(map(len, part))
            if len(sums) >= _FAN_IN:
                sums = [client.submit(_merge, *sums, pure=False)]
        codes, counts = client.submit(_merge, *sums, pure=False).result()
    except Exception as e:  # a lost worker or file: one line, not the scheduler's traceback
        raise ClusterError(f"counting the tiles of {path} on the cluster failed: {type(e).__name__}: {e}") from e
    progress(len(windows), len(windows))
    return unpack_colors(codes, 3), counts


def cluster_mapped_tiles(
    client, path: str, windows: list, fitted: TiledPalette, encode: Callable, progress: Callable[[int, int], None]
) -> Iterator:
    """Every window's labels, mapped and ``encode``-d on the workers, in the order of
    ``windows`` (a few per worker in flight: the writer takes them as they come)."""
    remote = client.scatter(fitted, broadcast=True)
    ahead = 3 * _workers(client)  # groups in flight
    queue = iter(_groups(windows))
    pending = collections.deque(
        client.submit(map_windows, path, group, remote, encode, pure=False) for group in itertools.islice(queue, ahead)
    )
    done = 0
    try:
        while pending:
            tiles = pending.popleft().result()
            following = next(queue, None)
            if following is not None:
                pending.append(client.submit(map_windows, path, following, remote, encode, pure=False))
            done += len(tiles)
            progress(done, len(windows))
            yield from tiles
    except GeneratorExit:
        client.cancel(list(pending))
        raise
    except Exception as e:
        client.cancel(list(pending))
        raise ClusterError(f"mapping the tiles of {path} on the cluster failed: {type(e).__name__}: {e}") from e


def dither_band(path: str, fitted: TiledPalette, settings, band: tuple, columns: list, encode: Callable) -> tuple:
    """Worker: :func:`dither_image_band` of the image at ``path``."""
    return dither_image_band(_image(path), fitted, settings, band, columns, encode)


def dither_image_band(
    image: TiledImage, fitted: TiledPalette, settings, band: tuple, columns: list, encode: Callable
) -> tuple:
    """One band (top, bottom) of full rows of ``image`` dithered as ``settings`` say
    (:func:`dithered_tiles`), its windows at ``columns`` encoded: (encoded windows,
    squared error, CIEDE2000 sample).  Here or on a worker."""
    width = image.shape[1]
    return dithered_tiles(
        fitted,
        lambda first, last: image.read((slice(first, last), slice(0, width))),
        band,
        image.shape,
        columns,
        encode,
        method=settings.dither,
        strength=settings.dither_strength,
    )


def cluster_dithered_bands(
    client, path: str, fitted: TiledPalette, settings, bands: list, rows: list, encode: Callable
) -> Iterator:
    """(encoded tiles, squared error, CIEDE2000 sample, bottom) of every band, dithered on
    the workers (each band is read with the kernel's block above it: independent), in
    order, a couple of bands a worker in flight."""
    pending: collections.deque = collections.deque()
    work = iter(zip(bands, rows))
    try:
        remote = client.scatter(fitted, broadcast=True)

        def submit(item):
            band, row = item
            columns = [window[1] for window in row]
            return band[1], client.submit(dither_band, path, remote, settings, band, columns, encode, pure=False)

        pending.extend(submit(item) for item in itertools.islice(work, 2 * _workers(client)))
        while pending:
            bottom, future = pending.popleft()
            tiles, squared_error, delta_e = future.result()
            following = next(work, None)
            if following is not None:
                pending.append(submit(following))
            yield tiles, squared_error, delta_e, bottom
    except GeneratorExit:
        client.cancel([future for _, future in pending])
        raise
    except Exception as e:  # a lost worker or file: one line, not the scheduler's traceback
        client.cancel([future for _, future in pending])
        raise ClusterError(f"dithering the tiles of {path} on the cluster failed: {type(e).__name__}: {e}") from e


def run_band(path: str, owner, method: str, rows: slice, columns: list, margin: int, first: int) -> list:
    """Worker: ``getattr(owner, method)(read, window, index)`` of the tiles of one band
    (rows ``rows``, tiles at ``columns``, the first numbered ``first``), its full-width
    rows read once with ``margin`` rows above and below."""
    image = _image(path)
    height, width = image.shape[:2]
    top = max(rows.start - margin, 0)
    band = opaque_tile(image.read((slice(top, min(rows.stop + margin, height)), slice(0, width))), "image")

    def read(window):
        window_rows, columns = window
        return band[window_rows.start - top : window_rows.stop - top, columns]

    work = getattr(owner, method)
    windows = [(rows, part) for part in columns]
    return [work(read, window, index) for index, window in enumerate(windows, first)]


class ClusterRunner:
    """The tiles of a segmentation (:func:`quantize.segment_array`'s ``runner``) on the
    workers of a Dask ``client``: a task is a band of tiles, whose full-width rows (and
    margins) the worker reads once from the file at ``path`` (a filesystem they share);
    the results come back in raster order, two bands a worker in flight."""

    def __init__(self, client, path: str):
        self.client, self.path = client, path

    def map(self, owner, method: str, plan, margin: int) -> Iterator:
        client = self.client
        columns = plan.columns
        bands = iter([(rows, i * columns) for i, rows in enumerate(plan.grid[0])])
        pending: collections.deque = collections.deque()
        try:
            remote = client.scatter(owner, broadcast=True)  # the plan's table is 16 MB: sent once

            def submit(band):
                rows, first = band
                return client.submit(run_band, self.path, remote, method, rows, plan.grid[1], margin, first, pure=False)

            pending.extend(submit(band) for band in itertools.islice(bands, 2 * _workers(client)))
            while pending:
                results = pending.popleft().result()
                following = next(bands, None)
                if following is not None:
                    pending.append(submit(following))
                yield from results
        except GeneratorExit:
            client.cancel(list(pending))
            raise
        except Exception as e:  # a lost worker or file: one line, not the scheduler's traceback
            client.cancel(list(pending))
            raise ClusterError(f"the tiles of {self.path} on the cluster failed: {type(e).__name__}: {e}") from e
