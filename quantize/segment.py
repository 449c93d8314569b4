"""Segmentation: colour clusters, their connected regions, speckle cleanup and statistics.

Pixels are clustered by colour (CIELAB by default), optionally with their position,
scaled as SLIC's compactness scales it.  A *cluster* is a set of pixels of similar
colour anywhere in the image; a *region* is a 4-connected piece of one cluster.
Regions smaller than ``min_region`` pixels are merged into a neighbour, so that no
speckle is left.
"""

import contextlib
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import io
from ._validation import check_choice, check_float, check_int, resolve_seed
from .colorspace import CLUSTER_SPACES, DEFAULT_SPACE, to_space
from .distances import assign
from .errors import FewDistinctPointsWarning, InvalidParameterError
from .histogram import ColorHistogram
from .kmeans import KMeans
from .parallel import thread_map
from .refine import DEFAULT_EFFORT, EFFORTS, cluster_colors

#: Pixels whose features are clustered when ``spatial`` > 0 (then the colour
#: histogram no longer stands for the pixels); the rest are assigned to the centres.
SPATIAL_SAMPLE = 1 << 18
_STRIP = 1 << 20
# Cleanup rounds: each merges every small region that has a neighbour, so a handful
# suffice; the cap only guards against a pathological image.
_MAX_ROUNDS = 64
#: Most clusters: each is a mask file, and beyond a palette's 256 colours a segmentation
#: is no longer a handful of regions a person looks at.
MAX_SEGMENTS = 256
#: Widest Gaussian smoothing, in pixels: its cost grows with sigma (8 sigma + 1 taps per
#: pixel and axis), and smoothing meant for noise (SLIC's sigma) is 1 to 5.
MAX_SIGMA = 16.0
#: Weight of the region colour over the image in overlay.png.
OVERLAY_OPACITY = 0.6
#: Rows of palette.png at most.
SWATCH_ROWS = 64


def _strips(n):
    return [(start, min(start + _STRIP, n)) for start in range(0, n, _STRIP)]


def _smooth(rgb, sigma):
    """Gaussian-smoothed copy of (H, W, 3) uint8, channel by channel (float32 temporaries)."""
    from scipy import ndimage  # scipy and scikit-image load on use: the CLI starts faster

    def channel(c):
        return np.rint(ndimage.gaussian_filter(rgb[..., c].astype(np.float32), sigma, mode="nearest"))

    return np.stack(thread_map(channel, range(3)), axis=-1).clip(0, 255).astype(np.uint8)


def _cluster_pixels(rgb, where, k, *, colorspace, spatial, effort, rng):
    """Cluster label (0..k-1) of every selected pixel, and the centres' colour features.

    ``rgb`` is (H, W, 3) uint8; ``where`` the flat indices of the pixels to cluster,
    or None for all of them.
    """
    width = rgb.shape[1]
    flat = rgb.reshape(-1, 3)
    histogram = ColorHistogram(flat if where is None else flat[where])
    colors = to_space(histogram.colors, colorspace)
    if spatial == 0:
        # Colour only: cluster the weighted histogram, then label colours, not pixels.
        if len(histogram) <= k:
            if len(histogram) < k:
                warnings.warn(
                    f"the image has only {len(histogram)} distinct colours, fewer than n_segments={k}",
                    FewDistinctPointsWarning, stacklevel=3,
                )
            centers = colors
        else:
            centers = cluster_colors(colors, histogram.counts, histogram.colors, k, effort=effort, rng=rng)
        color_labels, _ = assign(colors, centers, with_distances=False)
        return histogram.lookup(color_labels.astype(np.int32)), centers

    # Colour and position: D² = d_colour² + (spatial / S)² d_xy², S the grid step of k
    # square superpixels (SLIC's compactness).  Fitted on a sample, applied in strips.
    index = histogram.lookup(np.arange(len(histogram), dtype=np.int32))
    n = len(index)
    scale = np.float32(spatial / np.sqrt(n / k))

    def features(rows):
        positions = rows if where is None else where[rows]
        y, x = np.divmod(positions, width)
        return np.column_stack([colors[index[rows]], x * scale, y * scale]).astype(np.float32)

    sample = np.sort(rng.choice(n, size=min(n, SPATIAL_SAMPLE), replace=False))
    model = KMeans(k, random_state=rng).fit(features(sample))
    labels = np.empty(n, dtype=np.int32)

    def label_strip(bounds):
        rows = np.arange(*bounds)
        labels[bounds[0] : bounds[1]], _ = assign(features(rows), model.cluster_centers_, with_distances=False)

    thread_map(label_strip, _strips(n))
    return labels, model.cluster_centers_[:, :3]


def _connected_regions(clusters):
    """4-connected regions of each cluster: (H, W) int32 (-1 outside) and their number.

    ``clusters`` is shifted in place for skimage's background 0 and shifted back, and
    skimage's int64 labels become int32 strip by strip: on 81 megapixels each whole
    temporary would cost 0.3 to 0.6 GB.
    """
    from skimage import measure

    clusters += 1
    try:
        labels, n = measure.label(clusters, background=0, connectivity=1, return_num=True)
    finally:
        clusters -= 1
    regions = np.empty(clusters.shape, dtype=np.int32)
    rows = max(1, _STRIP // max(clusters.shape[1], 1))
    for top in range(0, clusters.shape[0], rows):
        np.subtract(labels[top : top + rows], 1, out=regions[top : top + rows], casting="unsafe")
    return regions, n


def _adjacent_pairs(regions):
    """(a, b) for every pair of 4-neighbouring pixels in different regions, both ways."""
    firsts, seconds = [], []
    for before, after in ((regions[:, :-1], regions[:, 1:]), (regions[:-1], regions[1:])):
        differ = (before != after) & (before >= 0) & (after >= 0)
        firsts.append(before[differ])
        seconds.append(after[differ])
    a, b = np.concatenate(firsts + seconds), np.concatenate(seconds + firsts)
    return a.astype(np.int64), b.astype(np.int64)


def _merge_targets(a, b, border, color_gap, area):
    """Region each small region is merged into, following chains to their end.

    Every small region ``a`` picks the neighbour with the longest shared border (then
    the nearest colour).  Edges are ranked by a symmetric strict order, so the only
    cycles are mutual pairs, which the larger region of the pair ends.
    """
    n = len(area)
    order = np.lexsort((np.maximum(a, b), np.minimum(a, b), -color_gap, border, a))
    a, b = a[order], b[order]
    last = np.append(a[1:] != a[:-1], True)  # the best edge closes each run of a
    target = np.arange(n)
    target[a[last]] = b[last]
    ids = np.arange(n)
    mutual = (target[target] == ids) & (target != ids)
    keeps = mutual & ((area > area[target]) | ((area == area[target]) & (ids > target)))
    target[keeps] = ids[keeps]
    while True:  # pointer jumping: log(chain length) passes
        jumped = target[target]
        if np.array_equal(jumped, target):
            return target
        target = jumped


def _merge_small_regions(clusters, min_region, centers):
    """Reassign the pixels of regions smaller than ``min_region`` to a neighbour's cluster.

    Returns the new (H, W) cluster map; a small region with no neighbour (alone in
    the image or surrounded by transparency) is left as it is.
    """
    for _ in range(_MAX_ROUNDS):
        regions, n = _connected_regions(clusters)
        inside = regions >= 0
        area = np.bincount(regions[inside], minlength=n)
        small = area < min_region
        if not small.any():
            break
        a, b = _adjacent_pairs(regions)
        involved = small[a]
        if not involved.any():
            break
        a, b = a[involved], b[involved]
        region_cluster = np.zeros(n, dtype=np.int64)
        region_cluster[regions[inside]] = clusters[inside]
        keys, border = np.unique(a * n + b, return_counts=True)
        a, b = np.divmod(keys, n)
        gap = centers[region_cluster[a]] - centers[region_cluster[b]]
        target = _merge_targets(a, b, border, np.einsum("ij,ij->i", gap, gap), area)
        clusters = np.where(inside, region_cluster[target][regions], -1).astype(np.int32)
    return clusters


def _region_sums(regions, rgb, n):
    """Per region: pixel count, sums of row and column indices, sums of R, G and B."""
    height, width = regions.shape
    totals = np.zeros((6, n))
    rows_per_strip = max(1, _STRIP // max(width, 1))
    columns = np.arange(width, dtype=np.float64)
    for top in range(0, height, rows_per_strip):  # strips of rows keep temporaries small
        strip = regions[top : top + rows_per_strip]
        inside = strip >= 0
        ids = strip[inside]
        y, x = np.nonzero(inside)
        totals[0] += np.bincount(ids, minlength=n)
        totals[1] += np.bincount(ids, weights=y + float(top), minlength=n)
        totals[2] += np.bincount(ids, weights=columns[x], minlength=n)
        for channel in range(3):
            totals[3 + channel] += np.bincount(ids, weights=rgb[top : top + rows_per_strip, :, channel][inside], minlength=n)
    return totals


def _bboxes(regions, n):
    """(n, 4) int64 [top, left, bottom, right] of every region, bottom/right exclusive."""
    from scipy import ndimage

    regions += 1  # in place: find_objects takes 0 as background
    try:
        slices = ndimage.find_objects(regions, max_label=n)
    finally:
        regions -= 1
    if not slices:
        return np.zeros((0, 4), dtype=np.int64)
    return np.array([(s[0].start, s[1].start, s[0].stop, s[1].stop) for s in slices], dtype=np.int64)


def _by_size(clusters, n_clusters):
    """The cluster map renumbered by decreasing pixel count, without empty clusters."""
    counts = np.bincount(clusters[clusters >= 0], minlength=n_clusters)
    order = np.argsort(-counts, kind="stable")[: np.count_nonzero(counts)]
    renumber = np.full(len(counts) + 1, -1, dtype=np.int32)  # the last entry maps -1 to -1
    renumber[order] = np.arange(len(order), dtype=np.int32)
    flat = clusters.reshape(-1)
    for start in range(0, flat.size, _STRIP):  # in place, by strips: no second whole map
        flat[start : start + _STRIP] = renumber[flat[start : start + _STRIP]]
    return clusters


def _statistics(rgb, clusters):
    """The regions of a cluster map and every statistic of :class:`SegmentResult`."""
    inside = clusters >= 0
    k = int(clusters.max(initial=-1)) + 1
    regions, n = _connected_regions(clusters)
    sums = _region_sums(regions, rgb, n)
    area = sums[0].astype(np.int64)
    safe_area = np.maximum(area, 1)[:, None]
    region_cluster = np.zeros(n, dtype=np.int64)
    flat_regions, flat_clusters, flat_inside = regions.reshape(-1), clusters.reshape(-1), inside.reshape(-1)
    for start in range(0, flat_regions.size, _STRIP):  # strips: no whole-map temporaries
        part = slice(start, start + _STRIP)
        region_cluster[flat_regions[part][flat_inside[part]]] = flat_clusters[part][flat_inside[part]]
    region_bboxes = _bboxes(regions, n)

    per_cluster = np.stack([np.bincount(region_cluster, weights=row, minlength=k) for row in sums[[0, 3, 4, 5]]])
    cluster_pixels = per_cluster[0].astype(np.int64)
    cluster_bboxes = np.zeros((k, 4), dtype=np.int64)
    if n:
        cluster_bboxes[:, :2] = np.iinfo(np.int64).max
        for column, extreme in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
            extreme.at(cluster_bboxes[:, column], region_cluster, region_bboxes[:, column])
    return {
        "clusters": clusters,
        "regions": regions,
        "colors": _mean_colors(per_cluster[1:].T, cluster_pixels),
        "cluster_pixels": cluster_pixels,
        "cluster_regions": np.bincount(region_cluster, minlength=k).astype(np.int64),
        "cluster_bboxes": cluster_bboxes,
        "region_cluster": region_cluster,
        "region_area": area,
        "region_centroids": sums[1:3].T / safe_area,
        "region_bboxes": region_bboxes,
        "region_colors": _mean_colors(sums[3:6].T, area),
    }


def _mean_colors(color_sums, counts):
    return np.clip(np.rint(color_sums / np.maximum(counts, 1)[:, None]), 0, 255).astype(np.uint8)


@dataclass
class SegmentResult:
    """The outcome of :func:`segment_image`.

    Clusters are numbered by decreasing pixel count; regions in raster order of their
    first pixel.  Bounding boxes are ``[top, left, bottom, right]`` with bottom and
    right exclusive, as in skimage's ``regionprops``.

    Attributes
    ----------
    image : (H, W, 3) or (H, W, 4) ndarray of uint8
        The input pixels.
    clusters : (H, W) ndarray of int32
        Cluster of every pixel, -1 where fully transparent.
    regions : (H, W) ndarray of int32
        Connected region of every pixel, -1 where fully transparent.
    colors : (k, 3) ndarray of uint8
        Mean colour of each cluster's pixels.
    cluster_pixels, cluster_regions : (k,) ndarray of int64
    cluster_bboxes : (k, 4) ndarray of int64
    region_cluster, region_area : (R,) ndarray of int64
    region_centroids : (R, 2) ndarray of float64
        (row, column) of each region's centre of mass.
    region_bboxes : (R, 4) ndarray of int64
    region_colors : (R, 3) ndarray of uint8
        Mean colour of each region's pixels.
    parameters : dict
        n_segments, colorspace, spatial, min_region, sigma and seed, as used.
    input : str or None
    notes : list of str
        What the user should know (conversions of the input, fewer clusters than asked).
    seconds : float
    """

    image: np.ndarray
    clusters: np.ndarray
    regions: np.ndarray
    colors: np.ndarray
    cluster_pixels: np.ndarray
    cluster_regions: np.ndarray
    cluster_bboxes: np.ndarray
    region_cluster: np.ndarray
    region_area: np.ndarray
    region_centroids: np.ndarray
    region_bboxes: np.ndarray
    region_colors: np.ndarray
    parameters: dict = field(default_factory=dict)
    input: str | None = None
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def shares(self):
        """(k,) float64: each cluster's share of the non-transparent pixels (sums to 1)."""
        total = self.cluster_pixels.sum()
        return self.cluster_pixels / total if total else self.cluster_pixels.astype(np.float64)

    def mask(self, cluster):
        """(H, W) ndarray of bool: the pixels of one cluster."""
        return self.clusters == cluster

    def label_image(self):
        """The cluster map as stored in labels.png: cluster + 1, 0 where transparent;
        uint8 when it fits, uint16 otherwise."""
        dtype = np.uint8 if len(self.colors) < 256 else np.uint16
        return (self.clusters + 1).astype(dtype)

    def overlay(self):
        """(H, W, 3|4) uint8: regions in their mean colour over the image, boundaries drawn."""
        from . import draw

        return draw.overlay(self.image, self.regions, self.region_colors, opacity=OVERLAY_OPACITY)

    def swatch(self):
        """(rows, width, 3) uint8: the cluster colours with their hex codes and shares
        (the largest SWATCH_ROWS - 1 and a last row counting the rest, if more)."""
        colors, shares = self.colors, self.shares
        captions = [f"{i}  {_hex(c)}  {share:6.1%}" for i, (c, share) in enumerate(zip(colors, shares))]
        if len(colors) > SWATCH_ROWS:
            rest = len(colors) - (SWATCH_ROWS - 1)
            colors = np.vstack([colors[: SWATCH_ROWS - 1], [255, 255, 255]]).astype(np.uint8)
            captions = captions[: SWATCH_ROWS - 1] + [f"{rest} more in segments.json"]
        from . import draw

        return draw.swatch(colors, captions)

    def to_dict(self):
        """Everything in segments.json, as plain JSON types."""
        height, width = self.clusters.shape
        shares = self.shares
        return {
            "input": self.input,
            "width": width,
            "height": height,
            **self.parameters,
            "n_clusters": len(self.colors),
            "n_regions": len(self.region_area),
            "seconds": round(self.seconds, 4),
            "notes": list(self.notes),
            "labels_png": "pixel value = cluster id + 1; 0 = transparent (no segment)",
            "clusters": [
                {
                    "id": i,
                    "hex": _hex(self.colors[i]),
                    "rgb": self.colors[i].tolist(),
                    "pixels": int(self.cluster_pixels[i]),
                    "share": float(shares[i]),
                    "regions": int(self.cluster_regions[i]),
                    "bbox": self.cluster_bboxes[i].tolist(),
                    "mask": f"mask_{i}.png",
                }
                for i in range(len(self.colors))
            ],
            "regions": [
                {
                    "id": r,
                    "cluster": cluster,
                    "area": area,
                    "centroid": [round(row, 2), round(column, 2)],
                    "bbox": bbox,
                }
                for r, (cluster, area, (row, column), bbox) in enumerate(zip(
                    self.region_cluster.tolist(), self.region_area.tolist(),
                    self.region_centroids.tolist(), self.region_bboxes.tolist(),
                ))
            ],
        }

    def file_names(self):
        """The files :meth:`save` writes, in order."""
        return output_names(len(self.colors))

    def save(self, folder, *, overwrite=False):
        """Write labels.png, mask_<i>.png, overlay.png, palette.png and segments.json.

        The folder is created if needed.  Nothing is written when any of the files
        exists and ``overwrite`` is false, or when one of them is the input image; each
        file is written atomically.  When a write fails (a full disk, say), the files
        this call created are removed, and the folder if this call created it.

        Returns
        -------
        dict
            File name → bytes written.
        """
        folder = Path(folder)
        names = self.file_names()
        pictures = {"labels.png": self.label_image, "overlay.png": self.overlay, "palette.png": self.swatch}
        for i in range(len(self.colors)):
            pictures[f"mask_{i}.png"] = lambda i=i: self.mask(i)
        created = not folder.exists()
        existed = set()
        if not created:
            io.check_outputs([(folder / name, "output") for name in names],
                             reads=[(self.input, "the input image")], overwrite=overwrite)
            existed = {name for name in names if (folder / name).exists()}
        io.make_folder(folder)

        def write(name):
            try:
                return name, io.save_png(folder / name, pictures[name](), overwrite=overwrite, compress_level=1)
            except BaseException as e:  # every write ends before the cleanup below
                return name, e

        try:
            written = dict(thread_map(write, list(pictures)))
            failed = next((e for e in written.values() if isinstance(e, BaseException)), None)
            if failed is not None:
                raise failed
            text = json.dumps(self.to_dict())  # compact: a photo can have 100,000 regions
            written["segments.json"] = io.save_text(folder / "segments.json", text + "\n", overwrite=overwrite)
        except BaseException:
            for name in names:
                if name not in existed:
                    (folder / name).unlink(missing_ok=True)
            if created:
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        return written


def output_names(n_clusters):
    """The file names a segmentation of ``n_clusters`` clusters writes (see
    :meth:`SegmentResult.save`)."""
    return ["labels.png", "overlay.png", "palette.png", *(f"mask_{i}.png" for i in range(n_clusters)),
            "segments.json"]


def _hex(color):
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in color))


def segment_image(
    image, n_segments=4, *, spatial=0.0, min_region=0, sigma=0.0, colorspace=DEFAULT_SPACE,
    effort=DEFAULT_EFFORT, random_state=None, max_pixels=io.DEFAULT_MAX_PIXELS,
):
    """Segment an image into clusters of similar colour and their connected regions.

    Parameters
    ----------
    image : str, Path, LoadedImage, PIL.Image.Image or ndarray
        As in :func:`quantize.quantize_image`.
    n_segments : int
        Number of colour clusters, >= 1.
    spatial : float, keyword-only
        Weight of the pixel position against colour, as SLIC's ``compactness``: the
        position in units of the grid step sqrt(pixels / n_segments) is multiplied by
        it.  0 (the default) clusters by colour alone; larger values give more
        compact, blob-like regions (one grid step then weighs as much as a colour
        difference of ``spatial``).  The colour scale is larger in RGB (0..255) than
        in CIELAB, so the same effect needs larger values there.  Above 0, the clustering runs on a sample of
        :data:`SPATIAL_SAMPLE` pixels instead of the colour histogram.
    min_region : int, keyword-only
        Regions with fewer pixels are merged into the neighbouring region they share
        the longest border with (ties: the nearest in colour), until none is left.
    sigma : float, keyword-only
        Standard deviation, in pixels, of a Gaussian smoothing of the colours before
        they are clustered (as SLIC's ``sigma``): on noisy images, 1 to 2 keeps noise
        from scattering pixels across clusters.  Statistics and colours are always
        taken from the unsmoothed pixels.  0 (the default) does not smooth.
    colorspace : {"lab", "rgb", "oklab"}, keyword-only
        Space the colours are clustered in: CIELAB (perceptual), sRGB, or OKLab.
    effort : {"normal", "fast", "thorough"}, keyword-only
        How far the colour clustering searches, as in :func:`quantize.quantize_image`
        (with ``spatial`` > 0 the clustering is a k-means++ fit on a sample instead).
    random_state : None, int or numpy.random.Generator, keyword-only
    max_pixels : int or None, keyword-only
        Decompression-bomb limit when ``image`` is a path.

    Returns
    -------
    SegmentResult

    Guarantees
    ----------
    - Every non-transparent pixel is in exactly one cluster and one region; fully
      transparent pixels (alpha 0) are in none (-1).
    - At most ``n_segments`` clusters, none empty; shares sum to 1.
    - Every region is 4-connected and lies in one cluster; with ``min_region``, no
      region smaller than it has a neighbour.
    - The same input, parameters and integer ``random_state`` give the same result.
    """
    n_segments = check_int(n_segments, "n_segments", low=1, high=MAX_SEGMENTS)
    spatial = check_float(spatial, "spatial", low=0.0)
    min_region = check_int(min_region, "min_region", low=0)
    sigma = check_float(sigma, "sigma", low=0.0)
    if sigma > MAX_SIGMA:
        raise InvalidParameterError(f"sigma={sigma} must be <= {MAX_SIGMA:g} pixels (smooth a downscaled image "
                                    "for a wider blur)")
    check_choice(colorspace, "colorspace", CLUSTER_SPACES)
    check_choice(effort, "effort", EFFORTS)
    if max_pixels is not None:
        check_int(max_pixels, "max_pixels", low=1)
    seed, rng = resolve_seed(random_state)
    loaded = io.as_loaded(image, max_pixels)
    start = time.perf_counter()
    pixels = loaded.pixels
    height, width, channels = pixels.shape
    rgb = pixels[..., :3]
    where = None
    if channels == 4 and not (pixels[..., 3] != 0).all():
        where = np.flatnonzero(pixels[..., 3].reshape(-1) != 0)

    clusters = None
    centers = np.zeros((0, 3), np.float32)
    if where is None or len(where):
        smoothed = _smooth(rgb, sigma) if sigma > 0 else rgb
        labels, centers = _cluster_pixels(smoothed, where, n_segments, colorspace=colorspace, spatial=spatial,
                                          effort=effort, rng=rng)
        del smoothed
        if where is None:  # the labels are the map: no second copy of it
            clusters = labels.astype(np.int32, copy=False)
        else:
            clusters = np.full(height * width, -1, dtype=np.int32)
            clusters[where] = labels
        del labels
    if clusters is None:
        clusters = np.full(height * width, -1, dtype=np.int32)
    clusters = clusters.reshape(height, width)
    notes = list(loaded.notes)
    if 0 < len(centers) < n_segments:
        notes.append(f"only {len(centers)} clusters: the image has too few distinct colours for {n_segments}")
    if min_region > 1:
        clusters = _merge_small_regions(clusters, min_region, centers)

    return SegmentResult(
        image=pixels,
        **_statistics(rgb, _by_size(clusters, len(centers))),
        parameters={
            "n_segments": n_segments, "colorspace": colorspace, "effort": effort, "spatial": spatial,
            "min_region": min_region, "sigma": sigma, "seed": seed,
        },
        input=str(loaded.path) if loaded.path is not None else None,
        notes=notes,
        seconds=loaded.seconds + time.perf_counter() - start,
    )
