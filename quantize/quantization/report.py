"""The report of one quantisation: what went in, what came out, at what quality."""

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .._units import human_bytes

#: Keys of the JSON report, in order (``quantize compress --json``).
JSON_KEYS = (
    "input",
    "output",
    "width",
    "height",
    "colors_requested",
    "colors_used",
    "psnr",
    "ssim",
    "delta_e",
    "delta_e_p95",
    "input_bytes",
    "output_bytes",
    "compression_ratio",
    "bits_per_pixel",
    "raw_ratio",
    "seconds",
    "seed",
    "algorithm",
    "init",
    "effort",
    "colorspace",
    "frames",
    "frame_stats",
    "transparent",
    "notes",
)


def raw_ratio(width, height, channels, palette_entries):
    """Uncompressed size of the input (8 bits per channel per pixel) over that of the
    palette image (ceil(log2 entries) bits per pixel plus 8 bits per channel per entry)."""
    index_bits = max(1, math.ceil(math.log2(max(1, palette_entries))))
    pixels = width * height
    return (pixels * 8 * channels) / (pixels * index_bits + palette_entries * 8 * channels)


@dataclass
class Report:
    """What a quantisation did.

    ``psnr`` is ``inf`` when the result is identical to the input (JSON: null);
    ``ssim`` is None unless it was asked for, and for images smaller than SSIM's
    7×7 window.  ``delta_e`` and
    ``delta_e_p95`` are the mean and 95th percentile CIEDE2000 difference over the
    visible pixels (their RGB).  For images with
    transparency both compare premultiplied RGBA, so colour hidden under fully
    transparent pixels does not count.  ``output``, ``output_bytes`` and the ratios
    that need them are None until the result is written.
    """

    input: str | None
    width: int
    height: int
    colors_requested: int
    colors_used: int
    psnr: float
    ssim: float | None
    input_bytes: int | None
    raw_ratio: float | None
    seconds: float
    seed: int | None
    algorithm: str
    init: str
    effort: str | None = None
    frames: int = 1
    transparent: bool = False
    colorspace: str = "rgb"
    delta_e: float | None = None
    delta_e_p95: float | None = None
    notes: list = field(default_factory=list)
    output: str | None = None
    output_bytes: int | None = None
    frame_stats: dict | None = None

    @property
    def compression_ratio(self):
        """Input file bytes / output file bytes (below 1 when the output is larger)."""
        if not self.input_bytes or not self.output_bytes:
            return None
        return self.input_bytes / self.output_bytes

    @property
    def bits_per_pixel(self):
        """Bits of the output file per pixel (of every frame of an animation)."""
        if self.output_bytes is None:
            return None
        return 8 * self.output_bytes / (self.width * self.height * self.frames)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict with the keys of :data:`JSON_KEYS`."""
        values = asdict(self)
        values["compression_ratio"] = self.compression_ratio
        values["bits_per_pixel"] = self.bits_per_pixel
        values["notes"] = list(self.notes)
        if values["psnr"] is not None and math.isinf(values["psnr"]):
            values["psnr"] = None
        return {key: values[key] for key in JSON_KEYS}

    def facts(self) -> str:
        """One line for people: colours, PSNR, mean CIEDE2000, size in pixels (and bytes
        once written)."""
        parts = [f"{self.colors_used} colours"]
        if self.psnr is not None:
            parts.append("lossless" if not math.isfinite(self.psnr) else f"PSNR {self.psnr:.2f} dB")
        if self.delta_e is not None:
            parts.append(f"mean ΔE2000 {self.delta_e:.2f}")
        parts.append(f"{self.width} x {self.height} px")
        if self.output_bytes is not None:
            parts.append(human_bytes(self.output_bytes))
        return ", ".join(parts)

    def to_text(self) -> str:
        """A short human-readable report."""
        lines = [f"{self.input or '<array>'} -> {self.output or '(not written)'}"]
        lines.append(
            f"  {self.width} x {self.height} px, {self.colors_used} colours "
            f"({self.colors_requested} asked){', plus transparency' if self.transparent else ''}"
        )
        quality = "identical to the input" if math.isinf(self.psnr) else f"PSNR {self.psnr:.2f} dB"
        if self.ssim is not None:
            quality += f", SSIM {self.ssim:.4f}"
        if self.delta_e is not None:
            quality += f", ΔE2000 mean {self.delta_e:.2f} (95th percentile {self.delta_e_p95:.2f})"
        lines.append(f"  {quality}")
        if self.frame_stats is not None:
            per_frame, delta_e = self.frame_stats["psnr"], self.frame_stats["delta_e"]
            psnr_text = (
                "every frame identical"
                if per_frame["mean"] is None
                else f"PSNR mean {per_frame['mean']:.2f} dB, worst {per_frame['worst']:.2f} dB"
            )
            lines.append(
                f"  {self.frames} frames: {psnr_text}; ΔE2000 mean {delta_e['mean']:.2f}, "
                f"worst frame {delta_e['worst']:.2f}"
            )
        ratio = self.compression_ratio
        if ratio is not None and self.input_bytes is not None and self.output_bytes is not None:
            sizes = f"  {human_bytes(self.input_bytes)} -> {human_bytes(self.output_bytes)}"
            if self.output_bytes < self.input_bytes:
                sizes += f": {ratio:.2f}x smaller"
            elif self.output_bytes == self.input_bytes:
                sizes += ": the same size as the input (no gain)"
            else:
                sizes += f": output is {1 / ratio:.2f}x LARGER than the input (no gain)"
            lines.append(f"{sizes}, {self.bits_per_pixel:.2f} bits per pixel")
        elif self.output_bytes is not None:
            lines.append(f"  {human_bytes(self.output_bytes)}, {self.bits_per_pixel:.2f} bits per pixel")
        if self.raw_ratio is not None:
            lines.append(f"  raw ratio {self.raw_ratio:.2f}:1 (palette indices vs 8-bit channels)")
        if self.algorithm == "palette":
            lines.append(f"  {self.seconds:.2f} s, mapped to a given palette")
        else:
            lines.append(
                f"  {self.seconds:.2f} s, seed {self.seed}, {self.algorithm} k-means, init {self.init}, "
                f"effort {self.effort}, in {self.colorspace}"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)
