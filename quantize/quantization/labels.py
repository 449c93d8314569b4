"""Colour labels back to the pixels: each pixel's row of the histogram
(:func:`color_index`) and its palette entry (:func:`pixel_labels`), -1 where the
pixel is fully transparent."""

import numpy as np


def spread_labels(histogram, visible, shape, color_labels):
    """The (H, W) label of every pixel from its colour's label; -1 where not visible."""
    height, width = shape[:2]
    label_dtype = np.int16 if color_labels.max(initial=0) <= np.iinfo(np.int16).max else np.int32
    labels = histogram.lookup(color_labels.astype(label_dtype))
    if visible is not None:
        full = np.full(height * width, -1, dtype=label_dtype)
        full[visible] = labels
        labels = full
    return labels.reshape(height, width)


def color_index(colors):
    """(H, W) int32: each pixel's row of the histogram, -1 where not visible."""
    distinct = np.arange(len(colors.features), dtype=np.int32)
    return np.ascontiguousarray(spread_labels(colors.histogram, colors.visible, colors.shape, distinct), dtype=np.int32)


def pixel_labels(colors, palette, color_labels, *, labels=None):
    """The output palette and the (H, W) label of every pixel (-1 where fully
    transparent): each colour's label, unless ``labels`` gives them (dithered)."""
    if labels is None:
        labels = spread_labels(colors.histogram, colors.visible, colors.shape, color_labels)
    if colors.shape[2] == 4 and not colors.premultiplied:
        palette = np.column_stack([palette, np.full(len(palette), 255, np.uint8)])
    return palette, labels
