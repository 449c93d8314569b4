"""Progress on stderr for the long runs: files of a batch, k fitted by suggest-k, frames
of an animation, fits of a quality search, the steps of one big image.

A bar is drawn only when stderr is a terminal (and neither -q nor --json), from
:data:`DELAY` seconds after its start, so short runs stay quiet and a long one shows
within a second even while its first step is still running: a thread redraws the
clock every :data:`TICK` seconds.  Each bar names the step in hand; its width is fixed
at its first draw (as wide as the terminal, at most :data:`MAX_WIDTH`), so nothing
shifts when a field fills in.  The time left appears only once a step has been
measured, and it is the estimate made when the last step ended: it never counts down
while nothing moves.  The line is erased when the bar closes, the report follows.
"""

import contextlib
import math
import os
import shutil
import sys
import threading
import time

from .app import verbosity

#: Seconds a run must last before its bar appears.
DELAY = 0.5
#: Seconds between redraws of the clock.
TICK = 0.25
#: Widest bar, in columns.
MAX_WIDTH = 100
#: Terminal width below which a bar drops its extras (failures) and time left.
NARROW = 60
_LEFT = "~99:59 left"  # the widest time left shown, for its field's width
_COUNTS = len("999/999")  # columns kept for the counts (more take from the bar)


def wanted(*, as_json=False):
    """Whether a bar may be drawn: stderr is a terminal, and neither -q nor --json."""
    return verbosity() >= 0 and not as_json and sys.stderr.isatty()


def _clock(seconds, *, up=False):
    """m:ss (h:mm:ss past an hour); ``up`` rounds up (a time left is never 0:00)."""
    minutes, seconds = divmod(math.ceil(seconds) if up else int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class _Bar:
    """One progress line: ``label [####----] done/total elapsed ~left extras``.

    Parameters
    ----------
    enabled : bool
    labels : sequence of str
        The names the label takes (its field is as wide as the longest).
    delay : float
        Seconds before the first draw.
    eta : bool
        Whether to estimate the time left (not for steps of unequal length).
    extras_width : int
        Columns kept for :meth:`extras` (0: none).
    """

    def __init__(self, enabled, labels, *, delay=DELAY, eta=True, extras_width=0):
        self.label = labels[0]
        self._label_width = max(map(len, labels))
        self._eta, self._extras_width = eta, extras_width
        self.delay = delay
        self.start = self._started = time.perf_counter()
        self.done, self.total = 0, None
        self._left = None  # seconds left, as estimated when the last step ended
        self._width = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # The terminal as it is now: decoders send file descriptor 2 elsewhere while
        # they run (their C libraries' messages become notes).
        self._file = os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding="utf-8") if enabled else None
        if self._file is not None:
            self._ticker = threading.Thread(target=self._tick, name="quantize-progress", daemon=True)
            self._ticker.start()

    def extras(self):
        """Text after the time, at most ``extras_width`` columns."""
        return ""

    def update(self, done, total, label=None):
        """``done`` of ``total`` steps are finished; ``label`` names the step now in hand."""
        with self._lock:
            now = time.perf_counter()
            if done == 0:  # the counted work starts now (what came before is not its pace)
                self._started, self._left = now, None
            elif done >= total:
                self._left = None
            elif self._eta and done != self.done:
                self._left = (now - self._started) * (total - done) / done
            self.done, self.total = done, total
            if label is not None:
                self.label = label
            self._draw(now)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Stop the clock and erase the line (when one was drawn)."""
        self._stop.set()
        with self._lock:
            if self._file is None:
                return
            with contextlib.suppress(OSError, ValueError):  # a terminal that went away
                if self._width is not None:
                    self._file.write("\r" + " " * self._width + "\r")
                    self._file.flush()
                self._file.close()
            self._file = None

    def _tick(self):
        while not self._stop.wait(TICK):
            with self._lock:
                self._draw(time.perf_counter())

    def _columns(self):
        try:
            return os.get_terminal_size(self._file.fileno()).columns
        except OSError:
            return shutil.get_terminal_size().columns

    def _draw(self, now):
        if self._file is None or now - self.start < self.delay:
            return
        if self._width is None:  # fixed at the first draw
            self._width = min(self._columns(), MAX_WIDTH) - 1  # the last column wraps on some terminals
        narrow = self._width + 1 < NARROW
        counts = f"{self.done}/{self.total}" if self.total else ""
        tail = [counts.rjust(_COUNTS), f"{_clock(now - self.start):>7}"]
        if self._eta and not narrow:
            left = "" if self._left is None else f"~{_clock(self._left, up=True)} left"
            tail.append(f"{left:<{len(_LEFT)}}")
        if self._extras_width and not narrow:
            tail.append(self.extras()[: self._extras_width].ljust(self._extras_width))
        tail = " ".join(tail)
        cells = max(self._width - self._label_width - len(tail) - 4, 4)  # wider counts take from the bar
        filled = cells * self.done // self.total if self.total else 0
        line = f"{self.label:<{self._label_width}} [{'#' * filled}{'-' * (cells - filled)}] {tail}"
        try:
            self._file.write("\r" + line[: self._width].ljust(self._width))
            self._file.flush()
        except (OSError, ValueError):  # the terminal went away: the work goes on without a bar
            self._file = None


class ProgressBar(_Bar):
    """Files done / total, failures and time left, for ``quantize batch``; called as
    ``progress(outcome, finished, total)`` at the start (``outcome`` None) and after
    each file."""

    def __init__(self, enabled):
        super().__init__(enabled, ["finding files", "files"], extras_width=len("9999 failed"))
        self.failed = 0

    def extras(self):
        return f"{self.failed} failed" if self.failed else ""

    def __call__(self, outcome, finished, total):
        self.failed += outcome is not None and outcome.status == "failed"
        self.update(finished, total, "files")


class FrameProgress(_Bar):
    """Frames of an animation: the palette's pass over them, then their mapping."""

    def __init__(self, enabled):
        super().__init__(enabled, ["frames: fit", "frames: map"])

    def __call__(self, done, total):
        self.update(done, total, "frames: fit" if 2 * done < total else "frames: map")


class FitProgress(_Bar):
    """Palettes fitted / most to fit while a quality target is searched for."""

    def __init__(self, enabled):
        super().__init__(enabled, ["quality search: fits"])

    def __call__(self, done, total):
        self.update(done, total)


class StepProgress(_Bar):
    """The named steps of one long job (reading a big image, quantising, encoding it;
    starting the preview); the label is the step in hand.  Steps differ in length, so
    there is no time left, only the clock."""

    def __init__(self, enabled, steps):
        self.steps = list(steps)
        super().__init__(enabled, self.steps, eta=False)

    def __call__(self, done, total):
        self.update(done, total, self.steps[min(done, len(self.steps) - 1)])


class KProgress(_Bar):
    """Reading the image, then k fitted while suggest-k runs."""

    def __init__(self, enabled):
        super().__init__(enabled, ["read", "fitting k"])

    def __call__(self, done, total):
        self.update(done, total, "fitting k")


class TileProgress(_Bar):
    """Tiles of an image larger than memory, pass by pass (compress: counted for its
    histogram, then mapped and written); the time left is each pass's own."""

    def __init__(self, enabled, steps=("count", "map")):
        super().__init__(enabled, [f"tiles: {step}" for step in steps])
        self._step = steps[0]

    def __call__(self, step, done, total):
        if step != self._step:  # a new pass: its pace is its own
            self._step = step
            self.update(0, total, f"tiles: {step}")
        self.update(done, total, f"tiles: {step}")
