"""Mutated files of every supported format through the real CLI (tests/fuzzing.py):
no traceback, only our lines on stderr (file descriptor 2 included), exit 0 or our
error code, nothing left by a failed run, the input unchanged.  bench/fuzz.py runs
the same cases by the thousand."""

import numpy as np
import pytest

from .fuzzing import cases, run_case, seeds

N_CASES = 768


def test_seeds_cover_every_format():
    names = {name.rsplit(".", 1)[1] for name, _ in seeds()}
    assert names == {"png", "jpg", "gif", "tif", "webp", "bmp"}


@pytest.mark.slow
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

    monkeypatch.setattr("quantize.cli.compress_run.load_image", noisy)
    assert any("stray stderr line: libfoo" in p for p in run_case(path, 0, tmp_path))

    def broken(*args, **kwargs):
        raise TypeError("boom")

    monkeypatch.setattr("quantize.cli.compress_run.load_image", broken)
    assert any("traceback: TypeError: boom" in p for p in run_case(path, 0, tmp_path))


@pytest.mark.parametrize("n", [64])
def test_cases_are_deterministic(n):
    assert [c[2] for c in cases(n, seed=3)] == [c[2] for c in cases(n, seed=3)]


# -- the surfaces of audit 2: animations, stdin, the preview server, object keys ------

N_SURFACE_CASES = 48


def test_hostile_animations_through_the_cli(tmp_path):
    from .fuzz_surfaces import ANIMATION_COMMANDS, animation_case

    rng = np.random.default_rng(11)
    failures = []
    for index in range(N_SURFACE_CASES):
        name, description, data = animation_case(rng)
        path = tmp_path / name
        path.write_bytes(data)
        problems = run_case(path, ANIMATION_COMMANDS[index % len(ANIMATION_COMMANDS)], tmp_path, timeout=60)
        if problems:
            failures.append(f"{index} ({description}): {problems}")
    assert failures == []


@pytest.mark.slow
def test_streams_on_stdin(tmp_path):
    from .fuzz_surfaces import stdin_case

    rng = np.random.default_rng(12)
    failures = []
    for index in range(N_SURFACE_CASES):
        description, data, command = stdin_case(rng, index)
        problems = run_case("-", command, tmp_path, timeout=60, stdin=data)
        if problems:
            failures.append(f"{index} ({description}): {problems}")
    assert failures == []


@pytest.mark.slow
def test_requests_to_the_preview_server(tmp_path):
    from .fuzz_surfaces import preview_request, preview_server, run_preview_case

    rng = np.random.default_rng(13)
    failures = []
    with preview_server(tmp_path) as server:
        for index in range(4 * N_SURFACE_CASES):
            description, request = preview_request(rng, server)
            problems = run_preview_case(server, request)
            if problems:
                failures.append(f"{index} ({description}): {problems}")
    assert failures == []


def test_object_keys_of_a_folder_on_a_store(tmp_path):
    pytest.importorskip("fsspec", reason="fsspec is in the test extra")
    from .fuzz_surfaces import key_case, run_key_case

    rng = np.random.default_rng(14)
    failures = []
    for index in range(N_SURFACE_CASES // 2):
        keys = key_case(rng)
        problems = run_key_case(keys, tmp_path)
        if problems:
            failures.append(f"{index} ({keys}): {problems}")
    assert failures == []
