"""Encoding quantised images: the output format from the extension, the Pillow image
to write (palette mode with a transparent entry where the format allows), the
smallest of the encoder settings tried, and ``--format smallest``."""

import io
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from .._parallel import thread_map
from ..color.alpha import lookup_table
from ..errors import OutputError
from .write import atomic_write

#: Formats written as palette images; others get the rebuilt RGB(A) pixels.
PALETTE_FORMATS = frozenset({"PNG", "GIF", "BMP", "TIFF"})
#: What each format can store of transparency ("full" per-entry alpha, "binary" on/off).
_ALPHA_SUPPORT = {"PNG": "full", "WEBP": "full", "TIFF": "full", "GIF": "binary"}
#: Keyword arguments for Pillow's encoders: lossless where a lossy default would undo
#: the quantisation.  PNG is encoded both ways and the smaller kept: deflate level 7
#: wins for 8-bit indices, run-length for the packed 1-4-bit indices of small palettes,
#: each at a fraction of level 9's time (measured in bench/peers.py, docs/benchmarks.md).
_SAVE_OPTIONS = {
    "PNG": [{"compress_level": 7}, {"compress_level": 9, "compress_type": zlib.Z_RLE}],
    "WEBP": [{"lossless": True, "method": 4}],
    "JPEG": [{"quality": 95}],
}
#: Up to _PNG_LEVEL_9_MAX_PIXELS, deflate runs at level 9 instead of 7: 2 to 16 % fewer
#: bytes (16 % on Arc-Colors at k = 16, 6 % on Garden at k = 64) for under a tenth of
#: a second.  On 2-4 megapixels it took 0.12-0.67 s, three to seven times level 7's
#: time and more than the whole quantisation, for 0-7 % (median 2 %; Garden,
#: LadyBird, Dune, FreshFlower at k = 16, 64, 256), so level 7 is kept there.
_PNG_LEVEL_9 = {"compress_level": 9}
_PNG_LEVEL_9_MAX_PIXELS = 1 << 20
#: Formats whose Pillow encoder embeds an ICC profile.
_ICC_FORMATS = frozenset({"PNG", "WEBP", "TIFF", "JPEG"})
#: Formats that do not decode to the pixels encoded (WebP is written lossless).
LOSSY_FORMATS = frozenset({"JPEG"})


def carries_icc(image_format):
    """Whether files of ``image_format`` keep an embedded ICC profile."""
    return image_format in _ICC_FORMATS


def is_palette_image(image_format, *, has_alpha=False):
    """Whether a quantised image is written as a palette image (mode "P") in this
    format: the palette formats, except TIFF with transparency (written RGBA)."""
    return image_format in PALETTE_FORMATS and not (image_format == "TIFF" and has_alpha)


def output_format(path: str | Path) -> str:
    """Pillow format name for an output path, from its extension."""
    extension = path.suffix.lower() if hasattr(path, "suffix") else Path(path).suffix.lower()
    formats = Image.registered_extensions()
    if extension not in formats or formats[extension] not in Image.SAVE:
        raise OutputError(
            f"cannot tell the image format from the extension {extension or '(none)'!r}; "
            "use .png, .gif, .webp, .tif, .bmp or .jpg",
            path,
        )
    return formats[extension]


def to_pil_image(labels: np.ndarray, palette: np.ndarray, image_format: str = "PNG") -> Image.Image:
    """Build the Pillow image to write for a quantised result.

    Parameters
    ----------
    labels : (H, W) ndarray of int
        Palette index per pixel, -1 for fully transparent pixels.
    palette : (n, 3) or (n, 4) ndarray of uint8
        The colours (RGBA when the image has transparency).
    image_format : str
        Palette formats get a mode "P" image with the transparent pixels on an extra
        entry; other formats get mode "RGB" or "RGBA".
    """
    transparent = bool((labels < 0).any())
    # One RGBA table for every path: the visible entries, then a transparent one.
    table = lookup_table(palette, 4)
    visible_alpha = table[: len(palette), 3]
    if ((visible_alpha > 0) & (visible_alpha < 255)).any():
        alpha_kind = "full"
    else:
        alpha_kind = "binary" if transparent else None
    support = _ALPHA_SUPPORT.get(image_format)
    if alpha_kind and (support is None or (support == "binary" and alpha_kind == "full")):
        what = "partial transparency" if alpha_kind == "full" else "transparency"
        raise OutputError(f"{image_format} cannot store the image's {what}; write a .png instead")
    if not is_palette_image(image_format, has_alpha=bool(alpha_kind)):
        channels = 4 if alpha_kind else 3
        return Image.fromarray(table[labels, :channels])  # label -1 takes the last row
    entries = len(palette) + transparent
    if entries > 256:
        raise OutputError(f"{image_format} palette images hold at most 256 colours; this one needs {entries}")
    index = labels.astype(np.uint8)
    if transparent:  # label -1 takes the extra last entry
        index[labels < 0] = len(palette)
    image = Image.fromarray(index)
    image.putpalette(table[:entries, :3].tobytes())  # makes the "L" image a "P" image
    if alpha_kind == "binary":
        image.info["transparency"] = len(palette)
    elif alpha_kind == "full":
        image.info["transparency"] = table[:entries, 3].tobytes()
    return image


def save_quantized(
    path: str | Path,
    labels: np.ndarray,
    palette: np.ndarray,
    *,
    overwrite: bool = False,
    protect: str | Path | None = None,
    icc_profile: bytes | None = None,
) -> int:
    """Encode a quantised image to ``path`` atomically; the format follows the extension.

    Parameters
    ----------
    path : str or Path
    labels, palette : see :func:`to_pil_image`
    overwrite : bool, keyword-only
        Replace an existing file.  The file named by ``protect`` (the input) is never
        replaced, even then.
    protect : str or Path, optional
    icc_profile : bytes, optional
        An ICC profile to embed (PNG, WebP, TIFF, JPEG).

    Returns
    -------
    int
        Bytes written.
    """
    path = Path(path)
    encoded = encode_quantized(labels, palette, output_format(path), path, icc_profile=icc_profile)
    return atomic_write(path, lambda handle: handle.write(encoded), overwrite=overwrite, protect=protect)


def encode_quantized(
    labels: np.ndarray,
    palette: np.ndarray,
    image_format: str,
    path: str | Path | None = None,
    *,
    icc_profile: bytes | None = None,
) -> bytes:
    """The bytes of a quantised image in ``image_format`` (the smallest of the encoder
    settings tried for it; see _SAVE_OPTIONS).  ``path`` names the file in errors."""
    try:
        image = to_pil_image(labels, palette, image_format)
    except OutputError as e:
        if e.path is not None:
            raise
        raise OutputError(e.reason, path) from e
    candidates = _SAVE_OPTIONS.get(image_format, [{}])
    if labels.size <= _PNG_LEVEL_9_MAX_PIXELS:
        candidates = [_PNG_LEVEL_9 if c == {"compress_level": 7} else c for c in candidates]
    if icc_profile and carries_icc(image_format):
        candidates = [{**c, "icc_profile": icc_profile} for c in candidates]

    def encode(options):
        buffer = io.BytesIO()
        try:
            image.save(buffer, format=image_format, **options)
        except (OSError, ValueError, KeyError) as e:
            raise OutputError(f"cannot encode as {image_format}: {e}", path) from e
        return buffer.getvalue()

    return min(thread_map(encode, candidates), key=len)


#: What ``--format smallest`` chooses from, and the extension each gets.
SMALLEST_FORMATS = {"PNG": ".png", "WEBP": ".webp"}


def encode_smallest(labels, palette, path=None, *, icc_profile=None):
    """PNG-8 and lossless WebP of a quantised image, both encoded (in parallel).

    Returns
    -------
    image_format : str
        The smaller one's.
    data : bytes
    sizes : dict of str to int
        Bytes of each format tried.
    """
    encoded = dict(
        zip(
            SMALLEST_FORMATS,
            thread_map(
                lambda image_format: encode_quantized(labels, palette, image_format, path, icc_profile=icc_profile),
                list(SMALLEST_FORMATS),
            ),
        )
    )
    winner = min(encoded, key=lambda image_format: len(encoded[image_format]))
    return winner, encoded[winner], {image_format: len(data) for image_format, data in encoded.items()}


def save_smallest(
    path: str | Path,
    labels: np.ndarray,
    palette: np.ndarray,
    *,
    overwrite: bool = False,
    protect: str | Path | None = None,
    icc_profile: bytes | None = None,
) -> tuple[Path, dict[str, int]]:
    """Encode as PNG-8 and as lossless WebP and write the smaller, atomically, at
    ``path`` with the winner's extension.

    Returns
    -------
    path : Path
        Where it was written.
    sizes : dict of str to int
        Bytes of each format tried.
    """
    path = Path(path)
    winner, data, sizes = encode_smallest(labels, palette, path, icc_profile=icc_profile)
    target = path.with_suffix(SMALLEST_FORMATS[winner])
    atomic_write(target, lambda handle: handle.write(data), overwrite=overwrite, protect=protect)
    return target, sizes
