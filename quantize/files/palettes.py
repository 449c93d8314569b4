"""Palette files on disk: read (bounded, any format of :mod:`.palette_formats`) and
written atomically."""

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ..errors import OutputError, PaletteError
from . import palette_formats
from .decoder_notes import decoder_messages
from .read import check_input_file
from .write import atomic_write

#: A palette file is a few kilobytes; anything over this is not one (and reading it
#: whole could exhaust memory).
MAX_PALETTE_BYTES = 1 << 24


def save_palette(
    path: str | Path,
    palette: np.ndarray,
    *,
    shares: ArrayLike | None = None,
    title: str | None = None,
    overwrite: bool = False,
) -> int:
    """Write a palette atomically in the format of the extension (see
    :data:`quantize.files.palette_formats.FORMATS`: .json, .gpl, .css, .hex/.txt, .png).

    ``shares`` (of pixels, one per entry) sorts the entries and is written where the
    format has room for it; ``title`` names the palette (default: the file's stem).
    Returns bytes written.
    """
    path = Path(path)
    kind = palette_formats.FORMATS.get(path.suffix.lower())
    if kind is None:
        raise OutputError(f"palette files are {_palette_extensions()}, not {path.suffix or '(none)'!r}", path)
    data = palette_formats.render(palette_formats.describe(palette, shares), kind, title=title or path.stem)
    return atomic_write(path, lambda handle: handle.write(data), overwrite=overwrite)


def save_image_and_palette(path, data, *, palette_path=None, palette=None, overwrite=False, protect=None):
    """Write an image's bytes (``path``, atomically; None: written elsewhere, stdout
    say) and then its palette file (``palette_path``): both or neither, the image
    removed again when its palette cannot be written."""
    if path is not None:
        atomic_write(path, lambda handle: handle.write(data), overwrite=overwrite, protect=protect)
    if palette_path is None:
        return
    try:
        save_palette(palette_path, palette, overwrite=overwrite)
    except BaseException:
        if path is not None:
            Path(path).unlink(missing_ok=True)
        raise


def _palette_extensions():
    return ", ".join(sorted(set(palette_formats.FORMATS)))


def load_palette(path: str | Path) -> np.ndarray:
    """Read a palette file written by :func:`save_palette` (or by GIMP, or a JSON list
    of RGB triples or hex strings, or any text with #rrggbb codes): (n, 3) uint8.

    Raises
    ------
    PaletteError
        Missing file, unknown extension, malformed content, values outside 0..255,
        no colour or more than 256.
    """
    path = Path(path)
    kind = palette_formats.FORMATS.get(path.suffix.lower())
    if kind is None:
        raise PaletteError(f"palette files are {_palette_extensions()}, not {path.suffix or '(none)'!r}", path)
    check_input_file(path, what="palette", max_bytes=MAX_PALETTE_BYTES)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PaletteError(f"cannot read the palette: {e.strerror or e}", path) from e
    try:
        with decoder_messages([]):
            rows = palette_formats.parse(data, kind)
    except RecursionError:
        raise PaletteError(f"not a valid {kind} palette (nested too deeply)", path) from None
    except MemoryError:
        raise PaletteError(f"not a valid {kind} palette (too large)", path) from None
    except Exception as e:  # json, Pillow and our own checks: all a fault of the file
        raise PaletteError(f"not a valid {kind} palette ({e})", path) from e
    if len(rows) == 0:
        raise PaletteError("a palette is a non-empty list of [r, g, b] triples", path)
    if len(rows) > 256:
        raise PaletteError(f"{len(rows)} colours; a palette holds at most 256", path)
    return np.array(rows, dtype=np.uint8).reshape(-1, 3)
