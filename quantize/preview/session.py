"""One image being previewed: the results of the settings asked for, each computed once
and kept, and the writing of one as ``quantize compress`` would write it."""

import io
import shlex
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .._validation import check_choice, check_float, check_int
from ..color.spaces import CLUSTER_SPACES, DEFAULT_SPACE, hex_code
from ..color.names import color_names
from ..errors import InvalidParameterError, OutputError
from ..files.write import atomic_write
from ..quantization.api import quantize_image
from ..quantization.dither import METHODS as DITHERS
from ..quantization.search import DEFAULT_EFFORT, EFFORTS
from ..quantization.settings import MAX_PALETTE

#: Results kept per image (the least recently asked for is dropped first).
CACHE_SIZE = 64


@dataclass(frozen=True)
class Setting:
    """What the page's controls choose; checked when made (from the query's strings)."""

    k: int = 16
    colorspace: str = DEFAULT_SPACE
    dither: str = "none"
    strength: float = 1.0
    effort: str = DEFAULT_EFFORT

    @classmethod
    def from_query(cls, query):
        """From a parsed query string ({name: [value]}); InvalidParameterError if bad."""
        def one(name, default):
            values = query.get(name)
            return values[0] if values else default

        try:
            k, strength = int(one("k", cls.k)), float(one("strength", cls.strength))
        except ValueError as e:
            raise InvalidParameterError(f"bad number: {e}") from e
        return cls(check_int(k, "k", low=1, high=MAX_PALETTE), check_choice(one("colorspace", cls.colorspace),
                   "colorspace", CLUSTER_SPACES), check_choice(one("dither", cls.dither), "dither", DITHERS),
                   _strength(strength), check_choice(one("effort", cls.effort), "effort", EFFORTS))

    def options(self):
        return {"n_colors": self.k, "colorspace": self.colorspace, "dither": self.dither,
                "dither_strength": self.strength, "effort": self.effort, "random_state": 0}

    def command(self, input, output):
        """The ``quantize compress`` command line that writes the same file."""
        words = ["quantize", "compress", str(input), "-k", str(self.k), "--colorspace", self.colorspace,
                 "--effort", self.effort, "--seed", "0"]
        if self.dither != "none":
            words += ["--dither", self.dither, "--dither-strength", f"{self.strength:g}"]
        return shlex.join([*words, "-o", str(output)])


def _strength(value):
    value = check_float(value, "strength", low=0.0)
    if value > 1:
        raise InvalidParameterError(f"strength={value} must be in [0, 1]")
    return value


@dataclass
class Preview:
    """One setting's outcome: the picture (PNG bytes), its file as compress writes it
    (PNG-8 bytes), the figures and the palette with names and shares."""

    picture: bytes
    data: bytes
    figures: dict


class PreviewSession:
    """The results of one image, computed once per setting (thread-safe).

    Parameters
    ----------
    loaded : LoadedImage
        The image (from :func:`quantize.load_image`).
    """

    def __init__(self, loaded):
        self.loaded = loaded
        self._results = {}
        self._order = []
        self._lock = threading.Lock()
        self._computing = {}
        self.original = _png(loaded.pixels)

    @property
    def path(self):
        return Path(self.loaded.path) if self.loaded.path is not None else None

    def output_for(self, setting):
        """``<stem>-q<k>.png`` beside the image, as compress names it."""
        return self.path.with_name(f"{self.path.stem}-q{setting.k}.png")

    def result(self, setting):
        """The :class:`Preview` of ``setting``, computed on first request."""
        with self._lock:
            if setting in self._results:
                self._order.remove(setting)
                self._order.append(setting)
                return self._results[setting]
            event = self._computing.get(setting)
            if event is None:
                event = self._computing[setting] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:  # another request computes it: wait for it
            event.wait()
            return self.result(setting)
        try:
            preview = self._compute(setting)
            with self._lock:
                self._results[setting] = preview
                self._order.append(setting)
                while len(self._order) > CACHE_SIZE:
                    self._results.pop(self._order.pop(0))
            return preview
        finally:
            with self._lock:
                self._computing.pop(setting).set()

    def _compute(self, setting):
        result = quantize_image(self.loaded, **setting.options())
        encoded = result.encode("PNG")
        labels = result.labels
        counts = np.bincount(labels[labels >= 0].ravel(), minlength=len(result.palette))
        shares = counts / max(counts.sum(), 1)
        order = np.argsort(-shares, kind="stable")
        palette = result.palette[:, :3].astype(np.uint8)
        names = color_names(palette, distinct=True)
        report = encoded.report
        figures = {
            "k": setting.k, "colors_used": report.colors_used,
            "psnr": None if not np.isfinite(report.psnr) else round(report.psnr, 2),
            "delta_e": None if report.delta_e is None else round(report.delta_e, 3),
            "bytes": len(encoded.data), "input_bytes": report.input_bytes,
            "palette": [{"hex": hex_code(palette[i]), "share": round(float(shares[i]), 4), "name": names[i]}
                        for i in order],
            "output": str(self.output_for(setting)) if self.path else None,
            "command": setting.command(self.path, self.output_for(setting)) if self.path else None,
        }
        return Preview(_png(result.image), encoded.data, figures)

    def write(self, setting):
        """Write the setting's file where compress would, never over an existing file;
        the path written (OutputError if it exists)."""
        if self.path is None:
            raise OutputError("an image read from a stream has no place to write beside it")
        output = self.output_for(setting)
        data = self.result(setting).data
        atomic_write(output, lambda handle: handle.write(data), overwrite=False, protect=self.path)
        return output


def _png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
