"""Pictures made from results: region overlays and palette swatches (arrays in, arrays out)."""

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ._parallel import map_slices
from .color.distinct import contrasting_ink

_STRIP_PIXELS = 1 << 20
# Rec. 601 luma weights, in 1/256ths: the grey underlay of ``overlay(grey=True)``.
_LUMA = np.array([77, 150, 29], dtype=np.uint16)


def overlay(image, regions, region_colors, *, opacity=0.6, grey=False, boundaries=True):
    """The image with every region painted in its colour, blended over it.

    Parameters
    ----------
    image : (H, W, 3) or (H, W, 4) ndarray of uint8
    regions : (H, W) ndarray of int
        Region index of every pixel, -1 for pixels that belong to no region (they are
        copied from ``image`` unchanged).
    region_colors : (R, 3) ndarray of uint8
    opacity : float, keyword-only
        Weight of the region colour; 1 paints the regions solid.
    grey : bool, keyword-only
        Blend over the image's grey (luma) instead of its colours, so that the
        painted colours alone tell the regions apart.
    boundaries : bool or (H, W) ndarray of bool, keyword-only
        Draw the region boundaries (skimage's ``find_boundaries``, mode "inner", as
        ``mark_boundaries`` draws them: a line on each side), each boundary pixel in
        black or white, whichever contrasts more with the colour it replaces; an
        array gives the boundary pixels (of a tile, whose neighbours lie beyond it).

    Returns
    -------
    (H, W, 3) or (H, W, 4) ndarray of uint8, the shape of ``image``.
    """
    out = image.copy()
    height = image.shape[0]
    weight = np.uint16(round(opacity * 256))
    rows = max(1, _STRIP_PIXELS // max(1, image.shape[1]))
    # weight x colour, rounding included, per region; the last row serves region -1
    painted_table = np.vstack([weight * region_colors.astype(np.uint16) + 128, np.zeros((1, 3), np.uint16)])

    # Strips of rows on threads, whole rows at a time (masked selections are several
    # times slower); the blend is fixed-point on the uint8 values, no float copy made.
    def paint(part):
        top, bottom = part.start, part.stop
        strip = regions[part]
        under = image[top:bottom, :, :3].astype(np.uint16)
        if grey:
            under = under @ _LUMA
            under += 128
            under >>= 8
            under = under[..., None]
        blended = painted_table[strip]
        blended += (256 - weight) * under
        blended >>= 8
        target = out[top:bottom, :, :3]
        if (strip >= 0).all():
            target[...] = blended
        else:
            np.copyto(target, blended, where=(strip >= 0)[..., None], casting="unsafe")
        if boundaries is not False:  # a pixel's status depends on its 4 neighbours: one row of halo
            edge = boundaries[part] if isinstance(boundaries, np.ndarray) else inner_boundaries(regions, top, bottom)
            colors = out[top:bottom, :, :3]
            colors[edge] = contrasting_ink(colors[edge])

    map_slices(paint, height, rows)
    return out


def indexed_overlay(image, clusters, regions, cluster_colors, *, opacity=0.55, levels=32, boundaries=None):
    """:func:`overlay` with ``grey=True`` for opaque images, as a palette image: each
    cluster's colour over ``levels`` steps of grey, plus black and white for the
    boundaries.  One byte a pixel is written 10x faster than RGB and is 4x smaller.

    Parameters
    ----------
    image : (H, W, 3) ndarray of uint8
    clusters, regions : (H, W) ndarray of int
        Cluster and region of every pixel (all >= 0).
    cluster_colors : (k, 3) ndarray of uint8
    opacity : float, keyword-only
    levels : int, keyword-only
        Steps of grey, with k x levels + 2 <= 256.
    boundaries : (H, W) ndarray of bool, optional, keyword-only
        The boundary pixels, when known beyond ``regions`` (see :func:`overlay`).

    Returns
    -------
    index : (H, W) ndarray of uint8
    palette : (k x levels + 2, 3) ndarray of uint8
    """
    k = len(cluster_colors)
    weight = np.uint16(round(opacity * 256))
    greys = ((np.arange(levels) * 2 + 1) * 128 // levels).astype(np.uint16)  # the middle of each step
    palette = (weight * cluster_colors.astype(np.uint16)[:, None, :] + (256 - weight) * greys[None, :, None] + 128) >> 8
    palette = np.vstack([palette.reshape(-1, 3), [[0, 0, 0], [255, 255, 255]]]).astype(np.uint8)
    ink = np.where(contrasting_ink(palette[:-2])[:, 0] == 0, k * levels, k * levels + 1).astype(np.uint8)
    index = np.empty(clusters.shape, dtype=np.uint8)
    rows = max(1, _STRIP_PIXELS // max(1, image.shape[1]))

    def paint(part):
        step = image[part, :, :3].astype(np.uint32) @ _LUMA.astype(np.uint32)  # luma x 256
        step *= levels
        step >>= 16  # the grey step, 0..levels-1
        strip = index[part]
        np.multiply(clusters[part], levels, out=strip, casting="unsafe")
        strip += step.astype(np.uint8)
        edge = boundaries[part] if boundaries is not None else inner_boundaries(regions, part.start, part.stop)
        strip[edge] = ink[strip[edge]]

    map_slices(paint, clusters.shape[0], rows)
    return index, palette


def inner_boundaries(regions, top=0, bottom=None):
    """(rows, W) bool: the pixels of rows ``top:bottom`` that belong to a region (>= 0)
    and have a 4-neighbour in another region or in none, as skimage's
    ``find_boundaries(mode="inner")`` marks them."""
    bottom = regions.shape[0] if bottom is None else bottom
    above, below = max(top - 1, 0), min(bottom + 1, regions.shape[0])
    block = regions[above:below]
    edge = np.zeros(block.shape, dtype=bool)
    across = block[:, 1:] != block[:, :-1]
    edge[:, 1:] |= across
    edge[:, :-1] |= across
    down = block[1:] != block[:-1]
    edge[1:] |= down
    edge[:-1] |= down
    edge &= block >= 0
    return edge[top - above : top - above + bottom - top]


def swatch(colors, captions, *, row_height=28, width=360):
    """A column of colour blocks, each with a caption (its hex code and share, say).

    Parameters
    ----------
    colors : (n, 3) ndarray of uint8
    captions : sequence of n str
    row_height, width : int, keyword-only
        Pixel size of one row and of the picture.

    Returns
    -------
    (max(n, 1) * row_height, width, 3) ndarray of uint8
    """
    image = Image.new("RGB", (width, max(len(colors), 1) * row_height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    block = 2 * row_height
    for row, (color, caption) in enumerate(zip(colors, captions)):
        top = row * row_height
        draw.rectangle([0, top, block - 1, top + row_height - 1], fill=tuple(int(c) for c in color))
        draw.text((block + 8, top + row_height // 2), caption, fill="black", font=font, anchor="lm")
    return np.asarray(image)
