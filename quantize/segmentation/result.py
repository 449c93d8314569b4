"""The outcome of a segmentation: :class:`SegmentResult`, its JSON and its pictures
(a value: ``quantize.files.results.save_segments`` writes its files)."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import display
from .._validation import check_choice
from ..color.alpha import lookup_table
from ..color.distinct import distinct_colors
from ..color.spaces import hex_code

#: What overlay.png paints: each cluster in a colour of its own over the image's grey
#: (the default: clusters apart at a glance), or each region in its mean colour over
#: the image.
OVERLAY_MODES = ("clusters", "mean")
#: Weight of the painted colour over the image in overlay.png, by mode.
OVERLAY_OPACITY = {"clusters": 0.55, "mean": 0.6}
#: Fewest steps of grey under the cluster colours of a palette overlay.png (k <= 31).
MIN_GREY_STEPS = 8
#: Rows of palette.png at most.
SWATCH_ROWS = 64


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
        n_segments, colorspace, spatial, min_region, sigma and seed, as used; the
        estimated noise (sRGB units) and cluster_space, the space the colours were
        clustered in.
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

    def mask(self, cluster: int) -> np.ndarray:
        """(H, W) ndarray of bool: the pixels of one cluster."""
        return self.clusters == cluster

    def label_image(self) -> np.ndarray:
        """The cluster map as stored in labels.png: cluster + 1, 0 where transparent;
        uint8 when it fits, uint16 otherwise."""
        dtype = np.uint8 if len(self.colors) < 256 else np.uint16
        return (self.clusters + 1).astype(dtype)

    def color_labels(self) -> np.ndarray:
        """(H, W, 3) uint8 (RGBA when some pixels are transparent): every pixel in its
        cluster's mean colour, as skimage's ``label2rgb(kind="avg")``; transparent
        pixels stay transparent.  labels-color.png holds it."""
        table = lookup_table(self.colors, 4 if (self.clusters < 0).any() else 3)
        return table[self.clusters]  # cluster -1 takes the table's transparent last row

    def labels_color_picture(self) -> tuple[np.ndarray, np.ndarray | None]:
        """labels-color.png's pixels: (H, W) uint8 indices and their (n, 3|4) table (a
        palette PNG, 5x faster to write), or :meth:`color_labels` and None when the
        clusters and a transparent entry exceed a palette's 256."""
        transparent = bool((self.clusters < 0).any())
        if len(self.colors) + transparent > 256:
            return self.color_labels(), None
        index = self.clusters.astype(np.uint8)
        if transparent:
            index[self.clusters < 0] = len(self.colors)
        return index, lookup_table(self.colors, 4 if transparent else 3)[: len(self.colors) + transparent]

    def _pictures(self):
        factor = display.step(self.clusters.shape)
        return [display.reduced(self.image, factor), display.reduced_labels(self.colors, self.clusters, factor)], [
            "image",
            f"{len(self.colors)} clusters, {len(self.region_area)} regions",
        ]

    def _repr_png_(self) -> bytes:
        """The image and its clusters in their mean colours, small, above those colours."""
        return display.png(self._pictures()[0], self.colors)

    def _repr_html_(self) -> str:
        """The image, its clusters in their mean colours, and the clusters' swatches."""
        pictures, captions = self._pictures()
        height, width = self.clusters.shape
        facts = f"{len(self.colors)} clusters, {len(self.region_area)} regions, {width} x {height} px"
        return display.html_view(pictures, captions, self.colors, facts)

    def overlay(self, mode: str = "clusters") -> np.ndarray:
        """(H, W, 3|4) uint8: the segmentation painted over the image, region
        boundaries drawn in black or white, whichever contrasts with the colour there.

        Parameters
        ----------
        mode : {"clusters", "mean"}
            "clusters": each cluster in a colour of its own
            (:func:`~quantize.color.distinct.distinct_colors`) over the image's grey;
            "mean": each region in its mean colour over the image.
        """
        pixels, palette = self.overlay_picture(mode)
        return pixels if palette is None else palette[pixels]

    def overlay_picture(self, mode: str) -> tuple[np.ndarray, np.ndarray | None]:
        """overlay.png's pixels: an index map and its palette when the image is opaque
        and each cluster's colour over at least MIN_GREY_STEPS of grey fits 256 entries
        (writing it is then 10x faster), else the (H, W, 3|4) picture and None."""
        opaque = self.image.shape[2] == 3 or bool((self.image[..., 3] == 255).all())
        return paint_overlay(self.image, self.clusters, self.regions, self, mode, opaque=opaque)

    def swatch(self) -> np.ndarray:
        """(rows, width, 3) uint8: the cluster colours with their hex codes and shares
        (the largest SWATCH_ROWS - 1 and a last row counting the rest, if more)."""
        return swatch(self.colors, self.shares)

    def to_dict(self) -> dict[str, Any]:
        """Everything in segments.json, as plain JSON types."""
        return segments_summary(self, *self.clusters.shape)

    def file_names(self) -> list[str]:
        """The files ``quantize.files.results.save_segments`` writes, in order."""
        return output_names(len(self.colors))


def output_names(n_clusters: int) -> list[str]:
    """The file names a segmentation of ``n_clusters`` clusters writes (see
    ``quantize.files.results.save_segments``)."""
    return [
        "labels.png",
        "labels-color.png",
        "overlay.png",
        "palette.png",
        *(f"mask_{i}.png" for i in range(n_clusters)),
        "segments.json",
    ]


def segments_summary(result: Any, height: int, width: int, extension: str = ".png") -> dict[str, Any]:
    """segments.json's content, as plain JSON types, of a segmentation (a
    :class:`SegmentResult` or what has its statistics) of a ``height`` x ``width`` image
    whose mask files end in ``extension``."""
    shares = result.shares
    return {
        "input": result.input,
        "width": width,
        "height": height,
        **result.parameters,
        "n_clusters": len(result.colors),
        "n_regions": len(result.region_area),
        "seconds": round(result.seconds, 4),
        "notes": list(result.notes),
        "labels_png": "pixel value = cluster id + 1; 0 = transparent (no segment)",
        "clusters": [
            {
                "id": i,
                "hex": hex_code(result.colors[i]),
                "rgb": result.colors[i].tolist(),
                "pixels": int(result.cluster_pixels[i]),
                "share": float(shares[i]),
                "regions": int(result.cluster_regions[i]),
                "bbox": result.cluster_bboxes[i].tolist(),
                "mask": f"mask_{i}{extension}",
            }
            for i in range(len(result.colors))
        ],
        "regions": [
            {
                "id": r,
                "cluster": cluster,
                "area": area,
                "centroid": [round(row, 2), round(column, 2)],
                "bbox": bbox,
            }
            for r, (cluster, area, (row, column), bbox) in enumerate(
                zip(
                    result.region_cluster.tolist(),
                    result.region_area.tolist(),
                    result.region_centroids.tolist(),
                    result.region_bboxes.tolist(),
                )
            )
        ],
    }


def paint_overlay(
    image: np.ndarray,
    clusters: np.ndarray,
    regions: np.ndarray,
    statistics: Any,
    mode: str,
    *,
    opaque: bool,
    boundaries: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """overlay.png's pixels of an image (or a tile of it): see
    :meth:`SegmentResult.overlay_picture`.  ``statistics`` has the segmentation's
    ``colors``, ``region_cluster`` and ``region_colors``; ``boundaries`` the boundary
    pixels when they are known beyond ``regions`` (a tile's)."""
    from .. import drawing as draw

    check_choice(mode, "mode", OVERLAY_MODES)
    k = len(statistics.colors)
    edges: bool | np.ndarray = True if boundaries is None else boundaries
    if mode == "mean":
        return draw.overlay(
            image, regions, statistics.region_colors, opacity=OVERLAY_OPACITY[mode], boundaries=edges
        ), None
    colors = distinct_colors(k)
    if opaque and 0 < k and k * MIN_GREY_STEPS + 2 <= 256:
        return draw.indexed_overlay(
            image,
            clusters,
            regions,
            colors,
            opacity=OVERLAY_OPACITY[mode],
            levels=min(254 // k, 256),
            boundaries=boundaries,
        )
    return draw.overlay(
        image,
        regions,
        colors[statistics.region_cluster],
        opacity=OVERLAY_OPACITY[mode],
        grey=True,
        boundaries=edges,
    ), None


def swatch(colors: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """palette.png: the cluster ``colors`` with their hex codes and ``shares``, the
    largest SWATCH_ROWS - 1 and a last row counting the rest, if more."""
    from .. import drawing as draw

    captions = [f"{i}  {hex_code(c)}  {share:6.1%}" for i, (c, share) in enumerate(zip(colors, shares))]
    if len(colors) > SWATCH_ROWS:
        rest = len(colors) - (SWATCH_ROWS - 1)
        colors = np.vstack([colors[: SWATCH_ROWS - 1], [255, 255, 255]]).astype(np.uint8)
        captions = captions[: SWATCH_ROWS - 1] + [f"{rest} more in segments.json"]
    return draw.swatch(colors, captions)
