"""The outcome of a quantisation: the final labels (dithered or not), the metrics of
the rebuilt image, and the :class:`QuantizeResult` that carries them (a value:
``quantize.files.results`` encodes and writes it)."""

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .. import display
from ..color.alpha import lookup_table, premultiply
from ..color.difference import ciede2000_rows
from ..color.spaces import srgb_to_lab
from ..metrics.image import mean_and_p95, psnr, ssim
from .dither import dither as dither_labels
from .dither import pixel_squared_error
from .exact import color_delta_e, color_psnr
from .labels import color_index, pixel_labels
from .report import Report, raw_ratio


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

    def _pictures(self):
        factor = display.step(self.labels.shape)
        after = display.reduced_labels(self.palette, self.labels, factor)
        if self.source is None:
            return [after], ["after"]
        return [display.reduced(self.source, factor), after], ["before", "after"]

    def _repr_png_(self) -> bytes:
        """Before and after, small, above the palette (Jupyter shows it)."""
        return display.png(self._pictures()[0], self.palette)

    def _repr_html_(self) -> str:
        """Before and after, the palette's swatches and the report's figures."""
        pictures, captions = self._pictures()
        return display.html_view(pictures, captions, self.palette, self.report.facts())


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


#: The most pixels a CIEDE2000 of pixels (dithered, or a lossy file decoded) is measured on.
DELTA_E_SAMPLE = 1 << 18


def compared_pixels(pixels, rebuilt):
    """What PSNR and SSIM compare: the pixels and their rebuilt image, as they are, or
    premultiplied (RGBA) so that colour under transparency does not count."""
    if pixels.shape[2] == 4:
        return premultiply(pixels), premultiply(rebuilt)
    return pixels, rebuilt


@dataclass(frozen=True)
class FinalLabels:
    """The output palette and every pixel's label (dithered when asked and possible),
    with the result's CIEDE2000 (mean and 95th percentile) and its exact PSNR (None
    when it is to be measured on the pixels)."""

    palette: np.ndarray
    labels: np.ndarray
    delta_e: float
    delta_e_p95: float | None
    psnr: float | None


def final_labels(loaded, colors, palette, color_labels, dither, strength, notes):
    """The :class:`FinalLabels` of a palette: PSNR and CIEDE2000 exactly from the
    histogram, or from the pixels' colours and labels when dithered."""
    dithered = dither != "none" and not colors.premultiplied and len(palette) > 1 and strength > 0
    if dither != "none" and colors.premultiplied:
        notes.append("not dithered: the image has partly transparent pixels")
    if not dithered:
        delta_e = color_delta_e(colors, palette, color_labels)
        exact_psnr = color_psnr(colors, palette, color_labels)
        return FinalLabels(*pixel_labels(colors, palette, color_labels), *delta_e, exact_psnr)
    index = color_index(colors)
    plain = np.where(index >= 0, color_labels.astype(np.int16)[np.maximum(index, 0)], -1).astype(np.int16)
    labels = dither_labels(colors, palette[:, :3], color_labels, index, plain, method=dither, strength=strength)
    exact_psnr = color_psnr(colors, palette, color_labels, sse=pixel_squared_error(colors, palette, index, labels))
    rows = sample_rows(labels.size)
    rows = rows[labels.reshape(-1)[rows] >= 0]  # the visible ones among them
    differences = ciede2000_rows(
        colors.lab[index.reshape(-1)[rows]],
        srgb_to_lab(palette[:, :3], np.float32),
        labels.reshape(-1)[rows],
        dtype=np.float32,
    )
    notes.append(
        f"{dither} dithering at strength {strength:g}; CIEDE2000 measured on up to {DELTA_E_SAMPLE:,} sampled pixels"
    )
    output_palette = pixel_labels(colors, palette, color_labels, labels=labels)[0]
    return FinalLabels(output_palette, labels, *mean_and_p95(differences), exact_psnr)


def sample_rows(n):
    """Up to DELTA_E_SAMPLE of the n pixels' indices, increasing: one drawn at random
    in each of that many equal runs of pixels (a stratified sample, from a fixed stream
    so that a sampled CIEDE2000 does not depend on how the palette was found); only
    the sample is allocated."""
    if n <= DELTA_E_SAMPLE:
        return np.arange(n)
    starts = np.arange(DELTA_E_SAMPLE + 1, dtype=np.int64) * n // DELTA_E_SAMPLE
    return starts[:-1] + np.random.default_rng(0).integers(0, np.diff(starts))
