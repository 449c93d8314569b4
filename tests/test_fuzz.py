"""Mutated files of every supported format through the real CLI (tests/fuzzing.py):
no traceback, only our lines on stderr (file descriptor 2 included), exit 0 or our
error code, nothing left by a failed run, the input unchanged.  bench/fuzz.py runs
the same cases by the thousand."""

import pytest

from .fuzzing import cases, run_case, seeds

N_CASES = 768


def test_seeds_cover_every_format():
    names = {name.rsplit(".", 1)[1] for name, _ in seeds()}
    assert names == {"png", "jpg", "gif", "tif", "webp", "bmp"}


def test_fuzzed_files_through_the_cli(tmp_path):
    failures = []
    for name, description, data, command in cases(N_CASES, seed=1):
        path = tmp_path / name
        path.write_bytes(data)
        problems = run_case(path, command, tmp_path, timeout=60)
        if problems:
            failures.append(f"{name} ({description}): {problems}")
        path.unlink()
    assert failures == []


def test_the_harness_catches_a_stray_line(tmp_path, monkeypatch):
    """A checker that cannot fail is no checker: a warning printed on stderr, a
    traceback, and a changed input are each reported."""
    import os

    import quantize.files.read as qio

    name, data = seeds()[0]
    path = tmp_path / name
    path.write_bytes(data)
    real = qio.load_image

    def noisy(*args, **kwargs):
        os.write(2, b"libfoo: something odd\n")
        return real(*args, **kwargs)

    monkeypatch.setattr("quantize.cli.compress.load_image", noisy)
    assert any("stray stderr line: libfoo" in p for p in run_case(path, 0, tmp_path))

    def broken(*args, **kwargs):
        raise TypeError("boom")

    monkeypatch.setattr("quantize.cli.compress.load_image", broken)
    assert any("traceback: TypeError: boom" in p for p in run_case(path, 0, tmp_path))


@pytest.mark.parametrize("n", [64])
def test_cases_are_deterministic(n):
    assert [c[2] for c in cases(n, seed=3)] == [c[2] for c in cases(n, seed=3)]
