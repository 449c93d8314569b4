"""Results written: a quantised image or animation as the bytes of its file
(:func:`encode`) or as the file (:func:`save`), a segmentation as its folder of
pictures and JSON (:func:`save_segments`); for a batch, the same at a path or an
object-store URL (:func:`check_output_at`, :func:`save_at`, :func:`save_segments_at`).
The results themselves are values (``quantize.quantization``,
``quantize.segmentation``); this is where they meet the disk."""

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .._parallel import thread_map
from .._units import human_bytes
from .._validation import check_choice
from ..color.histogram import count_colors
from ..errors import InvalidParameterError, OutputError
from ..metrics.image import delta_e_2000, psnr, ssim
from ..quantization.animation import AnimationResult
from ..quantization.report import Report
from ..quantization.result import DELTA_E_SAMPLE, QuantizeResult, sample_rows
from ..segmentation.result import OVERLAY_MODES, SegmentResult
from .animation import ANIMATED_FORMATS, count_frames, encode_animation, frame_image
from .encode import (
    LOSSY_FORMATS,
    SMALLEST_FORMATS,
    carries_icc,
    encode_quantized,
    encode_smallest,
    is_palette_image,
    output_format,
)
from .read import ICC_KEPT_NOTE, load_image_bytes
from .remote import RemotePath
from .write import atomic_write, check_output_path, check_outputs, folder_of_outputs, make_folder, save_png, save_text


@dataclass
class Encoded:
    """An output file in memory: its bytes, format and the report of it."""

    data: bytes
    image_format: str
    report: Report


def encode(
    result: QuantizeResult | AnimationResult,
    image_format: str | None = None,
    *,
    smallest: bool = False,
    name: str | Path | None = None,
) -> Encoded:
    """The bytes of a result's file and the report of that file, as :func:`save`
    would write them (for a stream, or to decide before writing).

    Parameters
    ----------
    result : QuantizeResult or AnimationResult
    image_format : str, optional
        Pillow's format name ("PNG", "GIF", "WEBP", "JPEG"...); default PNG, and
        for an animation the input's format ("GIF", "PNG" for APNG, "WEBP").
    smallest : bool, keyword-only
        A still only: encode PNG-8 and lossless WebP and keep the smaller
        (``image_format`` is then ignored).
    name : str or Path, optional, keyword-only
        What the report's ``output`` says (a path, or "-" for stdout).

    Returns
    -------
    Encoded
        ``data``, ``image_format`` and the ``report`` of the file (the result's own
        report is not changed).

    Guarantees
    ----------
    The report describes the file as encoded: a lossless format decodes to the
    result's image exactly (an animation's to each frame, with the durations, loop
    count and disposal of the input); a lossy one (JPEG) is decoded back and measured
    again (colours, PSNR, CIEDE2000, SSIM if asked), with a note.  ``raw_ratio`` is
    None when the file is not a palette image, and a kept ICC profile that the format
    cannot carry (GIF, BMP) is noted as dropped.
    """
    if isinstance(result, AnimationResult):
        if smallest:
            raise InvalidParameterError("smallest is for a still image; an animation keeps its format")
        return _encode_animation(result, image_format, name)
    if not isinstance(result, QuantizeResult):
        raise InvalidParameterError(f"cannot encode a {type(result).__name__}: a QuantizeResult or AnimationResult")
    return _encode_still(result, image_format or "PNG", smallest, name)


def save(
    result: QuantizeResult | AnimationResult,
    path: str | Path,
    *,
    overwrite: bool = False,
    smallest: bool = False,
) -> Report:
    """Write a result atomically; the format follows the extension (PNG-8 for .png,
    APNG for an animation's .png).

    With ``smallest`` (a still only), PNG-8 and lossless WebP are both encoded and the
    smaller is written, with its extension in place of ``path``'s (the notes say
    which).  The input file is never overwritten, nor an existing file unless
    ``overwrite``.  Returns the report of the file written (see :func:`encode`), also
    stored in ``result.report``.
    """
    path = Path(path)
    if smallest:
        check_outputs(
            [(path.with_suffix(ext), "the output") for ext in SMALLEST_FORMATS.values()],
            reads=[(result.report.input, "the input file")],
            overwrite=overwrite,
        )
    encoded = encode(result, output_format(path), smallest=smallest, name=path)
    if smallest:
        path = path.with_suffix(SMALLEST_FORMATS[encoded.image_format])
        encoded.report.output = str(path)
    atomic_write(path, lambda handle: handle.write(encoded.data), overwrite=overwrite, protect=result.report.input)
    result.report = encoded.report
    return result.report


def _encode_still(result, image_format, smallest, name):
    start = time.perf_counter()
    notes = list(result.report.notes)
    if smallest:
        image_format, data, sizes = encode_smallest(result.labels, result.palette, name, icc_profile=result.icc_profile)
        notes.append(
            "smallest format: "
            + ", ".join(f"{fmt} {count:,} B" for fmt, count in sorted(sizes.items(), key=lambda item: item[1]))
        )
    else:
        data = encode_quantized(result.labels, result.palette, image_format, name, icc_profile=result.icc_profile)
    report = replace(result.report, output=None if name is None else str(name), output_bytes=len(data), notes=notes)
    partial = result.palette.shape[1] == 4 and bool((result.palette[:, 3] < 255).any())
    if not is_palette_image(image_format, has_alpha=report.transparent or partial):
        report.raw_ratio = None  # it compares palette indices with 8-bit channels
    if result.icc_profile is not None and not carries_icc(image_format):
        report.notes = [note for note in notes if note != ICC_KEPT_NOTE]
        report.notes.append(
            f"{image_format} cannot carry an ICC profile: the profile was dropped (the "
            "colours are the input's own, not converted to sRGB)"
        )
    if image_format in LOSSY_FORMATS:
        report = _measured_as_decoded(result, report, image_format, data)
    report.seconds = result.report.seconds + time.perf_counter() - start
    return Encoded(data, image_format, report)


def _measured_as_decoded(result, report, image_format, data):
    """The report with the figures of the lossy file, decoded back."""
    decoded = load_image_bytes(data, max_pixels=None, keep_icc=True).pixels
    reference = result.source if result.source is not None else result.image
    reference, decoded = reference[..., :3], decoded[..., :3]
    flat = decoded.reshape(-1, 3)
    before = "identical to the input" if np.isinf(report.psnr) else f"{report.psnr:.2f} dB"
    report.psnr = psnr(reference, decoded)
    rows = sample_rows(len(flat))
    report.delta_e, report.delta_e_p95 = delta_e_2000(reference.reshape(-1, 3)[rows], flat[rows])
    if report.ssim is not None:
        report.ssim = ssim(reference, decoded)
    palette_colors, report.colors_used = report.colors_used, len(count_colors(flat)[0])
    report.notes.append(
        f"{image_format} is lossy: every figure is of the file decoded back ({report.colors_used:,} colours, "
        f"not the palette's {palette_colors}; {before} before encoding); CIEDE2000 measured on up to "
        f"{DELTA_E_SAMPLE:,} sampled pixels"
    )
    return report


def _encode_animation(result, image_format, name):
    start = time.perf_counter()
    image_format = image_format or result.source_format or "GIF"
    if image_format not in ANIMATED_FORMATS:
        raise InvalidParameterError(f"{image_format} cannot hold an animation; use GIF, PNG (APNG) or WEBP")
    # a shared palette keeps its transparent entry in every frame; frame palettes hold their own
    images = [
        frame_image(
            labels, palette, image_format, transparent=result.transparent if result.shared else bool((labels < 0).any())
        )
        for labels, palette in zip(result.labels, result.palettes)
    ]
    notes = list(result.report.notes)
    data = encode_animation(
        images,
        image_format,
        durations=result.durations,
        loop=result.loop,
        disposals=result.disposals if any(d is not None for d in result.disposals) else None,
        blends=result.blends if any(b is not None for b in result.blends) else None,
        shared_palette=result.shared,
        path=name,
        notes=notes,
    )
    del images
    report = replace(result.report, output=None if name is None else str(name), output_bytes=len(data), notes=notes)
    written = count_frames(data)
    if written != report.frames:
        report.notes.append(
            f"{report.frames - written} frames identical to the one before were merged into it "
            f"(durations added): {written} frames written"
        )
        report.frames = written
    if image_format == "WEBP":
        report.raw_ratio = None
    report.seconds = result.report.seconds + time.perf_counter() - start
    return Encoded(data, image_format, report)


def save_segments(
    result: SegmentResult,
    folder: str | Path,
    *,
    overwrite: bool = False,
    overlay: str = "clusters",
) -> dict[str, int]:
    """Write a segmentation's labels.png, labels-color.png, mask_<i>.png, overlay.png,
    palette.png and segments.json.

    The folder is created if needed.  Nothing is written when any of the files exists
    and ``overwrite`` is false, or when one of them is the input image; each file is
    written atomically.  When a write fails (a full disk, say), the files this call
    created are removed, and the folder if this call created it.  ``overlay`` is the
    mode of overlay.png (see :meth:`SegmentResult.overlay`).

    Returns
    -------
    dict
        File name → bytes written.
    """
    folder = Path(folder)
    names = result.file_names()
    check_choice(overlay, "overlay", OVERLAY_MODES)
    # name -> the pixels and palette (or None) of each picture, made when written
    pictures: dict[str, Callable[[], tuple[np.ndarray, np.ndarray | None]]] = {
        "labels.png": lambda: (result.label_image(), None),
        "labels-color.png": result.labels_color_picture,
        "overlay.png": lambda: result.overlay_picture(overlay),
        "palette.png": lambda: (result.swatch(), None),
    }

    def mask(index: int) -> Callable[[], tuple[np.ndarray, None]]:
        return lambda: (result.mask(index), None)

    for i in range(len(result.colors)):
        pictures[f"mask_{i}.png"] = mask(i)

    def write(name):
        try:
            pixels, palette = pictures[name]()
            return name, save_png(folder / name, pixels, palette=palette, overwrite=overwrite, compress_level=1)
        except BaseException as e:  # every write ends before the cleanup below
            return name, e

    with folder_of_outputs(folder, names, overwrite=overwrite, reads=[(result.input, "the input image")]):
        written = dict(thread_map(write, list(pictures)))
        failed = next((e for e in written.values() if isinstance(e, BaseException)), None)
        if failed is not None:
            raise failed
        text = json.dumps(result.to_dict())  # compact: a photo can have 100,000 regions
        written["segments.json"] = save_text(folder / "segments.json", text + "\n", overwrite=overwrite)
    return written


def check_output_at(output, *, overwrite=False, protect=None, ours=False):
    """Before the work: whether ``output`` (a path or a URL) may be written.

    ``ours``: the output did not exist when the batch began, so one found now was
    written by an earlier attempt of the same task (a retried task on a cluster).
    Returns whether such an earlier attempt's file is there; raises OutputError when
    the output exists and may not be replaced (or is ``protect``, the input).
    """
    earlier = ours and output.exists()
    if isinstance(output, RemotePath) or earlier:
        if not overwrite and not earlier and output.exists():
            raise OutputError("file exists (use --force to overwrite it)", output)
    else:
        check_output_path(output, overwrite=overwrite, protect=protect)
    return earlier


def save_at(result, output, *, overwrite=False, earlier=False, skip_if_larger=False):
    """:func:`save` to a path or a URL (one PUT of the finished file); ``earlier``
    (from :func:`check_output_at`): the file an earlier attempt wrote, kept when it
    holds the same bytes.  With ``skip_if_larger``, nothing is written when the file
    would not be smaller than the input's: the report then has no output, and its
    last note says why (see :func:`not_smaller`).  Returns the report of the file."""
    encoded = encode(result, output_format(output), name=str(output))
    result.report = report = encoded.report
    if skip_if_larger and (why := not_smaller(report)) is not None:
        report.notes.append(why)
        report.output = report.output_bytes = None
    elif earlier:
        if output.read_bytes() != encoded.data:
            raise OutputError("file exists (written by something else during the batch)", output)
    elif isinstance(output, RemotePath):
        output.write_bytes(encoded.data, overwrite=overwrite)
    else:
        make_folder(output.parent)
        atomic_write(output, lambda handle: handle.write(encoded.data), overwrite=overwrite, protect=report.input)
    return report


def not_smaller(report):
    """Why the file of ``report`` is not worth writing with --skip-if-larger (it is not
    smaller than its input), or None when it is."""
    if report.input_bytes is None or report.output_bytes is None or report.output_bytes < report.input_bytes:
        return None
    return (
        f"not written: the output would be {human_bytes(report.output_bytes)}, not smaller than the "
        f"input's {human_bytes(report.input_bytes)} (--skip-if-larger)"
    )


def save_segments_at(result, folder, *, overwrite=False):
    """:func:`save_segments` into a local folder or, file by file (one PUT each), into
    a folder of an object store."""
    if not isinstance(folder, RemotePath):
        return save_segments(result, folder, overwrite=overwrite)
    if not overwrite:
        for name in result.file_names():
            if (folder / name).exists():
                raise OutputError("file exists (use --force to overwrite it)", folder / name)
    with tempfile.TemporaryDirectory(prefix="quantize-segments-") as local:
        written = save_segments(result, local, overwrite=True)
        for name in result.file_names():
            (folder / name).write_bytes((Path(local) / name).read_bytes(), overwrite=True)
    return written
