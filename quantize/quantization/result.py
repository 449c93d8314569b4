"""The outcome of a quantisation: the final labels (dithered or not), the metrics of
the rebuilt image, and the :class:`QuantizeResult` that carries them and writes itself."""

import time
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from ..color.alpha import lookup_table, premultiply
from ..files.encode import save_quantized, save_smallest
from ..metrics.image import delta_e_2000, psnr, ssim
from .colors import color_delta_e, color_psnr, pixel_labels
from .dither import dither as dither_labels
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
    """

    palette: np.ndarray
    labels: np.ndarray
    report: Report
    icc_profile: bytes | None = None
    channels: int = 3

    @cached_property
    def image(self):
        return lookup_table(self.palette, self.channels)[self.labels]  # label -1: the transparent row

    def save(self, path, *, overwrite=False, smallest=False):
        """Write the result atomically (format from the extension, PNG-8 for .png).

        With ``smallest``, PNG-8 and lossless WebP are both encoded and the smaller is
        written, with its extension in place of ``path``'s (the notes say which).  The
        input file is never overwritten.  Returns the report, now with ``output`` and
        ``output_bytes`` filled in (also stored in ``self.report``).
        """
        start = time.perf_counter()
        notes = list(self.report.notes)
        if smallest:
            path, sizes = save_smallest(
                path, self.labels, self.palette, overwrite=overwrite, protect=self.report.input,
                icc_profile=self.icc_profile,
            )
            size = min(sizes.values())
            notes.append("smallest format: " + ", ".join(
                f"{name} {count:,} B" for name, count in sorted(sizes.items(), key=lambda item: item[1])))
        else:
            size = save_quantized(
                path, self.labels, self.palette, overwrite=overwrite, protect=self.report.input,
                icc_profile=self.icc_profile,
            )
        self.report = replace(
            self.report,
            output=str(path),
            output_bytes=size,
            notes=notes,
            seconds=self.report.seconds + time.perf_counter() - start,
        )
        return self.report


def build_result(loaded, palette, labels, start, *, with_ssim=False, exact_psnr=None, **report_fields):
    """The result and its report.  The image is rebuilt from palette and labels only
    where a metric needs it: PSNR when the histogram did not give it, SSIM when
    asked (it costs up to a third of the whole call on a big image)."""
    pixels = loaded.pixels
    height, width, channels = pixels.shape
    transparent = bool(labels.min() < 0) if labels.size else False
    result = QuantizeResult(palette, labels, None, loaded.icc_profile, channels)
    if exact_psnr is None or with_ssim:
        if channels == 4:
            reference, compared = premultiply(pixels), premultiply(result.image)
        else:
            reference, compared = pixels, result.image
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
        frames=loaded.frames,
        transparent=transparent,
        **report_fields,
    )
    result.report.seconds = loaded.seconds + time.perf_counter() - start
    return result


_DELTA_E_SAMPLE = 1 << 18


def final_labels(loaded, colors, palette, color_labels, dither, strength, notes):
    """The output palette, every pixel's label (dithered when asked and possible), the
    (mean, p95) CIEDE2000 of the result and its PSNR when the histogram gives it
    exactly (not dithered; else None)."""
    dithered = dither != "none" and not colors.premultiplied
    if dither != "none" and colors.premultiplied:
        notes.append("not dithered: the image has partly transparent pixels")
    exact_psnr = None
    if not dithered:
        delta_e = color_delta_e(colors, palette, color_labels)
        exact_psnr = color_psnr(colors, palette, color_labels)
    palette, labels = pixel_labels(colors, palette, color_labels)
    if dithered:
        labels, delta_e = _dithered(loaded.pixels, palette, labels, dither, strength)
        notes.append(f"{dither} dithering at strength {strength:g}; CIEDE2000 measured on "
                     f"up to {_DELTA_E_SAMPLE:,} sampled pixels")
    return palette, labels, delta_e, exact_psnr


def _dithered(pixels, palette, labels, method, strength):
    """Dithered labels (transparent pixels stay -1) and the CIEDE2000 of the result,
    on a sample of pixels (dithering makes every pixel's colour its own) drawn from a
    fixed stream, so that the report does not depend on how the palette was found."""
    rng = np.random.default_rng(0)
    rgb = np.ascontiguousarray(pixels[..., :3])
    dithered = dither_labels(rgb, palette[:, :3], labels, method=method, strength=strength)
    dithered[labels < 0] = -1
    visible = np.flatnonzero(dithered.reshape(-1) >= 0)
    if len(visible) > _DELTA_E_SAMPLE:
        visible = np.sort(rng.choice(visible, _DELTA_E_SAMPLE, replace=False))
    flat = rgb.reshape(-1, 3)
    return dithered, delta_e_2000(flat[visible], palette[dithered.reshape(-1)[visible], :3])
