"""How a result shows itself in a notebook (Jupyter calls ``_repr_html_`` or
``_repr_png_``): before and after side by side, small, with the palette as a strip and
a line of figures.  Pictures are made from a reduced copy (a big image is never
rebuilt whole for this) and embedded as data URIs: nothing is written, nothing
fetched."""

import base64
import html
import io

import numpy as np
from PIL import Image

#: Longest side of each picture shown, in pixels.
DISPLAY_SIZE = 400
#: Height of the palette strip in the PNG, in pixels.
STRIP_HEIGHT = 24
_GAP = 8


def step(shape: tuple, size: int = DISPLAY_SIZE) -> int:
    """The integer factor that brings an image of ``shape`` to at most ``size`` pixels
    on its longest side; before and after shrink by the same, so they match."""
    return max(1, -(-max(shape[:2]) // size))


def reduced(pixels: np.ndarray, factor: int) -> np.ndarray:
    """``pixels`` ((H, W, C) ndarray of uint8) shrunk by ``factor`` (box averages; the
    size rounds up, as :func:`reduced_labels`'s)."""
    image = Image.fromarray(np.ascontiguousarray(pixels))
    return np.asarray(image.reduce(factor) if factor > 1 else image)


def reduced_labels(palette: np.ndarray, labels: np.ndarray, factor: int) -> np.ndarray:
    """The picture of ``labels`` ((H, W) ndarray, -1 transparent) in ``palette``, one
    pixel in ``factor`` along each side: every pixel a palette colour, none blended."""
    sampled = labels[::factor, ::factor]
    channels = 4 if palette.shape[1] == 4 or (sampled < 0).any() else 3
    table = np.zeros((len(palette) + 1, channels), dtype=np.uint8)
    table[:-1, : palette.shape[1]] = palette
    if channels == 4 and palette.shape[1] == 3:
        table[:-1, 3] = 255
    return table[sampled]  # label -1 takes the last, transparent row


def _encode(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _data_uri(pixels):
    return "data:image/png;base64," + base64.b64encode(_encode(pixels)).decode("ascii")


def _rgba(pixels):
    if pixels.shape[2] == 4:
        return pixels
    return np.dstack([pixels, np.full(pixels.shape[:2], 255, np.uint8)])


def png(pictures: list, palette: np.ndarray) -> bytes:
    """One PNG: ``pictures`` ((h, w, 3|4) arrays) side by side above a strip of the
    ``palette``'s colours."""
    pictures = [_rgba(p) for p in pictures]
    width = sum(p.shape[1] for p in pictures) + _GAP * (len(pictures) - 1)
    height = max(p.shape[0] for p in pictures)
    canvas = np.zeros((height + _GAP + STRIP_HEIGHT, width, 4), dtype=np.uint8)
    left = 0
    for picture in pictures:
        canvas[: picture.shape[0], left : left + picture.shape[1]] = picture
        left += picture.shape[1] + _GAP
    colors = _rgba(np.asarray(palette, dtype=np.uint8)[None, :, :])[0]
    if len(colors):
        edges = np.linspace(0, width, len(colors) + 1).astype(int)
        which = np.searchsorted(edges, np.arange(width), side="right") - 1
        canvas[height + _GAP :, :] = colors[np.clip(which, 0, len(colors) - 1)][None]
    return _encode(canvas)


def html_view(pictures: list, captions: list, palette: np.ndarray, facts: str) -> str:
    """The HTML of a result: ``pictures`` with their ``captions``, the ``palette`` as
    swatches (hex codes in their tooltips) and a line of ``facts``."""
    figures = "".join(
        '<figure style="margin:0;text-align:center">'
        f'<img src="{_data_uri(picture)}" alt="{html.escape(caption)}" style="display:block;max-width:100%;'
        'background:repeating-conic-gradient(#ccc 0 25%,#fff 0 50%) 0 0/16px 16px">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for picture, caption in zip(pictures, captions)
    )
    codes = ["#" + "".join(f"{int(v):02x}" for v in color[:3]) for color in np.asarray(palette)]
    swatches = "".join(
        f'<span title="{code}" style="display:inline-block;width:14px;height:14px;background:{code};'
        'box-shadow:inset 0 0 0 1px #0002"></span>'
        for code in codes
    )
    return (
        '<div class="quantize-result" style="font:13px/1.4 system-ui,sans-serif">'
        f'<div style="display:flex;flex-wrap:wrap;gap:8px">{figures}</div>'
        f'<div style="margin-top:6px;line-height:0">{swatches}</div>'
        f'<div style="margin-top:4px">{html.escape(facts)}</div></div>'
    )
