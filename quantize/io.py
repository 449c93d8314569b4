"""Reading and writing image files: the only module of quantize that touches the disk.

Reading turns anything Pillow opens into an (H, W, 3) or (H, W, 4) uint8 array, with
the EXIF orientation applied; writing is atomic (a temporary file in the target folder,
then a rename) and never replaces an existing file unless asked to.
"""

import contextlib
import errno
import io
import logging
import os
import stat
import tempfile
import threading
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ._validation import check_image
from .errors import ImageError, ImageTooLargeError, InvalidParameterError, OutputError, PaletteError
from .parallel import thread_map

#: Pillow's own decompression-bomb limit (about 89.5 megapixels).
DEFAULT_MAX_PIXELS = Image.MAX_IMAGE_PIXELS

#: Formats written as palette images; others get the rebuilt RGB(A) pixels.
PALETTE_FORMATS = frozenset({"PNG", "GIF", "BMP", "TIFF"})
#: What each format can store of transparency ("full" per-entry alpha, "binary" on/off).
_ALPHA_SUPPORT = {"PNG": "full", "WEBP": "full", "TIFF": "full", "GIF": "binary"}
#: Keyword arguments for Pillow's encoders: lossless where a lossy default would undo
#: the quantisation.  PNG is encoded both ways and the smaller kept: deflate level 7
#: wins for 8-bit indices, run-length for the packed 1-4-bit indices of small palettes,
#: each at a fraction of level 9's time (measured in bench/peers.py, see the README).
_SAVE_OPTIONS = {
    "PNG": [{"compress_level": 7}, {"compress_level": 9, "compress_type": zlib.Z_RLE}],
    "WEBP": [{"lossless": True, "method": 4}],
    "JPEG": [{"quality": 95}],
}
#: Up to _PNG_LEVEL_9_MAX_PIXELS, deflate runs at level 9 instead of 7: 2 to 16 % fewer
#: bytes (16 % on Arc-Colors at k = 16, 6 % on Garden at k = 64) for at most half a
#: second; on 20 megapixels it would cost 3 s for 2 %.
_PNG_LEVEL_9 = {"compress_level": 9}
_PNG_LEVEL_9_MAX_PIXELS = 1 << 22
#: Formats whose Pillow encoder embeds an ICC profile.
_ICC_FORMATS = frozenset({"PNG", "WEBP", "TIFF", "JPEG"})

_16BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
#: A palette file is a few kilobytes; anything over this is not one (and reading it
#: whole could exhaust memory).
MAX_PALETTE_BYTES = 1 << 24
#: Decoder messages kept as notes, at most.
_MAX_DECODER_NOTES = 3
#: Suffix of the temporary files of atomic writes.
PART_SUFFIX = ".part"
_pixel_limit_lock = threading.Lock()
_stderr_lock = threading.Lock()
_stderr_users = 0
_UMASK = os.umask(0)
os.umask(_UMASK)


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image and what is known about its file.

    Attributes
    ----------
    pixels : (H, W, 3) or (H, W, 4) ndarray of uint8
        RGB, or RGBA when the image has any pixel that is not fully opaque.
    path : Path or None
    file_bytes : int or None
        Size of the file on disk.
    format : str or None
        Pillow's format name ("PNG", "JPEG", ...).
    mode : str or None
        Pillow's mode of the file before conversion ("P", "I;16", "CMYK", ...).
    frames : int
        Number of frames in the file; only the first is used.
    notes : tuple of str
        Conversions the user should know about (animated input, 16-bit reduction...).
    seconds : float
        Time spent reading and decoding.
    icc_profile : bytes or None
        The embedded ICC profile, kept only when loaded with ``keep_icc``.
    """

    pixels: np.ndarray
    path: Path | None = None
    file_bytes: int | None = None
    format: str | None = None
    mode: str | None = None
    frames: int = 1
    notes: tuple = field(default_factory=tuple)
    seconds: float = 0.0
    icc_profile: bytes | None = None


# File signatures of the common formats, to tell "corrupt PNG" from "not an image".
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"BM", "BMP"),
)


def sniff_format(head):
    """Format name from a file's first bytes (at least 12), or None if unknown."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)


def check_input_file(path, *, what="image", max_bytes=None):
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
def _native_stderr(messages):
    """Send what C libraries print on file descriptor 2 (libtiff's "Using code not yet
    in table.", say) to ``messages`` instead of the user's terminal.  Decoders on
    several threads share one redirection; the last to finish collects the text."""
    global _stderr_users
    with _stderr_lock:
        if _stderr_users == 0:
            _native_stderr.sink = tempfile.TemporaryFile()
            _native_stderr.saved = os.dup(2)
            os.dup2(_native_stderr.sink.fileno(), 2)
        _stderr_users += 1
    try:
        yield
    finally:
        with _stderr_lock:
            _stderr_users -= 1
            if _stderr_users == 0:
                os.dup2(_native_stderr.saved, 2)
                os.close(_native_stderr.saved)
                sink = _native_stderr.sink
                sink.seek(0)
                messages.extend(sink.read(4096).decode("utf-8", "replace").splitlines())
                sink.close()


@contextlib.contextmanager
def _decoder_messages(notes):
    """Pillow's warnings and log records and the C decoders' messages while decoding
    become ``notes`` (deduplicated, at most a few) instead of lines on stderr."""
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logger = logging.getLogger("PIL")
    handler, propagate = Collect(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught, _native_stderr(messages):
            warnings.simplefilter("always")
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        messages[:0] = [str(w.message) for w in caught]
        seen = []
        for message in (m.strip() for m in messages):
            if message and message not in seen:
                seen.append(message)
        notes.extend(f"decoder: {m}" for m in seen[:_MAX_DECODER_NOTES])


@contextlib.contextmanager
def _own_pixel_limit():
    """Switch off Pillow's global bomb check while we apply our own, per call."""
    with _pixel_limit_lock:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def image_to_array(image):
    """Convert a Pillow image to (H, W, 3|4) uint8 pixels.

    Returns
    -------
    pixels : ndarray of uint8
        RGBA only if the image carries alpha or a transparency key *and* some pixel is
        not fully opaque; otherwise RGB.
    notes : list of str
    """
    notes = []
    mode = image.mode
    if mode in _16BIT_MODES or mode == "F":
        values = np.asarray(image)
        if mode == "F":
            finite = np.isfinite(values)
            if not finite.any():
                raise ImageError("no finite pixel value (all NaN or infinite)")
            scale = 255.0 if values[finite].max() <= 1.0 else 1.0
            grey = np.clip(np.where(finite, values, 0), 0, 255 / scale) * scale
            notes.append("floating-point greyscale converted to 8 bits"
                         + ("" if finite.all() else "; NaN and infinite pixels taken as 0"))
        else:
            grey = np.clip(values, 0, 65535) / 257.0
            notes.append("16-bit greyscale reduced to 8 bits per channel")
        grey = np.rint(grey).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2), notes
    if mode == "La":  # premultiplied grey + alpha, which Pillow does not convert
        values = np.asarray(image).astype(np.float64)
        alpha = values[..., 1]
        grey = np.where(alpha > 0, np.minimum(values[..., 0] * 255 / np.maximum(alpha, 1), 255), 0)
        return check_image(np.dstack([np.rint(grey), alpha]).astype(np.uint8)), notes
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    target = "RGBA" if has_alpha else "RGB"
    pixels = np.asarray(image if mode == target else image.convert(target))
    if has_alpha and (pixels[..., 3] == 255).all():
        pixels = pixels[..., :3]
    return np.ascontiguousarray(pixels), notes


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


def as_loaded(image, max_pixels=DEFAULT_MAX_PIXELS):
    """Whatever the library's functions take as an image, as a :class:`LoadedImage`:
    a LoadedImage as it is, a path read with :func:`load_image`, a Pillow image or an
    array (see ``check_image``)."""
    if isinstance(image, LoadedImage):
        return image
    if isinstance(image, (str, Path)):
        return load_image(image, max_pixels=max_pixels)
    if isinstance(image, Image.Image):
        if image.width == 0 or image.height == 0:
            raise InvalidParameterError(f"image is empty; got size {image.size}")
        try:
            pixels, notes = image_to_array(image)
        except (ValueError, OSError) as e:
            raise InvalidParameterError(f"cannot convert a Pillow image of mode {image.mode!r}: {e}") from e
        return LoadedImage(check_image(pixels), notes=tuple(notes))
    return LoadedImage(check_image(image))


def load_image(path, *, max_pixels=DEFAULT_MAX_PIXELS, keep_icc=False):
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
    notes = []
    try:
        with _own_pixel_limit(), _decoder_messages(notes), Image.open(path) as image:
            width, height = image.size
            if max_pixels is not None and width * height > max_pixels:
                raise ImageTooLargeError(
                    f"image has {width}x{height} = {width * height:,} pixels, over the "
                    f"limit of {max_pixels:,} (decompression-bomb guard; raise it with "
                    f"--max-pixels if you trust this file)",
                    path,
                )
            if width == 0 or height == 0:
                raise ImageError(f"image has no pixels ({width}x{height})", path)
            frames = getattr(image, "n_frames", 1)
            image.load()
            image_format, mode = image.format, image.mode
            ImageOps.exif_transpose(image, in_place=True)
            icc = image.info.get("icc_profile")
            if icc and not keep_icc:
                image = _to_srgb(image, icc, notes)
            pixels, conversions = image_to_array(image)
    except ImageError as e:
        raise ImageError(e.reason, path) if e.path is None else e
    except UnidentifiedImageError as e:
        with open(path, "rb") as handle:
            claimed = sniff_format(handle.read(16))
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
    notes = conversions + notes
    if frames > 1:
        notes.insert(0, f"animated image: the first of {frames} frames was used")
    if icc and keep_icc:
        notes.append("the embedded ICC profile is kept in the output; colours were clustered as they are")
    return LoadedImage(
        pixels, path, file_bytes, image_format, mode, frames, tuple(notes),
        seconds=time.perf_counter() - start, icc_profile=icc if keep_icc else None,
    )


def output_format(path):
    """Pillow format name for an output path, from its extension."""
    extension = Path(path).suffix.lower()
    formats = Image.registered_extensions()
    if extension not in formats or formats[extension] not in Image.SAVE:
        raise OutputError(
            f"cannot tell the image format from the extension {extension or '(none)'!r}; "
            "use .png, .gif, .webp, .tif, .bmp or .jpg",
            path,
        )
    return formats[extension]


def to_pil_image(labels, palette, image_format="PNG"):
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
    table = np.zeros((len(palette) + 1, 4), dtype=np.uint8)
    table[: len(palette), : palette.shape[1]] = palette
    if palette.shape[1] == 3:
        table[: len(palette), 3] = 255
    visible_alpha = table[: len(palette), 3]
    if ((visible_alpha > 0) & (visible_alpha < 255)).any():
        alpha_kind = "full"
    else:
        alpha_kind = "binary" if transparent else None
    support = _ALPHA_SUPPORT.get(image_format)
    if alpha_kind and (support is None or (support == "binary" and alpha_kind == "full")):
        what = "partial transparency" if alpha_kind == "full" else "transparency"
        raise OutputError(f"{image_format} cannot store the image's {what}; write a .png instead")
    if image_format not in PALETTE_FORMATS or (image_format == "TIFF" and alpha_kind):
        channels = 4 if alpha_kind else 3
        return Image.fromarray(table[labels, :channels])  # label -1 takes the last row
    entries = len(palette) + transparent
    if entries > 256:
        raise OutputError(
            f"{image_format} palette images hold at most 256 colours; this one needs {entries}"
        )
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


def _publish(tmp, path, overwrite):
    """Move the finished temporary file into place; without ``overwrite`` never clobber."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic, and fails if path exists
    except FileExistsError:
        raise OutputError("file exists (use --force to overwrite it)", path) from None
    except OSError:  # file systems without hard links
        if path.exists():
            raise OutputError("file exists (use --force to overwrite it)", path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def check_output_path(path, *, overwrite=False, protect=None):
    """Fail early, before any work, if ``path`` cannot be an output.

    Raises OutputError when ``path`` is the file ``protect`` (the input), a folder, or
    an existing file while ``overwrite`` is false (:func:`check_outputs` for one path).
    """
    check_outputs([(path, "the output")], reads=[(protect, "the input file")], overwrite=overwrite)


def _check_writable(path, overwrite):
    if path.is_dir():
        raise OutputError("is a folder", path)
    if not overwrite and path.exists():
        raise OutputError("file exists (use --force to overwrite it)", path)


def _same_path(a, b):
    """Whether two paths name one file: the same file on disk (hard and symbolic links
    included), or the same place once resolved when one does not exist yet."""
    a, b = Path(a), Path(b)
    with contextlib.suppress(OSError):
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_outputs(outputs, *, reads=(), overwrite=False):
    """Check, before any work, every output a command will write.

    No output may be a file the command reads (``reads``: the input image, a palette
    file...), whatever ``overwrite`` says; no two outputs may be one path; and each
    must be a writable path: not a folder, and not an existing file unless
    ``overwrite``.

    Parameters
    ----------
    outputs : sequence of (str or Path, str)
        Each output path and what it is ("output", "--save-palette"...), for the errors.
    reads : sequence of (str or Path, str)
        Each file read and what it is ("the input image", "the palette file"...).

    Raises
    ------
    OutputError
        Naming the output and the problem.
    """
    checked = []
    for path, role in outputs:
        path = Path(path)
        for source, what in reads:
            if source is not None and _same_path(path, source):
                raise OutputError(f"{role} would overwrite {what} (outputs never replace a file that is read)",
                                  path)
        for earlier, earlier_role in checked:
            if _same_path(path, earlier):
                raise OutputError(f"{role} is also {earlier_role}: two outputs cannot share a path", path)
        _check_writable(path, overwrite)
        checked.append((path, role))


def _write_failure(error, path):
    """An OSError of the disk (full, read-only, quota...) as one OutputError line."""
    reason = "no space left on device" if error.errno == errno.ENOSPC else (error.strerror or str(error)).lower()
    return OutputError(f"cannot write: {reason}", path)


def atomic_write(path, write, *, overwrite=False):
    """Write a file through ``write(file_object)`` so it appears whole or not at all.

    On any failure (a full disk, an encoder error, an interruption) the temporary file
    is removed and nothing appears at ``path``.  Returns the number of bytes written.

    Raises
    ------
    OutputError
        The path cannot be an output, its folder is missing or unwritable, or the
        disk refused the data ("cannot write: no space left on device").
    """
    path = Path(path)
    check_output_path(path, overwrite=overwrite)
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=directory)
    except FileNotFoundError:
        raise OutputError(f"folder {directory} does not exist", path) from None
    except OSError as e:
        raise OutputError(f"cannot write in folder {directory}: {e.strerror}", path) from e
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        size = os.path.getsize(tmp)
        _publish(tmp, path, overwrite)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            raise _write_failure(e, path) from e
        raise
    return size


def leftover_parts(folder):
    """Temporary files of :func:`atomic_write` in ``folder`` (``.<name>.<random>.part``):
    what a process killed outright (SIGKILL, a power cut) leaves behind.  They are
    never read as inputs (hidden files) and are removed only by the user."""
    return sorted(Path(folder).glob(f".*{PART_SUFFIX}"))


def save_quantized(path, labels, palette, *, overwrite=False, protect=None, icc_profile=None):
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
    check_output_path(path, overwrite=overwrite, protect=protect)
    encoded = encode_quantized(labels, palette, output_format(path), path, icc_profile=icc_profile)
    return atomic_write(path, lambda handle: handle.write(encoded), overwrite=overwrite)


def encode_quantized(labels, palette, image_format, path=None, *, icc_profile=None):
    """The bytes of a quantised image in ``image_format`` (the smallest of the encoder
    settings tried for it; see _SAVE_OPTIONS).  ``path`` names the file in errors."""
    try:
        image = to_pil_image(labels, palette, image_format)
    except OutputError as e:
        raise OutputError(e.reason, path) if e.path is None else e
    candidates = _SAVE_OPTIONS.get(image_format, [{}])
    if labels.size <= _PNG_LEVEL_9_MAX_PIXELS:
        candidates = [_PNG_LEVEL_9 if c == {"compress_level": 7} else c for c in candidates]
    if icc_profile and image_format in _ICC_FORMATS:
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


def save_smallest(path, labels, palette, *, overwrite=False, protect=None, icc_profile=None):
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
    encoded = dict(zip(SMALLEST_FORMATS, thread_map(
        lambda image_format: encode_quantized(labels, palette, image_format, path, icc_profile=icc_profile),
        list(SMALLEST_FORMATS))))
    winner = min(encoded, key=lambda image_format: len(encoded[image_format]))
    target = path.with_suffix(SMALLEST_FORMATS[winner])
    check_output_path(target, overwrite=overwrite, protect=protect)
    atomic_write(target, lambda handle: handle.write(encoded[winner]), overwrite=overwrite)
    return target, {image_format: len(data) for image_format, data in encoded.items()}


def save_png(path, array, *, overwrite=False, compress_level=6):
    """Write an array as a lossless PNG, atomically.

    Parameters
    ----------
    path : str or Path
    array : (H, W) ndarray of bool, uint8 or uint16, or (H, W, 3|4) ndarray of uint8
        Written as a 1-bit, 8-bit or 16-bit greyscale, RGB or RGBA PNG.
    overwrite : bool, keyword-only
    compress_level : int, keyword-only
        zlib level, 0..9: lower is faster and larger.

    Returns
    -------
    int
        Bytes written.
    """
    path = Path(path)
    image = Image.fromarray(array)  # mode from the dtype and shape: 1, L, I;16, RGB, RGBA

    def write(handle):
        try:
            image.save(handle, format="PNG", compress_level=compress_level)
        except OSError as e:
            if e.errno is not None:  # the disk's failure, not the encoder's
                raise
            raise OutputError(f"cannot encode as PNG: {e}", path) from e
        except ValueError as e:
            raise OutputError(f"cannot encode as PNG: {e}", path) from e

    return atomic_write(path, write, overwrite=overwrite)


def save_text(path, text, *, overwrite=False):
    """Write UTF-8 text atomically; returns the number of bytes written."""
    return atomic_write(Path(path), lambda handle: handle.write(text.encode("utf-8")), overwrite=overwrite)


def make_folder(path):
    """Create an output folder (and its parents) if needed; OutputError if it cannot be."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError("exists and is not a folder", path) from None
    except OSError as e:
        raise OutputError(f"cannot create folder: {e.strerror}", path) from e
    return path


def save_palette(path, palette, *, shares=None, title=None, overwrite=False):
    """Write a palette atomically in the format of the extension (see
    :data:`quantize.palettes.FORMATS`: .json, .gpl, .css, .hex/.txt, .png).

    ``shares`` (of pixels, one per entry) sorts the entries and is written where the
    format has room for it; ``title`` names the palette (default: the file's stem).
    Returns bytes written.
    """
    from . import palettes

    path = Path(path)
    kind = palettes.FORMATS.get(path.suffix.lower())
    if kind is None:
        raise OutputError(f"palette files are {_palette_extensions()}, not {path.suffix or '(none)'!r}", path)
    data = palettes.render(palettes.describe(palette, shares), kind, title=title or path.stem)
    return atomic_write(path, lambda handle: handle.write(data), overwrite=overwrite)


def _palette_extensions():
    from . import palettes

    return ", ".join(sorted(set(palettes.FORMATS)))


def load_palette(path):
    """Read a palette file written by :func:`save_palette` (or by GIMP, or a JSON list
    of RGB triples or hex strings, or any text with #rrggbb codes): (n, 3) uint8.

    Raises
    ------
    PaletteError
        Missing file, unknown extension, malformed content, values outside 0..255,
        no colour or more than 256.
    """
    from . import palettes

    path = Path(path)
    kind = palettes.FORMATS.get(path.suffix.lower())
    if kind is None:
        raise PaletteError(f"palette files are {_palette_extensions()}, not {path.suffix or '(none)'!r}", path)
    check_input_file(path, what="palette", max_bytes=MAX_PALETTE_BYTES)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PaletteError(f"cannot read the palette: {e.strerror or e}", path) from e
    try:
        with _decoder_messages([]):
            rows = palettes.parse(data, kind)
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
