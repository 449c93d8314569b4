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
from ..quantization.tiled import TiledPalette, opaque_tile, tile_histogram

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


def run_windows(path: str, owner, method: str, items: list) -> list:
    """Worker: ``getattr(owner, method)(read, window, index)`` of some (index, window)
    items of the image at ``path``, each window read from the file."""
    image = _image(path)

    def read(window):
        return opaque_tile(image.read(window), "image")

    work = getattr(owner, method)
    return [work(read, window, index) for index, window in items]


class ClusterRunner:
    """The tiles of a segmentation (:func:`quantize.segment_array`'s ``runner``) on the
    workers of a Dask ``client``: each opens the file at ``path`` (a filesystem they
    share) and reads the windows it is given with their margins; the results come back
    in raster order, a few groups of tiles a worker in flight."""

    def __init__(self, client, path: str):
        self.client, self.path = client, path

    def map(self, owner, method: str, plan, margin: int) -> Iterator:
        client = self.client
        queue = iter(_groups(list(enumerate(plan.windows()))))
        pending: collections.deque = collections.deque()
        try:
            remote = client.scatter(owner, broadcast=True)  # the plan's table is 16 MB: sent once

            def submit(group):
                return client.submit(run_windows, self.path, remote, method, group, pure=False)

            pending.extend(submit(group) for group in itertools.islice(queue, 3 * _workers(client)))
            while pending:
                results = pending.popleft().result()
                following = next(queue, None)
                if following is not None:
                    pending.append(submit(following))
                yield from results
        except GeneratorExit:
            client.cancel(list(pending))
            raise
        except Exception as e:  # a lost worker or file: one line, not the scheduler's traceback
            client.cancel(list(pending))
            raise ClusterError(f"the tiles of {self.path} on the cluster failed: {type(e).__name__}: {e}") from e
