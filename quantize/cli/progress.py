"""Progress on stderr for the long runs (files done in a batch, k fitted by suggest-k,
frames of an animation, fits of a quality search),
drawn by click's progress bar: shown only when stderr is a terminal, and as wide as
the terminal, never wider (the bar shrinks; below :data:`NARROW` columns the extras go).
"""

import os
import shutil
import sys
import time

import click

from .app import verbosity

#: Terminal width below which the bar drops its extras (failures, rate).
NARROW = 60
#: Seconds a run must last before its bar appears (short runs stay quiet).
DELAY = 1.0


def wanted(*, as_json=False):
    """Whether a bar may be drawn: stderr is a terminal, and neither -q nor --json."""
    return verbosity() >= 0 and not as_json and sys.stderr.isatty()


class _Bar:
    """click's progress bar for ``total`` steps on stderr, made on first use."""

    def __init__(self, enabled, label, delay=0.0):
        self.enabled, self.label, self.delay = enabled, label, delay
        self.start = time.perf_counter()
        self._bar = None
        self._closed = False
        # The terminal as it is now: decoders send file descriptor 2 elsewhere while
        # they run (their C libraries' messages become notes), and an animation's
        # frames are decoded while its bar is drawn.
        self._file = os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding="utf-8") if enabled else None

    def _narrow(self):
        return shutil.get_terminal_size().columns < NARROW

    def extras(self):
        """Text after the counts, or None."""
        return None

    def show(self, done, total):
        if self._file is None or (self._bar is None and time.perf_counter() - self.start < self.delay):
            return  # disabled, closed, or not yet
        if self._bar is None:
            # width=0: as wide as the terminal leaves room for; the ETA and counts stay.
            self._bar = click.progressbar(
                length=total,
                label=self.label,
                width=0,
                show_pos=True,
                show_percent=False,
                show_eta=True,
                file=self._file,
                item_show_func=lambda _: None if self._narrow() else self.extras(),
            )
            self._bar.render_progress()
        self._bar.update(done - self._bar.pos, done)
        if done >= total:
            self.close()

    def close(self):
        """End the bar's line (when one was drawn)."""
        if self._bar is not None and not self._closed:  # click's own "finished" is set at the last step
            self._bar.render_finish()
            self._closed = True
        if self._file is not None:
            self._file.close()
            self._file = None


class ProgressBar(_Bar):
    """Files done / total, failures, rate and time left, for ``quantize batch``; called
    as ``progress(outcome, finished, total)`` after each file."""

    def __init__(self, enabled):
        super().__init__(enabled, "files")
        self.failed = 0

    def extras(self):
        rate = self._bar.pos / max(time.perf_counter() - self.start, 1e-9) if self._bar else 0.0
        return f"{self.failed} failed, {rate:.1f}/s"

    def __call__(self, outcome, finished, total):
        self.failed += outcome.status == "failed"
        self.show(finished, total)


class FrameProgress(_Bar):
    """Frames done / to do while an animation is quantised (two passes with a shared
    palette)."""

    def __init__(self, enabled):
        super().__init__(enabled, "frames")

    def __call__(self, done, total):
        self.show(done, total)


class FitProgress(_Bar):
    """Palettes fitted / most to fit while a quality target is searched for (from its
    first second on)."""

    def __init__(self, enabled):
        super().__init__(enabled, "fits", delay=DELAY)

    def __call__(self, done, total):
        self.show(done, total)


class StepProgress(_Bar):
    """Steps done / all steps of one long job (reading a big image, then quantising
    it; starting the preview), from its first second on."""

    def __init__(self, enabled, label="steps"):
        super().__init__(enabled, label, delay=DELAY)

    def __call__(self, done, total):
        self.show(done, total)


class KProgress(_Bar):
    """k fitted / k to fit while suggest-k runs (from its first second on)."""

    def __init__(self, enabled):
        super().__init__(enabled, "fitting k", delay=DELAY)

    def __call__(self, done, total):
        self.show(done, total)
