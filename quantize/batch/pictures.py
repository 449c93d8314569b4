"""The pictures of one file for the batch's HTML report, made by the worker that did the
file: small before/after thumbnails, a before/after crop at 1:1 where the two differ
most (where banding and dithering show), and the palette.

Sized for a page of thousands of rows: thumbnails are lossy WebP (alpha kept), the crops
lossless WebP so that every output pixel is seen as it is; about 20 KB a file.
"""

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..color.spaces import hex_code

#: Longest side of a thumbnail, in pixels.
THUMBNAIL_SIZE = 160
#: Side of the 1:1 crops, in pixels.
CROP_SIZE = 96
_THUMBNAIL_QUALITY = 75


@dataclass
class Pictures:
    """Data URIs of one file's pictures and its palette's hex codes."""

    before: str
    after: str
    crop_before: str
    crop_after: str
    crop_at: tuple  # (top, left) of the crops in the image
    palette: list


def _data_uri(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", **options)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _thumbnail(pixels):
    image = Image.fromarray(pixels)
    image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    return _data_uri(image, quality=_THUMBNAIL_QUALITY)


def crop_origin(before, after, size=CROP_SIZE):
    """(top, left) of the size x size window where ``after`` differs most from
    ``before`` (mean absolute difference over the colour channels), on a grid of half
    windows."""
    height, width = before.shape[:2]
    if height <= size and width <= size:
        return 0, 0
    step = max(1, size // 2)
    difference = np.abs(before[..., :3].astype(np.int16) - after[..., :3].astype(np.int16)).sum(axis=2)
    rows, columns = -(-height // step), -(-width // step)
    padded = np.zeros((rows * step, columns * step), dtype=np.int64)
    padded[:height, :width] = difference
    cells = padded.reshape(rows, step, columns, step).sum(axis=(1, 3))  # sums of half windows
    windows = cells
    if rows > 1:
        windows = windows[:-1] + windows[1:]
    if columns > 1:
        windows = windows[:, :-1] + windows[:, 1:]
    top, left = np.unravel_index(int(np.argmax(windows)), windows.shape)
    return min(int(top) * step, max(height - size, 0)), min(int(left) * step, max(width - size, 0))


def pictures(before, after, palette):
    """The :class:`Pictures` of a file: ``before`` and ``after`` are (H, W, 3|4) uint8
    images of one shape, ``palette`` the (n, 3|4) uint8 entries."""
    top, left = crop_origin(before, after)
    window = (slice(top, top + CROP_SIZE), slice(left, left + CROP_SIZE))
    return Pictures(
        before=_thumbnail(before),
        after=_thumbnail(after),
        crop_before=_data_uri(Image.fromarray(np.ascontiguousarray(before[window])), lossless=True),
        crop_after=_data_uri(Image.fromarray(np.ascontiguousarray(after[window])), lossless=True),
        crop_at=(top, left),
        palette=[hex_code(color[:3]) for color in np.asarray(palette, dtype=np.uint8)],
    )
