"""Transparency: which pixels are visible, premultiplied colour, and the lookup table
that turns palette indices (-1 for transparent pixels) back into pixels.

Images with partly transparent pixels are clustered as premultiplied RGBA (colour
scaled by alpha): that is what a compositor shows, so the colour of a nearly
transparent pixel counts for little and the colour hidden under a fully transparent
one for nothing.  Premultiplication rounds to integers exactly as :func:`premultiply`
does, so the clustering minimises the very error the report measures.
"""

import numpy as np


def visible_mask(flat: np.ndarray) -> np.ndarray | None:
    """(n,) bool: the pixels of (n, c) uint8 ``flat`` that are not fully transparent,
    or None when all are (RGB, or RGBA without a transparent pixel)."""
    if flat.shape[1] != 4:
        return None
    visible = flat[:, 3] != 0
    return None if visible.all() else visible


def visible_pixels(pixels):
    """The rows of (H, W, c) uint8 ``pixels`` that are not fully transparent, as (n, c),
    and their mask over the H·W pixels (None when every pixel is visible)."""
    flat = pixels.reshape(-1, pixels.shape[-1])
    visible = visible_mask(flat)
    return (flat if visible is None else flat[visible]), visible


def lookup_table(palette: np.ndarray, channels: int) -> np.ndarray:
    """(n + 1, channels) uint8: the palette entries (opaque alpha added to an RGB
    palette when ``channels`` is 4), then a fully transparent row, which label -1
    picks: ``lookup_table(palette, c)[labels]`` is the image."""
    table = np.zeros((len(palette) + 1, channels), dtype=np.uint8)
    table[: len(palette), : palette.shape[1]] = palette[:, :channels]
    if palette.shape[1] < channels:
        table[: len(palette), 3] = 255
    return table


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """Colour scaled by alpha, rounded: (..., 4) uint8 → (..., 4) uint8 (alpha unchanged)."""
    out = rgba.copy()
    out[..., :3] = (rgba[..., :3].astype(np.uint16) * rgba[..., 3:] + 127) // 255
    return out


def to_features(colors: np.ndarray, premultiplied: bool) -> np.ndarray:
    """Clustering coordinates of (m, c) uint8 colours: (m, c) float32 (exact values)."""
    return (premultiply(colors) if premultiplied else colors).astype(np.float32)


def to_palette(centers: np.ndarray, premultiplied: bool) -> np.ndarray:
    """uint8 palette entries for cluster centres given in feature space.

    RGB centres are rounded.  Premultiplied centres get the rounded alpha (at least 1:
    a cluster of visible pixels stays visible) and, per channel, the straight colour
    whose premultiplied value is nearest the centre, so that the round trip through a
    straight-alpha palette loses as little as possible.  At low alpha many straight
    colours premultiply alike; among those the one nearest the cluster's own straight
    colour (the centre over its unrounded alpha) is kept, so that nearly transparent
    white stays white.
    """
    if not premultiplied:
        return np.clip(np.rint(centers), 0, 255).astype(np.uint8)
    alpha = np.clip(np.rint(centers[:, 3]), 1, 255)
    straight = centers[:, :3] * 255 / np.maximum(centers[:, 3:], 1e-6)
    steps = np.array([0, -1, 1])
    candidates = np.clip(
        np.concatenate(
            [np.rint(straight)[..., None] + steps, np.rint(centers[:, :3] * 255 / alpha[:, None])[..., None] + steps],
            axis=2,
        ),
        0,
        255,
    )
    shown = (candidates * alpha[:, None, None] + 127) // 255
    error = np.abs(shown - centers[:, :3, None])
    # nearest premultiplied value first; among equals, nearest the straight colour
    error += np.abs(candidates - straight[..., None]) * 1e-9
    best = error.argmin(axis=2)
    rgb = np.take_along_axis(candidates, best[..., None], axis=2)[..., 0]
    return np.column_stack([rgb, alpha]).astype(np.uint8)
