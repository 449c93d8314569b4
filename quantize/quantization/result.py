"""The outcome of a quantisation: the final labels (dithered or not), the metrics of
the rebuilt image, and the :class:`QuantizeResult` that carries them and writes itself."""

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from functools import cached_property

import numpy as np

from ..color.alpha import lookup_table, premultiply
from ..color.histogram import count_colors
from ..files.encode import (
    LOSSY_FORMATS, SMALLEST_FORMATS, carries_icc, encode_quantized, encode_smallest, is_palette_image, output_format,
)
from ..files.read import ICC_KEPT_NOTE, load_image_bytes
from ..files.write import atomic_write, check_outputs
from ..color.difference import ciede2000_rows
from ..color.spaces import srgb_to_lab
from ..metrics.image import delta_e_2000, mean_and_p95, psnr, ssim
from .colors import color_delta_e, color_index, color_psnr, pixel_labels
from .dither import pixel_squared_error
from .dither import dither as dither_labels
from .report import Report, raw_ratio


@dataclass
class Encoded:
    """An output file in memory: its bytes, format and the report of it."""

    data: bytes
    image_format: str
    report: Report


@dataclass
class QuantizeResult:
    """The outcome of :func:`quantize_image`.

    Attributes
    ----------
    image : (H, W, 3) or (H, W, 4) ndarray of uint8
        The input rebuilt from the palette (RGBA when the input has transparency),
        built on first access: writing the result needs only the palette and labels.
    palette : (n, 3) or (n, 4) ndarray of uint8
        The colours used, n <= n_colors; RGBA when the input has transparency.
    labels : (H, W) ndarray of int16 (int32 above 32767 colours)
        Palette index of every pixel; -1 for fully transparent pixels.
    report : Report
    icc_profile : bytes or None
        Embedded in the output when the input was loaded with ``keep_icc``.
    source : ndarray of uint8 or None
        The input pixels, kept to measure a lossy output (JPEG) as it decodes.
    """

    palette: np.ndarray
    labels: np.ndarray
    report: Report
    icc_profile: bytes | None = None
    channels: int = 3
    source: np.ndarray | None = field(default=None, repr=False, compare=False)

    @cached_property
    def image(self):
        return lookup_table(self.palette, self.channels)[self.labels]  # label -1: the transparent row

    def encode(self, image_format="PNG", *, smallest=False, name=None):
        """The bytes of the output file and the report of it, as :meth:`save` would
        write them (for a stream, or to decide before writing).

        Parameters
        ----------
        image_format : str
            Pillow's format name ("PNG", "GIF", "WEBP", "JPEG"...).
        smallest : bool, keyword-only
            Encode PNG-8 and lossless WebP and keep the smaller (``image_format``
            is then ignored).
        name : str, optional, keyword-only
            What the report's ``output`` says (a path, or "-" for stdout).

        Returns
        -------
        Encoded
            ``data``, ``image_format`` and the ``report`` of the file (the result's
            own report is not changed).

        Guarantees
        ----------
        The report describes the file as encoded: a lossless format decodes to
        :attr:`image` exactly; a lossy one (JPEG) is decoded back and measured again
        (colours, PSNR, CIEDE2000, SSIM if asked), with a note.  ``raw_ratio`` is
        None when the file is not a palette image, and a kept ICC profile that the
        format cannot carry (GIF, BMP) is noted as dropped.
        """
        start = time.perf_counter()
        notes = list(self.report.notes)
        if smallest:
            image_format, data, sizes = encode_smallest(self.labels, self.palette, name, icc_profile=self.icc_profile)
            notes.append("smallest format: " + ", ".join(
                f"{fmt} {count:,} B" for fmt, count in sorted(sizes.items(), key=lambda item: item[1])))
        else:
            data = encode_quantized(self.labels, self.palette, image_format, name, icc_profile=self.icc_profile)
        report = replace(self.report, output=None if name is None else str(name), output_bytes=len(data),
                         notes=notes)
        partial = self.palette.shape[1] == 4 and bool((self.palette[:, 3] < 255).any())
        if not is_palette_image(image_format, has_alpha=report.transparent or partial):
            report.raw_ratio = None  # it compares palette indices with 8-bit channels
        if self.icc_profile is not None and not carries_icc(image_format):
            report.notes = [note for note in notes if note != ICC_KEPT_NOTE]
            report.notes.append(f"{image_format} cannot carry an ICC profile: the profile was dropped (the "
                                "colours are the input's own, not converted to sRGB)")
        if image_format in LOSSY_FORMATS:
            report = self._measured_as_decoded(report, image_format, data)
        report.seconds = self.report.seconds + time.perf_counter() - start
        return Encoded(data, image_format, report)

    def save(self, path, *, overwrite=False, smallest=False):
        """Write the result atomically (format from the extension, PNG-8 for .png).

        With ``smallest``, PNG-8 and lossless WebP are both encoded and the smaller is
        written, with its extension in place of ``path``'s (the notes say which).  The
        input file is never overwritten.  Returns the report of the file written
        (see :meth:`encode`), also stored in ``self.report``.
        """
        path = Path(path)
        if smallest:
            check_outputs([(path.with_suffix(ext), "the output") for ext in SMALLEST_FORMATS.values()],
                          reads=[(self.report.input, "the input file")], overwrite=overwrite)
        encoded = self.encode(output_format(path), smallest=smallest, name=path)
        if smallest:
            path = path.with_suffix(SMALLEST_FORMATS[encoded.image_format])
            encoded.report.output = str(path)
        atomic_write(path, lambda handle: handle.write(encoded.data), overwrite=overwrite,
                     protect=self.report.input)
        self.report = encoded.report
        return self.report

    def _measured_as_decoded(self, report, image_format, data):
        """The report with the figures of the lossy file, decoded back."""
        decoded = load_image_bytes(data, max_pixels=None, keep_icc=True).pixels
        reference = self.source if self.source is not None else self.image
        reference, decoded = reference[..., :3], decoded[..., :3]
        flat = decoded.reshape(-1, 3)
        before = "identical to the input" if np.isinf(report.psnr) else f"{report.psnr:.2f} dB"
        report.psnr = psnr(reference, decoded)
        rows = _sample(len(flat))
        report.delta_e, report.delta_e_p95 = delta_e_2000(reference.reshape(-1, 3)[rows], flat[rows])
        if report.ssim is not None:
            report.ssim = ssim(reference, decoded)
        palette_colors, report.colors_used = report.colors_used, len(count_colors(flat)[0])
        report.notes.append(
            f"{image_format} is lossy: every figure is of the file decoded back ({report.colors_used:,} colours, "
            f"not the palette's {palette_colors}; {before} before encoding); CIEDE2000 measured on up to "
            f"{_DELTA_E_SAMPLE:,} sampled pixels")
        return report


def build_result(loaded, palette, labels, start, *, with_ssim=False, exact_psnr=None, **report_fields):
    """The result and its report.  The image is rebuilt from palette and labels only
    where a metric needs it: PSNR when the histogram did not give it, SSIM when
    asked (it costs up to a third of the whole call on a big image)."""
    pixels = loaded.pixels
    height, width, channels = pixels.shape
    transparent = bool(labels.min() < 0) if labels.size else False
    result = QuantizeResult(palette, labels, None, loaded.icc_profile, channels, source=pixels)
    if exact_psnr is None or with_ssim:
        reference, compared = compared_pixels(pixels, result.image)
    result.report = Report(
        input=str(loaded.path) if loaded.path is not None else None,
        width=width,
        height=height,
        colors_used=len(palette),
        psnr=exact_psnr if exact_psnr is not None else psnr(reference, compared),
        ssim=ssim(reference, compared) if with_ssim else None,
        input_bytes=loaded.file_bytes,
        raw_ratio=raw_ratio(width, height, channels, len(palette) + transparent),
        seconds=0.0,
        frames=1,
        transparent=transparent,
        **report_fields,
    )
    result.report.seconds = loaded.seconds + time.perf_counter() - start
    return result


_DELTA_E_SAMPLE = 1 << 18


def compared_pixels(pixels, rebuilt):
    """What PSNR and SSIM compare: the pixels and their rebuilt image, as they are, or
    premultiplied (RGBA) so that colour under transparency does not count."""
    if pixels.shape[2] == 4:
        return premultiply(pixels), premultiply(rebuilt)
    return pixels, rebuilt


def final_labels(loaded, colors, palette, color_labels, dither, strength, notes):
    """The output palette, every pixel's label (dithered when asked and possible), the
    (mean, p95) CIEDE2000 of the result and its PSNR, exactly (from the histogram, or
    from the pixels' colours and labels when dithered)."""
    dithered = dither != "none" and not colors.premultiplied and len(palette) > 1 and strength > 0
    if dither != "none" and colors.premultiplied:
        notes.append("not dithered: the image has partly transparent pixels")
    if not dithered:
        delta_e = color_delta_e(colors, palette, color_labels)
        exact_psnr = color_psnr(colors, palette, color_labels)
        return *pixel_labels(colors, palette, color_labels), delta_e, exact_psnr
    index = color_index(colors)
    plain = np.where(index >= 0, color_labels.astype(np.int16)[np.maximum(index, 0)], -1).astype(np.int16)
    labels = dither_labels(colors, palette[:, :3], color_labels, index, plain, method=dither, strength=strength)
    exact_psnr = color_psnr(colors, palette, color_labels, sse=pixel_squared_error(colors, palette, index, labels))
    rows = _sample(labels.size)
    rows = rows[labels.reshape(-1)[rows] >= 0]  # the visible ones among them
    differences = ciede2000_rows(colors.lab[index.reshape(-1)[rows]], srgb_to_lab(palette[:, :3], np.float32),
                                 labels.reshape(-1)[rows], dtype=np.float32)
    notes.append(f"{dither} dithering at strength {strength:g}; CIEDE2000 measured on "
                 f"up to {_DELTA_E_SAMPLE:,} sampled pixels")
    return pixel_labels(colors, palette, color_labels, labels=labels)[0], labels, mean_and_p95(differences), exact_psnr


def _sample(n):
    """Up to _DELTA_E_SAMPLE of the n pixels' indices, increasing: one drawn at random
    in each of that many equal runs of pixels (a stratified sample, from a fixed stream
    so that a sampled CIEDE2000 does not depend on how the palette was found); only
    the sample is allocated."""
    if n <= _DELTA_E_SAMPLE:
        return np.arange(n)
    starts = np.arange(_DELTA_E_SAMPLE + 1, dtype=np.int64) * n // _DELTA_E_SAMPLE
    return starts[:-1] + np.random.default_rng(0).integers(0, np.diff(starts))
