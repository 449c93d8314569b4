"""One image being previewed: the results of the settings asked for, each computed once
and kept (its file in every format of :data:`FORMATS`), and the writing of one as
``quantize compress`` would write it.

Settings are computed one at a time, on one worker thread, whatever the number of
requests: the newest setting asked for goes next, and older ones are cancelled, those
still waiting and the one being computed alike (a slider that moves asks for many; the
computation stops at its next step, see :mod:`quantize._cancel`), so memory holds one
computation and the results kept (at most :data:`CACHE_SIZE` of them and
:data:`CACHE_BYTES` in all).  A setting that a write waits for is never cancelled.
"""

import io
import shlex
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .._cancel import Cancelled, cancellable, check
from .._parallel import thread_map
from .._validation import check_choice, check_float, check_int
from ..color.names import color_names
from ..color.spaces import CLUSTER_SPACES, DEFAULT_SPACE, hex_code
from ..errors import InvalidParameterError, OutputError
from ..files.results import encode
from ..files.write import atomic_write
from ..quantization.api import quantize_image
from ..quantization.dither import METHODS as DITHERS
from ..quantization.search import DEFAULT_EFFORT, EFFORTS
from ..quantization.settings import MAX_PALETTE

#: Results kept per image, and their bytes at most (the least recently asked for is
#: dropped first).
CACHE_SIZE, CACHE_BYTES = 64, 256 << 20
#: Settings that a write waits for (never cancelled) at most at once.
MAX_KEPT = 8
#: The formats of compress the page offers, with their extensions (PNG-8 first: the default).
FORMATS = {"PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}


class Superseded(Exception):
    """A setting was cancelled before it was computed: a newer one was asked for, or
    the preview is stopping."""


class Busy(Exception):
    """Too many writes wait for their settings."""


class _Job:
    """One setting to compute, and who waits for it."""

    def __init__(self, setting, keep):
        self.setting, self.keep = setting, keep
        self.done = threading.Event()
        self.cancel = threading.Event()  # set: the computation stops at its next step
        self.preview = self.error = self.why = None

    def stop(self, why):
        """Cancel the computation (the first reason given is the one told)."""
        if not self.cancel.is_set():
            self.why = why
            self.cancel.set()


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
        return cls(
            check_int(k, "k", low=1, high=MAX_PALETTE),
            check_choice(one("colorspace", cls.colorspace), "colorspace", CLUSTER_SPACES),
            check_choice(one("dither", cls.dither), "dither", DITHERS),
            _strength(strength),
            check_choice(one("effort", cls.effort), "effort", EFFORTS),
        )

    def options(self):
        return {
            "n_colors": self.k,
            "colorspace": self.colorspace,
            "dither": self.dither,
            "dither_strength": self.strength,
            "effort": self.effort,
            "random_state": 0,
        }

    def command(self, input, output):
        """The ``quantize compress`` command line that writes the same file."""
        words = [
            "quantize",
            "compress",
            str(input),
            "-k",
            str(self.k),
            "--colorspace",
            self.colorspace,
            "--effort",
            self.effort,
            "--seed",
            "0",
        ]
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
    """One setting's outcome: the picture (PNG bytes), its file in each format as
    compress writes it ({format: bytes}), the figures and the palette with names and
    shares."""

    picture: bytes
    files: dict
    figures: dict

    @property
    def nbytes(self):
        return len(self.picture) + sum(map(len, self.files.values()))


class PreviewSession:
    """The results of one image, computed once per setting (thread-safe).

    Parameters
    ----------
    loaded : LoadedImage
        The image (from :func:`quantize.load_image`).
    """

    def __init__(self, loaded):
        self.loaded = loaded
        self._results = {}  # setting -> Preview, least recently asked for first
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending = []  # jobs not started, oldest first
        self._jobs = {}  # setting -> its pending or running job
        self._worker = None
        self._running = None  # the job being computed
        self._closed = False
        self.original = _png(loaded.pixels)

    @property
    def path(self):
        return Path(self.loaded.path) if self.loaded.path is not None else None

    def output_for(self, setting, image_format="PNG"):
        """``<stem>-q<k>.png`` (or the format's extension) beside the image, as compress
        names it."""
        return self.path.with_name(f"{self.path.stem}-q{setting.k}{FORMATS[image_format]}")

    def result(self, setting, *, keep=False):
        """The :class:`Preview` of ``setting``, computed on first request.

        Raises :class:`Superseded` when a newer setting was asked for before this one
        was started (unless ``keep``: a write's setting is never cancelled), or the
        session is closed; :class:`Busy` when :data:`MAX_KEPT` writes already wait.
        """
        with self._lock:
            if setting in self._results:
                preview = self._results.pop(setting)
                self._results[setting] = preview  # now the most recently asked for
                return preview
            if self._closed:
                raise Superseded("the preview is stopping")
            job = self._jobs.get(setting)
            if job is not None and job.cancel.is_set():
                job = None  # given up already: asked for again, it starts again
            if job is None:
                if keep and sum(j.keep for j in self._pending) >= MAX_KEPT:
                    raise Busy(f"{MAX_KEPT} writes are waiting already")
                if not keep:  # the newest setting wins over those waiting and the one running
                    for old in [j for j in self._pending if not j.keep]:
                        self._cancel(old, "superseded by a newer setting")
                    if self._running is not None and not self._running.keep:
                        self._running.stop("superseded by a newer setting")
                job = self._jobs[setting] = _Job(setting, keep)
                self._pending.append(job)
                if self._worker is None:
                    self._worker = threading.Thread(target=self._work, name="quantize-preview-work", daemon=True)
                    self._worker.start()
                self._wake.notify()
            job.keep |= keep
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.preview

    def close(self):
        """Cancel what waits and what runs; the worker stops at the computation's next step."""
        with self._lock:
            self._closed = True
            for job in list(self._pending):
                self._cancel(job, "the preview is stopping")
            if self._running is not None:
                self._running.stop("the preview is stopping")
            self._wake.notify_all()

    def _cancel(self, job, why):
        self._pending.remove(job)
        self._jobs.pop(job.setting, None)
        job.error = Superseded(why)
        job.done.set()

    def _work(self):
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                job = self._running = self._pending.pop(0)
            try:
                with cancellable(job.cancel):
                    job.preview = self._compute(job.setting)
            except Cancelled:
                job.error = Superseded(job.why)
            except Exception as e:  # given to every request that waits for it
                job.error = e
            with self._lock:
                self._running = None
                if self._jobs.get(job.setting) is job:
                    del self._jobs[job.setting]
                if job.preview is not None:
                    self._keep(job.setting, job.preview)
            job.done.set()

    def _keep(self, setting, preview):
        self._results[setting] = preview
        while len(self._results) > 1 and (
            len(self._results) > CACHE_SIZE or sum(p.nbytes for p in self._results.values()) > CACHE_BYTES
        ):
            del self._results[next(iter(self._results))]

    def _compute(self, setting):
        result = quantize_image(self.loaded, **setting.options())
        # The formats on the threads at once (Pillow's encoders release the GIL: WebP's,
        # the slowest, sets the pace); a moved slider stops those not yet started.
        files = dict(zip(FORMATS, thread_map(lambda image_format: encode(result, image_format), FORMATS)))
        encoded = files["PNG"]
        labels = result.labels
        counts = np.bincount(labels[labels >= 0].ravel(), minlength=len(result.palette))
        shares = counts / max(counts.sum(), 1)
        order = np.argsort(-shares, kind="stable")
        palette = result.palette[:, :3].astype(np.uint8)
        names = color_names(palette, distinct=True)
        report = encoded.report
        figures = {
            "k": setting.k,
            "colors_used": report.colors_used,
            "psnr": None if not np.isfinite(report.psnr) else round(report.psnr, 2),
            "delta_e": None if report.delta_e is None else round(report.delta_e, 3),
            "input_bytes": report.input_bytes,
            "formats": [self._format(setting, image_format, len(file.data)) for image_format, file in files.items()],
            "palette": [
                {"hex": hex_code(palette[i]), "share": round(float(shares[i]), 4), "name": names[i]} for i in order
            ],
        }
        check()
        return Preview(_png(result.image), {f: file.data for f, file in files.items()}, figures)

    def _format(self, setting, image_format, size):
        """A format's figures: its size, and where compress writes it and how."""
        output = self.output_for(setting, image_format) if self.path else None
        return {
            "format": image_format,
            "bytes": size,
            "output": None if output is None else str(output),
            "command": None if output is None else setting.command(self.path, output),
        }

    def write(self, setting, image_format="PNG"):
        """Write the setting's file in ``image_format`` where compress would, never over
        an existing file; the path written (OutputError if it exists)."""
        if self.path is None:
            raise OutputError("an image read from a stream has no place to write beside it")
        image_format = check_choice(image_format.upper(), "format", tuple(FORMATS))
        output = self.output_for(setting, image_format)
        data = self.result(setting, keep=True).files[image_format]
        atomic_write(output, lambda handle: handle.write(data), overwrite=False, protect=self.path)
        return output


def _png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
