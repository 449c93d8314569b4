"""Colours: :mod:`.spaces` (sRGB, CIELAB, OKLab, DIN99o there and back), :mod:`.difference`
(CIEDE2000), :mod:`.alpha` (visible pixels, premultiplied colour, the palette lookup
table) and :mod:`.histogram` (an image's distinct colours and their counts)."""

from .alpha import lookup_table, premultiply, to_features, to_palette, visible_mask
from .difference import ciede2000, ciede2000_rows
from .histogram import ColorHistogram, merge_histograms, pack_colors, unpack_colors
from .spaces import CLUSTER_SPACES, DEFAULT_SPACE, from_space, hex_code, lab_to_srgb, srgb_to_lab, to_space

__all__ = [
    "CLUSTER_SPACES",
    "ColorHistogram",
    "DEFAULT_SPACE",
    "ciede2000",
    "ciede2000_rows",
    "from_space",
    "hex_code",
    "lab_to_srgb",
    "lookup_table",
    "merge_histograms",
    "pack_colors",
    "premultiply",
    "srgb_to_lab",
    "to_features",
    "to_palette",
    "to_space",
    "unpack_colors",
    "visible_mask",
]
