"""The spaces colours are clustered in, and the way back to uint8 palette entries.

Opaque images are clustered in RGB.  Images with partly transparent pixels are
clustered as premultiplied RGBA (colour scaled by alpha): that is what a compositor
shows, so the colour of a nearly transparent pixel counts for little and the colour
hidden under a fully transparent one for nothing.  Premultiplication rounds to
integers exactly as :func:`premultiply` does, so the clustering minimises the very
error the report measures.
"""

import numpy as np

#: Spaces the segmentation clusters colours in.
COLORSPACES = ("lab", "rgb")


def premultiply(rgba):
    """Colour scaled by alpha, rounded: (..., 4) uint8 → (..., 4) uint8 (alpha unchanged)."""
    out = rgba.copy()
    out[..., :3] = (rgba[..., :3].astype(np.uint16) * rgba[..., 3:] + 127) // 255
    return out


def to_features(colors, premultiplied):
    """Clustering coordinates of (m, c) uint8 colours: (m, c) float32 (exact values)."""
    return (premultiply(colors) if premultiplied else colors).astype(np.float32)


def to_palette(centers, premultiplied):
    """uint8 palette entries for cluster centres given in feature space.

    RGB centres are rounded.  Premultiplied centres get the rounded alpha (at least 1:
    a cluster of visible pixels stays visible) and, per channel, the straight colour
    whose premultiplied value is nearest the centre, so that the round trip through a
    straight-alpha palette loses as little as possible.
    """
    if not premultiplied:
        return np.clip(np.rint(centers), 0, 255).astype(np.uint8)
    alpha = np.clip(np.rint(centers[:, 3]), 1, 255)
    quotient = np.rint(centers[:, :3] * 255 / alpha[:, None])
    # the rounded quotient first, so that ties keep it
    candidates = np.clip(quotient[..., None] + np.array([0, -1, 1]), 0, 255)
    shown = (candidates * alpha[:, None, None] + 127) // 255
    best = np.abs(shown - centers[:, :3, None]).argmin(axis=2)
    rgb = np.take_along_axis(candidates, best[..., None], axis=2)[..., 0]
    return np.column_stack([rgb, alpha]).astype(np.uint8)
