"""Each progress bar drawn in a pseudo-terminal: shown within a second while its first
step still runs, named for the step in hand, one width from its first draw, a time
left only once a step was measured and never counting down between steps, erased at
the end.  (The commands' own bars: tests/cli/test_batch.py, test_compress.py and
test_compress_animation.py.)"""

import re
import sys

import pytest

from .helpers import in_a_terminal

# Each driver makes a bar and moves it through its steps; STEP (0.8 s) is longer than
# the delay before the first draw, so the bar shows while the first step runs.
_PRELUDE = (
    "import time\n"
    "from types import SimpleNamespace as Outcome\n"
    "from quantize.cli.progress import *\n"
    "def step(): time.sleep(0.8)\n"
)
DRIVERS = {
    "batch": (
        "bar = ProgressBar(True); step(); bar(None, 0, 3); step(); bar(Outcome(status='done'), 1, 3); step()\n"
        "bar(Outcome(status='failed'), 2, 3); step(); bar(Outcome(status='done'), 3, 3); bar.close()",
        {0: ("finding files", "files"), 1: "files", 2: "files", 3: "files"},
        True,
    ),
    "frames": (
        "bar = FrameProgress(True); step(); bar(1, 4); step(); bar(2, 4); step(); bar(3, 4); step(); bar(4, 4)\n"
        "bar.close()",
        {0: "frames: fit", 1: "frames: fit", 2: "frames: map", 3: "frames: map", 4: "frames: map"},
        True,
    ),
    "fits": (
        "bar = FitProgress(True); step(); bar(1, 3); step(); bar(2, 3); step(); bar(3, 3); bar.close()",
        {0: "quality search: fits", 1: "quality search: fits", 2: "quality search: fits", 3: "quality search: fits"},
        True,
    ),
    "steps": (
        "bar = StepProgress(True, ['read', 'quantise', 'encode']); step(); bar(1, 3); step(); bar(2, 3); step()\n"
        "bar(3, 3); bar.close()",
        {0: "read", 1: "quantise", 2: "encode", 3: "encode"},
        False,
    ),
    "tiles": (
        "bar = TileProgress(True); step(); bar('count', 1, 3); step(); bar('count', 3, 3); step()\n"
        "bar('map', 1, 2); step(); bar('map', 2, 2); bar.close()",
        {0: ("tiles: count", "tiles: map"), 1: ("tiles: count", "tiles: map"), 2: "tiles: map", 3: "tiles: count"},
        True,
    ),
    "k": (
        "bar = KProgress(True); step(); bar(0, 4); step(); bar(1, 4); step(); bar(2, 4); step()\n"
        "bar(4, 4); bar.close()",
        {0: ("read", "fitting k"), 1: "fitting k", 2: "fitting k", 4: "fitting k"},
        True,
    ),
}


def _frames(name, columns, tmp_path):
    code, _, _ = DRIVERS[name]
    text = in_a_terminal([sys.executable, "-c", _PRELUDE + code], columns, tmp_path)
    assert "Traceback" not in text, text
    return [piece for piece in re.split(r"[\r\n]", text) if piece]


def _done(frame):
    found = re.search(r"\] +(\d+)/\d+", frame)
    return int(found.group(1)) if found else 0


def _total(frame):
    found = re.search(r"\] +\d+/(\d+)", frame)
    return int(found.group(1)) if found else 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_bar_in_a_terminal(name, tmp_path):
    _, labels, eta = DRIVERS[name]
    frames = _frames(name, 80, tmp_path)
    drawn = [frame for frame in frames if frame.strip()]
    assert _done(drawn[0]) == 0, drawn  # drawn while the first step runs
    assert {len(frame) for frame in drawn} == {79}  # as wide as the terminal leaves, from the first draw
    for frame in drawn:
        assert frame.startswith(labels[_done(frame)]), frame  # the step in hand
    clocks = {re.search(r"\d+:\d\d", frame.split("]")[1]).group() for frame in drawn}
    assert {"0:00", "0:01", "0:02"} <= clocks  # the clock moves while a step runs
    lefts = [(_done(frame), re.search(r"~\S+ left|$", frame).group()) for frame in drawn]
    for frame, (done, left) in zip(drawn, lefts):
        assert bool(left) == (eta and 0 < done < _total(frame)), (done, left)  # measured, and not at the end
    for (done, left), (done_next, left_next) in zip(lefts, lefts[1:]):
        if done == done_next:
            assert left == left_next  # never counting down while nothing moves
    assert not frames[-1].strip()  # erased: what follows starts on a clean line


@pytest.mark.slow
def test_a_narrow_terminal_keeps_one_width_without_the_extras(tmp_path):
    drawn = [frame for frame in _frames("batch", 40, tmp_path) if frame.strip()]
    assert {len(frame) for frame in drawn} == {39}
    assert not any("left" in frame or "failed" in frame for frame in drawn)


@pytest.mark.slow
def test_failures_show_once_there_are_some(tmp_path):
    drawn = [frame for frame in _frames("batch", 100, tmp_path) if frame.strip()]
    assert not any("failed" in frame for frame in drawn if _done(frame) < 2)
    assert "1 failed" in drawn[-1]


def test_a_quick_run_draws_nothing(tmp_path):
    code = _PRELUDE + "bar = StepProgress(True, ['a', 'b']); bar(1, 2); bar.close()"
    assert in_a_terminal([sys.executable, "-c", code], 80, tmp_path) == ""


def test_a_disabled_bar_draws_nothing(capfd):
    from quantize.cli.progress import FitProgress

    bar = FitProgress(False)
    bar(1, 2)
    bar.close()
    assert capfd.readouterr().err == ""


def test_a_terminal_that_goes_away_stops_the_bar_not_the_work(tmp_path):
    code = (
        _PRELUDE + "import os, sys\n"
        "bar = StepProgress(True, ['a', 'b']); time.sleep(0.7)\n"
        "os.close(bar._file.fileno())  # the terminal is gone (EBADF on the next draw)\n"
        "time.sleep(0.6); bar(1, 2); bar.close(); print('work done', file=sys.stdout)\n"
    )
    text = in_a_terminal([sys.executable, "-c", code], 80, tmp_path)
    assert "work done" in text and "Traceback" not in text and "Exception" not in text
