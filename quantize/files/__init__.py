"""Files, the only part of quantize that touches the disk: :mod:`.read` (images in),
:mod:`.animation` (animated images in and out), :mod:`.write` (atomic, never
clobbering), :mod:`.encode` (quantised images out), :mod:`.results` (results as files:
``save``, ``encode``, ``save_segments``), :mod:`.palettes` and :mod:`.palette_formats`
(palette files), :mod:`.remote` (object stores) and :mod:`.plot` (the suggest-k
curves)."""

from .encode import (
    PALETTE_FORMATS,
    SMALLEST_FORMATS,
    encode_quantized,
    output_format,
    save_quantized,
    save_smallest,
    to_pil_image,
)
from .palettes import MAX_PALETTE_BYTES, load_palette, save_palette
from .read import DEFAULT_MAX_PIXELS, check_input_file, load_image, sniff_format
from .write import (
    PART_SUFFIX,
    atomic_write,
    check_output_path,
    check_outputs,
    leftover_parts,
    make_folder,
    save_png,
    save_text,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_PALETTE_BYTES",
    "PALETTE_FORMATS",
    "PART_SUFFIX",
    "SMALLEST_FORMATS",
    "atomic_write",
    "check_input_file",
    "check_output_path",
    "check_outputs",
    "encode_quantized",
    "leftover_parts",
    "load_image",
    "load_palette",
    "make_folder",
    "output_format",
    "save_palette",
    "save_png",
    "save_quantized",
    "save_smallest",
    "save_text",
    "sniff_format",
    "to_pil_image",
]
