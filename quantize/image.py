"""The images every function of the library takes: a still (:class:`LoadedImage`,
made from an array or a Pillow image by :func:`as_loaded`) and an animation
(:class:`Animation`, frame by frame).  Values only: the files are read in
:mod:`quantize.files`, which makes these from them."""

import math
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import numpy as np
from PIL import Image

from ._validation import check_image
from .errors import ImageError, InvalidParameterError

#: The most loops an animation can say (0 is for ever): what GIF, APNG and WebP store.
MAX_LOOP = 65_535
_16BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})


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
            notes.append(
                "floating-point greyscale converted to 8 bits"
                + ("" if finite.all() else "; NaN and infinite pixels taken as 0")
            )
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


#: What the library's functions take as an image.
ImageLike = LoadedImage | Image.Image | np.ndarray


def as_loaded(image: ImageLike) -> LoadedImage:
    """Whatever the library's functions take as an image, as a :class:`LoadedImage`:
    a LoadedImage as it is, a Pillow image or an array (see ``check_image``).  A path
    is refused: the library reads no file (``quantize.load_image`` does)."""
    if isinstance(image, LoadedImage):
        return image
    if isinstance(image, (str, PurePath)):
        raise InvalidParameterError(f"image is a path ({image}): read it with quantize.load_image(path) first")
    if isinstance(image, Image.Image):
        if image.width == 0 or image.height == 0:
            raise InvalidParameterError(f"image is empty; got size {image.size}")
        try:
            pixels, notes = image_to_array(image)
        except (ValueError, OSError) as e:
            raise InvalidParameterError(f"cannot convert a Pillow image of mode {image.mode!r}: {e}") from e
        return LoadedImage(check_image(pixels), notes=tuple(notes))
    return LoadedImage(check_image(image))


def duration_ms(value):
    """A frame's duration as whole milliseconds: 0 for what is not a finite,
    positive number (files can say NaN, infinity or nothing)."""
    try:
        value = float(value or 0)
    except (TypeError, ValueError):
        return 0
    return int(min(round(value), 1 << 31)) if math.isfinite(value) and value > 0 else 0


@dataclass(frozen=True)
class Frame:
    """One frame as displayed: (H, W, 4) uint8 RGBA pixels and its timing.

    ``disposal`` is what happens to the frame's area before the next one (GIF:
    0-3, APNG: 0-2, None when the format has no such notion); ``blend`` is APNG's.
    """

    pixels: np.ndarray
    duration: int
    disposal: int | None = None
    blend: int | None = None


@dataclass(frozen=True)
class Animation:
    """An animation: its frames in order (:meth:`frames`) and their timing.

    This one holds its frames as arrays (:meth:`from_arrays`); a file's
    (``quantize.files.animation.open_animation``) decodes one frame at a time.

    Attributes
    ----------
    path : Path or None
        The file ("-" for stdin); None for frames given as arrays.
    file_bytes : int or None
    format : str or None
        "GIF", "PNG" (APNG) or "WEBP".
    size : (int, int)
        Width and height of the canvas.
    n_frames : int
    loop : int or None
        Times to play, 0 for ever; None when the file says nothing (GIF: play once).
    seconds : float
        Time spent opening the file (decoding happens in :meth:`frames`).
    """

    path: Path | None
    file_bytes: int | None
    format: str | None
    size: tuple
    n_frames: int
    loop: int | None = 0
    seconds: float = 0.0
    _arrays: tuple | None = field(default=None, repr=False)
    _durations: tuple | None = field(default=None, repr=False)

    @classmethod
    def from_arrays(cls, frames, *, durations=100, loop=0):
        """An animation of (H, W, 3) or (H, W, 4) uint8 arrays, all of one size.

        ``durations`` is one number of milliseconds for every frame or one per frame.
        """
        arrays = tuple(np.asarray(frame) for frame in frames)
        if not arrays:
            raise InvalidParameterError("an animation needs at least one frame")
        shapes = {a.shape[:2] for a in arrays}
        if len(shapes) > 1 or any(a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] not in (3, 4) for a in arrays):
            raise InvalidParameterError("animation frames must be (H, W, 3) or (H, W, 4) uint8 arrays of one size")
        durations = (durations,) * len(arrays) if np.isscalar(durations) else tuple(durations)
        if len(durations) != len(arrays) or not all(
            isinstance(d, (int, float, np.number)) and 0 <= d <= 1 << 31 for d in durations
        ):
            raise InvalidParameterError("durations: one number of milliseconds per frame, 0 to 2^31")
        if loop is not None and not (isinstance(loop, (int, np.integer)) and 0 <= loop <= MAX_LOOP):
            raise InvalidParameterError(f"loop={loop!r} must be None or an integer in [0, {MAX_LOOP}]")
        height, width = arrays[0].shape[:2]
        return cls(
            None,
            None,
            None,
            (width, height),
            len(arrays),
            loop,
            _arrays=arrays,
            _durations=tuple(duration_ms(d) for d in durations),
        )

    def frames(self):
        """Yield every :class:`Frame` in order, decoded as it is reached."""
        for array, duration in zip(self._arrays, self._durations):
            rgba = array if array.shape[2] == 4 else np.dstack([array, np.full(array.shape[:2], 255, np.uint8)])
            yield Frame(rgba, duration)
