"""What every input of one ``quantize compress`` call shares: :class:`CompressMode`
(as black's ``Mode``), with the rules that name each input's output and its format."""

from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from ..files.animation import ANIMATED_EXTENSIONS
from ..files.encode import output_format
from ..quantization.settings import QuantizeSettings

#: "-" as an input is stdin, as an output stdout.
STDIO = Path("-")
#: --format's names of the image formats, and the extension each writes.
FORMAT_EXTENSIONS = {"png": ".png", "gif": ".gif", "webp": ".webp", "jpeg": ".jpg", "tiff": ".tif", "bmp": ".bmp"}


@dataclass(frozen=True)
class CompressMode:
    """What every input of one ``compress`` call shares (as black's ``Mode``)."""

    settings: QuantizeSettings
    quality_min: float | None = None
    palette: np.ndarray | None = None
    output: Path | None = None
    suffix: str | None = None
    ext: str | None = None
    image_format: str = "auto"
    keep_icc: bool = False
    force: bool = False
    force_output: bool = False
    skip_if_larger: bool = False
    save_palette: Path | None = None
    as_json: bool = False
    report_to_stderr: bool = False
    first_frame: bool = False
    frame_palettes: bool = False
    frame_weight: str = "pixels"
    max_pixels: int | None = None

    def default_suffix(self):
        """``-q<K>``, or the targets (``-q35dB``, ``-q30-40dB``, ``-de2.5``), so that
        runs with different settings never want the same file."""
        s = self.settings
        if not s.targeted:
            return f"-q{s.n_colors}"
        parts = []
        if s.quality is not None:
            low = f"{self.quality_min:g}-" if self.quality_min is not None else ""
            parts.append(f"-q{low}{s.quality:g}dB")
        if s.max_delta_e is not None:
            parts.append(f"-de{s.max_delta_e:g}")
        return "".join(parts)

    def output_for(self, input, animated=None, *, tiled=False):
        """The output of ``input``: -o, stdout for stdin, else beside the input (an
        animation keeps its format: GIF, APNG or WebP; an image larger than memory is
        written as a tiled TIFF; unless --ext or --format)."""
        if self.output is not None:
            return self.output
        if input == STDIO:
            return STDIO
        default = ".tif" if tiled else ANIMATED_EXTENSIONS[animated] if animated else ".png"
        ending = self.ext or FORMAT_EXTENSIONS.get(self.image_format, default)
        if not ending.startswith("."):  # pngquant's form, "-fs8.png": the whole ending
            return input.with_name(input.stem + ending)
        suffix = self.default_suffix() if self.suffix is None else self.suffix
        return input.with_name(input.stem + suffix + ending)

    def format_of(self, output, animated=None):
        """Pillow's format of ``output``: --format for stdout (else PNG, or the
        animation's own), else the extension (which --format, when it names one,
        must agree with)."""
        named = (
            None
            if self.image_format in ("auto", "smallest")
            else output_format(Path("x" + FORMAT_EXTENSIONS[self.image_format]))
        )
        if output == STDIO:
            return named or animated or "PNG"
        image_format = output_format(output)
        if named is not None and named != image_format:
            raise click.UsageError(f"--format {self.image_format} disagrees with the extension of {output}")
        return image_format
