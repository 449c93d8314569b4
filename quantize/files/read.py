"""Reading image files: anything Pillow opens becomes (H, W, 3) or (H, W, 4) uint8
pixels, with the EXIF orientation applied and an ICC profile converted to sRGB; the
checks that an input is a regular, readable file (decoder messages become notes:
:mod:`.decoder_notes`)."""

import contextlib
import errno
import io
import os
import stat
import threading
import time
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageError, ImageTooLargeError, PaletteError
from ..image import LoadedImage, image_to_array
from .decoder_notes import decoder_messages

#: Pillow's own decompression-bomb limit (about 89.5 megapixels).
DEFAULT_MAX_PIXELS = Image.MAX_IMAGE_PIXELS


#: The note of an image loaded with ``keep_icc`` whose profile was kept.
ICC_KEPT_NOTE = "the embedded ICC profile is kept in the output; colours were clustered as they are"
_pixel_limit_lock = threading.RLock()


# File signatures of the common formats, to tell "corrupt PNG" from "not an image".
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)


def sniff_format(head: bytes) -> str | None:
    """Format name from a file's first bytes (at least 12), or None if unknown."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)


def check_input_file(path: str | Path, *, what: str = "image", max_bytes: int | None = None) -> int:
    """The size of ``path`` after checking that it is a regular, non-empty file we may
    read.  Raises ImageError (``what="image"``) or PaletteError (``"palette"``) naming
    the problem otherwise: missing, a folder, a FIFO, device or socket (reading one can
    block or never end), a symbolic-link loop, empty, or over ``max_bytes``."""
    error = PaletteError if what == "palette" else ImageError
    path = Path(path)
    try:
        info = path.stat()
    except OSError as e:
        raise error(stat_failure(path, e), path) from None
    if stat.S_ISDIR(info.st_mode):
        from .tiled import is_tiled

        if what == "image" and is_tiled(path):
            raise error(
                "is a Zarr store: `quantize compress` and `quantize segment` read it, tile by tile; "
                "this command reads files",
                path,
            )
        raise error(f"is a folder, not {'a palette' if what == 'palette' else 'an image'} file", path)
    if not stat.S_ISREG(info.st_mode):
        raise error(not_regular(info.st_mode), path)
    if info.st_size == 0:
        raise error("file is empty (0 bytes)", path)
    if max_bytes is not None and info.st_size > max_bytes:
        raise error(f"file is {info.st_size:,} bytes, over the limit of {max_bytes:,} for a {what} file", path)
    if not os.access(path, os.R_OK):
        raise error("permission denied", path)
    return info.st_size


def stat_failure(path, error):
    """Why ``os.stat`` of ``path`` failed, in a few words ("no such file", "broken
    symbolic link", "symbolic link loop", "permission denied"...)."""
    if isinstance(error, FileNotFoundError):
        return "broken symbolic link" if Path(path).is_symlink() else "no such file"
    if isinstance(error, PermissionError):
        return "permission denied"
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    return f"cannot read: {error.strerror}"


def not_regular(mode):
    """What a path of this ``st_mode`` that is neither a file nor a folder is: reading
    a FIFO or a device can block or never end, so such paths are refused."""
    kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"is {kind}, not a regular file"


@contextlib.contextmanager
def _pillow_limit(max_pixels):
    """Pillow's own bomb check stays on: besides the size read at open, which we check
    against ``max_pixels``, it guards what only appears later (a GIF frame placed
    far outside the canvas grows it as it is reached).  It is lifted for the call
    only when ``max_pixels`` allows more than it does (None: no limit); that changes
    Pillow's global, so such calls take turns."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is None or (max_pixels is not None and max_pixels <= limit):
        yield
        return
    with _pixel_limit_lock:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def too_large(what, max_pixels, path):
    """The :class:`ImageTooLargeError` of ``what`` ("image has 9x9 = 81 pixels"...)."""
    from .tiled import is_tiled

    if path is not None and path != "-" and is_tiled(Path(path)):
        where = "it is tiled: `quantize compress` reads it tile by tile, whatever its size"
    else:
        where = "or save it as a tiled TIFF or a Zarr store, which `quantize compress` reads tile by tile"
    return ImageTooLargeError(
        f"{what}, over the limit of {max_pixels:,} (a decompression-bomb and memory guard; raise "
        f"--max-pixels if you trust this file and have the memory; {where})",
        path,
    )


def _to_srgb(image, icc, notes):
    """The image converted from its embedded ICC profile to sRGB (Pillow's ImageCms)."""
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = ImageCms.getProfileDescription(source).strip() or "unnamed"
        if "srgb" in name.lower():  # already sRGB (most photos say so): nothing to do
            return image
        mode = "RGBA" if "A" in image.getbands() else "RGB"
        if image.mode != mode:
            image = image.convert(mode)
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as e:
        notes.append(f"embedded ICC profile not usable ({e}); colours taken as sRGB")
        return image
    notes.append(f"converted from the embedded ICC profile '{name}' to sRGB")
    return converted


def load_image(path: str | Path, *, max_pixels: int | None = DEFAULT_MAX_PIXELS, keep_icc: bool = False) -> LoadedImage:
    """Read an image file into RGB(A) uint8 pixels.  The file is only read.

    Parameters
    ----------
    path : str or Path
    max_pixels : int or None, keyword-only
        Refuse images with more pixels than this (decompression-bomb guard); None
        disables the check.  The default is Pillow's limit.
    keep_icc : bool, keyword-only
        An embedded ICC profile is converted to sRGB by default (clustering and the
        metrics assume sRGB); with ``keep_icc`` the pixels stay as they are and the
        profile is kept in ``icc_profile``, for the output to carry it.

    Returns
    -------
    LoadedImage

    Raises
    ------
    ImageError
        Missing file, a folder, an empty file, not an image, truncated or corrupt data.
    ImageTooLargeError
        More than ``max_pixels`` pixels.
    """
    start = time.perf_counter()
    path = Path(path)
    file_bytes = check_input_file(path)
    return _decode(path, path, file_bytes, start, max_pixels=max_pixels, keep_icc=keep_icc)


def load_image_bytes(data, *, name="-", max_pixels=DEFAULT_MAX_PIXELS, keep_icc=False):
    """:func:`load_image` of an image file's bytes (read from a pipe, say); ``name``
    stands for the file in errors and in ``path``."""
    start = time.perf_counter()
    if not data:
        raise ImageError("no data (0 bytes)", name)
    return _decode(io.BytesIO(data), Path(name), len(data), start, max_pixels=max_pixels, keep_icc=keep_icc)


#: Standard input may bring this many bytes a pixel of ``max_pixels`` (16-bit RGBA
#: stored raw), and this many more of metadata, before it is refused.
STDIN_BYTES_PER_PIXEL, STDIN_SLACK = 8, 16 << 20


def read_stdin(*, max_pixels=DEFAULT_MAX_PIXELS):
    """All the bytes of standard input (``-`` as an input), read in pieces and
    refused past what an image of ``max_pixels`` pixels can take
    (:data:`STDIN_BYTES_PER_PIXEL` a pixel): an endless or huge stream is never
    held whole.

    Raises
    ------
    ImageError
        Standard input is closed, cannot be read, or brings too many bytes.
    """
    import sys

    limit = None if max_pixels is None else STDIN_BYTES_PER_PIXEL * max_pixels + STDIN_SLACK
    if sys.stdin is None:
        raise ImageError("standard input is closed", "-")
    buffer = io.BytesIO()
    try:
        stream = sys.stdin.buffer
        while (chunk := stream.read(1 << 20)) and (limit is None or buffer.tell() <= limit):
            buffer.write(chunk)
    except (OSError, ValueError) as e:  # a closed or unreadable stream
        reason = getattr(e, "strerror", None) or str(e)
        raise ImageError(f"cannot read standard input: {reason.lower()}", "-") from e
    if limit is not None and buffer.tell() > limit:
        raise ImageTooLargeError(
            f"more than {limit:,} bytes on standard input, more than an image of "
            f"{max_pixels:,} pixels takes (raise --max-pixels if you trust this stream)",
            "-",
        )
    return buffer.getvalue()


def _head(source):
    if isinstance(source, io.BytesIO):
        return source.getvalue()[:16]
    with open(source, "rb") as handle:
        return handle.read(16)


@contextlib.contextmanager
def opened(source, path, max_pixels, notes):
    """Pillow's image of ``source`` (a path or a BytesIO) with the bomb guard applied
    and every decoder failure turned into an :class:`ImageError` naming ``path``."""
    try:
        with _pillow_limit(max_pixels), decoder_messages(notes), Image.open(source) as image:
            width, height = image.size
            if max_pixels is not None and width * height > max_pixels:
                raise too_large(f"image has {width}x{height} = {width * height:,} pixels", max_pixels, path)
            if width == 0 or height == 0:
                raise ImageError(f"image has no pixels ({width}x{height})", path)
            yield image
    except Image.DecompressionBombError as e:  # max_pixels is set: Pillow's check is on
        raise too_large("a frame grows the canvas as it is decoded", max_pixels, path) from e
    except ImageError as e:
        if e.path is not None:
            raise
        raise ImageError(e.reason, path) from e
    except UnidentifiedImageError as e:
        claimed = sniff_format(_head(source))
        if claimed:
            raise ImageError(f"truncated or corrupt image (a {claimed} file Pillow cannot decode)", path) from e
        raise ImageError("not an image file that Pillow can read", path) from e
    except PermissionError as e:
        raise ImageError("permission denied", path) from e
    except MemoryError as e:
        raise ImageError("not enough memory to decode this image", path) from e
    except Exception as e:  # any decoder failure is a fault of the file, not a crash
        reason = str(e) or type(e).__name__
        raise ImageError(f"truncated or corrupt image ({reason})", path) from e


def _check_covered(image, path):
    """A TIFF's strips or tiles must cover the whole image: Pillow decodes those the
    file lists and leaves the rest blank (a 9 KB file claiming 96x131072 pixels)."""
    if image.format != "TIFF" or not image.tile:
        return
    covered = sum(
        max(0, min(x1, image.width) - max(x0, 0)) * max(0, min(y1, image.height) - max(y0, 0))
        for x0, y0, x1, y1 in (tile[1] for tile in image.tile)
    )
    if covered < image.width * image.height:
        raise ImageError(
            f"truncated or corrupt image (its data covers {covered:,} of its {image.width * image.height:,} pixels)",
            path,
        )


def _decode(source, path, file_bytes, start, *, max_pixels, keep_icc):
    notes = []
    with opened(source, path, max_pixels, notes) as image:
        frames = getattr(image, "n_frames", 1)
        _check_covered(image, path)
        image.load()
        image_format, mode = image.format, image.mode
        ImageOps.exif_transpose(image, in_place=True)
        icc = image.info.get("icc_profile")
        if icc and not keep_icc:
            image = _to_srgb(image, icc, notes)
        pixels, conversions = image_to_array(image)
    notes = conversions + notes
    if frames > 1:
        notes.insert(
            0,
            f"animated image: the first of {frames} frames was used (the compression ratio "
            "compares the whole input file with this one frame)",
        )
    if icc and keep_icc:
        notes.append(ICC_KEPT_NOTE)
    return LoadedImage(
        pixels,
        path,
        file_bytes,
        image_format,
        mode,
        frames,
        tuple(notes),
        seconds=time.perf_counter() - start,
        icc_profile=icc if keep_icc else None,
    )
