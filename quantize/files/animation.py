"""Animated images (GIF, APNG, animated WebP): reading them frame by frame, as they
are displayed, and encoding quantised frames back with their timing.

Frames are decoded one at a time (Pillow composes each onto the canvas, disposal
and blending applied), so a caller that histograms or maps frames as they come
holds one decoded frame at a time.  Pillow's GIF and APNG encoders take every frame
before writing (they compare each with the previous one): the output frames, one
palette index per pixel, are what is held then.
"""

import io
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image

from ..color.alpha import lookup_table
from ..errors import ImageError, OutputError
from ..image import MAX_LOOP, Animation, Frame, duration_ms
from .read import DEFAULT_MAX_PIXELS, check_input_file, load_image, opened, too_large

#: Formats that hold an animation, and what an animated output may be.
ANIMATED_FORMATS = frozenset({"GIF", "PNG", "WEBP"})
#: The extension of each animated format.
ANIMATED_EXTENSIONS = {"GIF": ".gif", "PNG": ".png", "WEBP": ".webp"}
#: An animation's frames may hold this many times ``max_pixels`` in all (canvas x
#: frames): its palette indices are kept for the encoder, about 5 bytes a pixel.
ANIMATION_BUDGET = 2
#: The longest frame each format can store, in milliseconds (GIF: 16 bits of
#: centiseconds; APNG: 16 bits of seconds; WebP: 24 bits of milliseconds).
MAX_DURATION = {"GIF": 655_350, "PNG": 65_535_000, "WEBP": (1 << 24) - 1}


def check_budget(size, n_frames, max_pixels, path=None):
    """ImageTooLargeError when ``n_frames`` frames of ``size`` (width, height) are over
    the animation's budget, :data:`ANIMATION_BUDGET` times ``max_pixels``."""
    total = size[0] * size[1] * n_frames
    if max_pixels is not None and total > ANIMATION_BUDGET * max_pixels:
        raise too_large(
            f"animation has {n_frames:,} frames of {size[0]}x{size[1]} = {total:,} pixels in all",
            ANIMATION_BUDGET * max_pixels,
            path,
        )


@dataclass(frozen=True)
class AnimationFile(Animation):
    """The :class:`~quantize.image.Animation` of a file, read lazily:
    :meth:`frames` decodes one frame at a time (see :func:`open_animation`)."""

    _source: object = field(default=None, repr=False)
    _max_pixels: int | None = field(default=DEFAULT_MAX_PIXELS, repr=False)

    def frames(self):
        """Yield every :class:`~quantize.image.Frame` in order, decoded as it is reached."""
        source = io.BytesIO(self._source) if isinstance(self._source, bytes) else self._source
        with opened(source, self.path, self._max_pixels, []) as image:
            for index in range(self.n_frames):
                image.seek(index)
                if image.size != tuple(self.size):  # before decoding: a frame can grow the canvas
                    raise ImageError(
                        f"frame {index + 1} is {image.size[0]}x{image.size[1]}, not the "
                        f"canvas's {self.size[0]}x{self.size[1]}",
                        self.path,
                    )
                pixels = np.asarray(image.convert("RGBA"))
                yield Frame(pixels, duration_ms(image.info.get("duration")), _disposal(image), image.info.get("blend"))


def _disposal(image):
    if image.format == "GIF":
        return getattr(image, "disposal_method", 0)
    return image.info.get("disposal")


def open_animation(path=None, *, data=None, name="-", max_pixels=DEFAULT_MAX_PIXELS):
    """The :class:`Animation` of a file (or of its bytes, ``data``), or None when it
    has a single frame (a still image: read it with :func:`.read.load_image`).

    Raises
    ------
    ImageError
        As :func:`.read.load_image`: missing, not an image, corrupt, a frame over
        ``max_pixels``, or the frames over :data:`ANIMATION_BUDGET` times
        ``max_pixels`` in all (ImageTooLargeError).
    """
    start = time.perf_counter()
    if data is None:
        path = Path(path)
        file_bytes, source = check_input_file(path), path
    else:
        path, file_bytes, source = Path(name), len(data), io.BytesIO(data)
        if not data:
            raise ImageError("no data (0 bytes)", path)
    with opened(source, path, max_pixels, []) as image:
        if not getattr(image, "is_animated", False) or image.format not in ANIMATED_FORMATS:
            return None
        check_budget(image.size, image.n_frames, max_pixels, path)
        loop = image.info.get("loop")
        animation = AnimationFile(
            path,
            file_bytes,
            image.format,
            image.size,
            image.n_frames,
            None if loop is None else min(int(loop), MAX_LOOP),
            _source=data if data is not None else path,
            _max_pixels=max_pixels,
        )
    return replace(animation, seconds=time.perf_counter() - start)


def read_animation(path, *, max_pixels=DEFAULT_MAX_PIXELS):
    """The :class:`~quantize.image.Animation` of a file: its frames read lazily
    (:func:`open_animation`), or a still image as one frame."""
    opened = open_animation(path, max_pixels=max_pixels)
    if opened is not None:
        return opened
    loaded = load_image(path, max_pixels=max_pixels)
    still = Animation.from_arrays([loaded.pixels])
    return replace(still, path=loaded.path, file_bytes=loaded.file_bytes, format=loaded.format)


def _transparent_color(palette):
    """An RGB colour that is no entry of ``palette``, for the transparent entry (GIF
    encoders find entries by colour, so it must not repeat one)."""
    codes = set((palette[:, :3].astype(np.int64) @ [65536, 256, 1]).tolist())
    code = next(c for c in range(len(codes) + 1) if c not in codes)
    return np.array([code >> 16, (code >> 8) & 255, code & 255], np.uint8)


def frame_image(labels, palette, image_format, *, transparent):
    """The Pillow image of one quantised frame: mode "P" (an extra, transparent
    entry when ``transparent``) for GIF and APNG, RGB(A) for WebP.  Partial alpha
    needs APNG or WebP."""
    table = lookup_table(palette, 4)
    partial = bool(((table[:-1, 3] > 0) & (table[:-1, 3] < 255)).any())
    if image_format == "WEBP":
        return Image.fromarray(table[labels] if transparent or partial else table[labels, :3])
    if partial and image_format == "GIF":
        raise OutputError("GIF cannot store the animation's partial transparency; write .png (APNG) or .webp")
    entries = len(palette) + transparent
    index = labels.astype(np.uint8)
    rgb = table[:entries, :3].copy()
    if transparent:
        index[labels < 0] = len(palette)
        rgb[-1] = _transparent_color(palette)
    image = Image.fromarray(index)
    image.putpalette(rgb.tobytes())
    if transparent or partial:
        alpha = table[:entries, 3].copy()
        alpha[len(palette) :] = 0
        image.info["transparency"] = len(palette) if image_format == "GIF" else alpha.tobytes()
    return image


def _merged(images, durations):
    """The frames to write: consecutive frames that show the same picture become one,
    shown for their summed durations.  The encoders merge them too, but Pillow's GIF
    encoder fails when a single frame is left; merged here, that case is a still.
    Returns the kept images, their durations and the index of each run's last frame
    (whose disposal follows the run)."""
    kept, times, last, previous = [], [], [], None
    for index, (image, duration) in enumerate(zip(images, durations)):
        # converting a copy: Pillow's convert() of a "P" image with transparency changes
        # the image's own palette to RGBA, which its GIF encoder then writes wrongly
        shown = np.array(image.copy().convert("RGBA"))
        shown[shown[..., 3] == 0] = 0  # invisible pixels are equal whatever their colour
        if previous is not None and np.array_equal(shown, previous):
            times[-1] += duration
            last[-1] = index
            continue
        kept.append(image)
        times.append(duration)
        last.append(index)
        previous = shown
    return kept, times, last


def encode_animation(
    images, image_format, *, durations, loop, disposals=None, blends=None, shared_palette=True, path=None, notes=None
):
    """The bytes of an animation of Pillow frame images (see :func:`frame_image`).

    Consecutive frames that show the same picture are written once, for their summed
    durations; durations longer than the format can store (:data:`MAX_DURATION`) are
    shortened to its longest, with a line in ``notes`` (a list) when given.  GIF
    frames share one global colour table when ``shared_palette`` (else each has
    its own, a local colour table); unchanged pixels become transparent where the
    palette has room, and every frame is cropped to what changed (Pillow's
    optimisation).  APNG is written without a default image; WebP lossless.
    APNG frames replace what they cover (blend "source", disposal "none"): the
    frames are the displayed canvases, so this shows them exactly, whatever the
    input's disposal.  ``loop`` None writes no loop count (a GIF then plays once).

    Raises
    ------
    OutputError
        The encoder refused the frames.
    """
    if image_format not in ANIMATED_FORMATS:
        raise OutputError(f"{image_format} cannot hold an animation; write .gif, .png (APNG) or .webp", path)
    kept, times, last = _merged(images, durations)
    longest = MAX_DURATION[image_format]
    if max(times) > longest:
        if notes is not None:
            notes.append(f"frames longer than {longest:,} ms were shortened to that ({image_format}'s longest)")
        times = [min(t, longest) for t in times]
    first, rest = kept[0], kept[1:]
    options = {"save_all": True, "append_images": rest, "duration": times if rest else times[0]}
    if loop is not None:
        options["loop"] = min(loop, MAX_LOOP)
    if image_format == "GIF":
        options["optimize"] = True
        if shared_palette:
            options["palette"] = first.getpalette()
        if "transparency" in first.info:
            options["transparency"] = first.info["transparency"]
        if disposals is not None:
            disposal = [disposals[i] or 0 for i in last]
            options["disposal"] = disposal if rest else disposal[0]
    elif image_format == "PNG":
        # Frames are whole canvases as displayed: each replaces what it covers (blend
        # "source", disposal "none"), which shows exactly the input's frames whatever
        # its own disposal and blending were.
        options.update(default_image=False, compress_level=9, disposal=0, blend=0)
    else:
        options.update(lossless=True, method=4, minimize_size=True, allow_mixed=False)
    buffer = io.BytesIO()
    try:
        first.save(buffer, format=image_format, **options)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise OutputError(f"cannot encode the animation as {image_format}: {e}", path) from e
    return buffer.getvalue()


def count_frames(data):
    """The number of frames of an encoded animation (encoders merge identical
    consecutive frames, adding their durations)."""
    with Image.open(io.BytesIO(data)) as image:
        return getattr(image, "n_frames", 1)
