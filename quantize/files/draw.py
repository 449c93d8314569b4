"""Pictures made from results: region overlays and palette swatches (arrays in, arrays out)."""

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage.segmentation import find_boundaries

from .._parallel import map_slices
from ..color.distinct import contrasting_ink

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
    boundaries : bool, keyword-only
        Draw the region boundaries (skimage's ``find_boundaries``, mode "inner", as
        ``mark_boundaries`` draws them: a line on each side), each boundary pixel in
        black or white, whichever contrasts more with the colour it replaces.

    Returns
    -------
    (H, W, 3) or (H, W, 4) ndarray of uint8, the shape of ``image``.
    """
    out = image.copy()
    height = image.shape[0]
    weight = np.uint16(round(opacity * 256))
    rows = max(1, _STRIP_PIXELS // max(1, image.shape[1]))

    # Strips of rows on threads; the blend is fixed-point on the uint8 values, so no
    # float copy of the image is made.
    def paint(part):
        top, bottom = part.start, part.stop
        strip = regions[part]
        inside = strip >= 0
        painted = region_colors[strip[inside]].astype(np.uint16)
        under = image[top:bottom, :, :3][inside].astype(np.uint16)
        if grey:
            under = ((under @ _LUMA + 128) >> 8)[:, None]
        blended = (weight * painted + (256 - weight) * under + 128) >> 8
        out[top:bottom, :, :3][inside] = blended.astype(np.uint8)
        if boundaries:  # a pixel's boundary status depends on its 4 neighbours: one row of halo
            above, below = max(top - 1, 0), min(bottom + 1, height)
            edge = find_boundaries(regions[above:below] + 1, mode="inner", background=0)  # 0: no region
            edge = edge[top - above : top - above + bottom - top]
            colors = out[top:bottom, :, :3]
            colors[edge] = contrasting_ink(colors[edge])

    map_slices(paint, height, rows)
    return out


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
