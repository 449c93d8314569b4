"""What the adversarial audit of issue 13 found, kept fixed: nothing the user supplied is
overwritten, bad input gets one line and the documented exit code, a full disk and
stop signals leave a record that matches the disk and no stray process."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from quantize.cli import main

from .conftest import IMAGES, disk_full_after, sha256


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def work(tmp_path):
    """chelsea.png, a palette file and a folder of two photos."""
    photo = tmp_path / "chelsea.png"
    photo.write_bytes((IMAGES / "chelsea.png").read_bytes())
    (tmp_path / "p.json").write_text("[[0, 0, 0], [255, 255, 255], [200, 30, 40]]")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        (folder / name).write_bytes((IMAGES / "chelsea.png").read_bytes())
    return tmp_path


def _snapshot(root):
    return {p.relative_to(root).as_posix(): sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _one_error_line(result, *needles):
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("quantize: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


# --- outputs never replace what a command reads --------------------------------------


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize(
    "args, message",
    [
        (["compress", "{w}/chelsea.png", "-o", "{w}/chelsea.png"], "the output would overwrite the input image"),
        (
            ["compress", "{w}/chelsea.png", "--palette", "{w}/p.json", "-o", "{w}/p.json"],
            "the output would overwrite the palette file",
        ),
        (
            ["compress", "{w}/chelsea.png", "-o", "{w}/out.png", "--save-palette", "{w}/out.png"],
            "the --save-palette file is also the output: two outputs cannot share a path",
        ),
        (
            [
                "compress",
                "{w}/chelsea.png",
                "-o",
                "{w}/out.webp",
                "--format",
                "smallest",
                "--save-palette",
                "{w}/out.png",
            ],
            "the --save-palette file is also the output: two outputs cannot share a path",
        ),
        (
            ["compress", "{w}/chelsea.png", "-o", "{w}/out.png", "--save-palette", "{w}/chelsea.png"],
            "the --save-palette file would overwrite the input image",
        ),
        (
            ["apply", "{w}/chelsea.png", "--palette", "{w}/p.json", "-o", "{w}/p.json"],
            "the output would overwrite the palette file",
        ),
        (
            ["apply", "{w}/chelsea.png", "--palette", "{w}/p.json", "-o", "{w}/chelsea.png"],
            "the output would overwrite the input image",
        ),
        (["suggest-k", "{w}/chelsea.png", "--plot", "{w}/chelsea.png"], "would overwrite the input image"),
        (["palette", "{w}/chelsea.png", "-o", "{w}/chelsea.png"], "the output would overwrite the input image"),
        (["segment", "{w}/in/a.png", "-o", "{w}/in", "-k", "2"], None),
        (
            ["batch", "{w}/in", "-o", "{w}/out", "--report", "{w}/in/a.png"],
            "the HTML report would replace a file of the input folder",
        ),
        (
            ["batch", "{w}/in", "-o", "{w}/out", "--report", "{w}/out/a.png"],
            "the HTML report would overwrite an output image",
        ),
        (["batch", "{w}/in", "-o", "{w}/out", "--report", "{w}/out/manifest.json"], "two outputs cannot share a path"),
    ],
)
def test_no_output_replaces_a_file_that_is_read(work, args, message, force):
    if args[0] == "segment":  # an input named like one of segment's outputs
        (work / "in" / "labels.png").write_bytes((work / "in" / "a.png").read_bytes())
        args = ["segment", "{w}/in/labels.png", "-o", "{w}/in", "-k", "2"]
        message = "would overwrite the input image"
    before = _snapshot(work)
    result = run(*[a.format(w=work) for a in args], *force)
    assert result.exit_code == 1, result.output
    _one_error_line(result, message)
    assert _snapshot(work) == before  # nothing changed, nothing written
    assert not (work / "out").exists()


def test_a_symbolic_link_to_the_input_is_the_input(work):
    (work / "link.png").symlink_to(work / "chelsea.png")
    result = run("compress", work / "chelsea.png", "-o", work / "link.png", "--force")
    assert result.exit_code == 1
    _one_error_line(result, "would overwrite the input image")
    assert sha256(work / "chelsea.png") == sha256(IMAGES / "chelsea.png")


@pytest.mark.parametrize(
    "command", [["compress"], ["segment"], ["apply", "--palette", "p.json"], ["palette"], ["suggest-k"]]
)
@pytest.mark.parametrize("target", [".", "/"])
def test_a_folder_as_input(work, command, target, monkeypatch):
    monkeypatch.chdir(work)
    result = run(command[0], target, *command[1:])
    assert result.exit_code == 1
    _one_error_line(result, f"{target}: is a folder, not an image file")


@pytest.mark.parametrize(
    "args",
    [
        ["compress", "{w}/chelsea.png", "-o", "{w}/in"],
        ["apply", "{w}/chelsea.png", "--palette", "{w}/p.json", "-o", "{w}/in"],
        ["palette", "{w}/chelsea.png", "-o", "{w}/in"],
        ["segment", "{w}/chelsea.png", "-o", "{w}/p.json"],
    ],
)
def test_an_output_that_is_a_folder_or_a_file_exits_1(work, args):
    result = run(*[a.format(w=work) for a in args])
    assert result.exit_code == 1, result.output
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["compress", "{w}/chelsea.png", "--quality", "nan"],
        ["compress", "{w}/chelsea.png", "--max-delta-e", "inf"],
        ["compress", "{w}/chelsea.png", "--dither-strength", "inf"],
        ["apply", "{w}/chelsea.png", "--palette", "{w}/p.json", "--dither-strength", "nan"],
        ["batch", "{w}/in", "--quality", "-inf"],
    ],
)
def test_non_finite_options_are_usage_errors(work, args):
    result = run(*[a.format(w=work) for a in args])
    assert result.exit_code == 2
    assert "is not a finite number" in result.stderr or "not in the range" in result.stderr


@pytest.mark.parametrize("suffix", [".gif", ".jpg", ".bmp"])
def test_formats_without_alpha_name_the_output(work, suffix):
    rgba = work / "rgba.png"
    Image.open(IMAGES / "rocket-vignette.png").save(rgba)
    out = work / f"out{suffix}"
    result = run("compress", rgba, "-o", out)
    assert result.exit_code == 1
    _one_error_line(result, f"{out}: ", "transparency")
    assert not out.exists()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: os.mkfifo(p), "is a FIFO (named pipe), not a regular file"),
        (lambda p: p.symlink_to("/dev/zero"), "is a device, not a regular file"),
        (lambda p: p.symlink_to(p), "symbolic link loop"),
    ],
)
@pytest.mark.parametrize("role", ["image", "palette"])
def test_special_files_are_refused_not_read(work, make, message, role):
    special = work / ("special.png" if role == "image" else "special.json")
    make(special)
    if role == "image":
        result = run("compress", special)
    else:
        result = run("apply", work / "chelsea.png", "--palette", special)
    assert result.exit_code == 1
    _one_error_line(result, f"{special}: {message}")


# --- a full disk ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, written",
    [
        (["compress", "{w}/chelsea.png", "-o", "{w}/o/out.png"], "out.png"),
        (["compress", "{w}/chelsea.png", "-o", "{w}/o/out.png", "--save-palette", "{w}/o/p.gpl"], "out.png"),
        (["apply", "{w}/chelsea.png", "--palette", "{w}/p.json", "-o", "{w}/o/out.png"], "out.png"),
        (["palette", "{w}/chelsea.png", "-o", "{w}/o/p.json"], "p.json"),
        (["segment", "{w}/chelsea.png", "-k", "2", "-o", "{w}/o/seg"], None),
    ],
)
def test_a_full_disk_is_one_line_and_leaves_nothing(work, monkeypatch, args, written):
    (work / "o").mkdir()
    disk_full_after(monkeypatch, 0)
    result = run(*[a.format(w=work) for a in args])
    assert result.exit_code == 1
    _one_error_line(result, "cannot write: no space left on device")
    assert list((work / "o").iterdir()) == []  # no output, no .part, no empty folder


def test_palette_written_after_the_image_fails_takes_the_image_away(work, monkeypatch):
    disk_full_after(monkeypatch, 1)  # the image is written, the palette is not
    result = run("compress", work / "chelsea.png", "-o", work / "out.png", "--save-palette", work / "p.gpl")
    assert result.exit_code == 1
    _one_error_line(result, "p.gpl: cannot write: no space left on device")
    assert not (work / "out.png").exists() and not (work / "p.gpl").exists()


def test_batch_on_a_full_disk_records_every_failure(work, monkeypatch):
    disk_full_after(monkeypatch, 0)
    result = run("batch", work / "in", "-o", work / "out", "--jobs", 1)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all("cannot write: no space left on device" in line for line in lines)
    assert "manifest.json" in lines[0] and "manifest.csv" in lines[1]
    assert "0 done, 0 skipped, 2 failed" in result.stdout
    assert result.stdout.count("no space left on device") == 2  # each file's reason
    assert [p.name for p in (work / "out").iterdir()] == []


# --- batch: resumed manifests, odd entries, leftovers ---------------------------------


def test_resumed_manifest_keeps_the_first_runs_reports(work):
    first = run("batch", work / "in", "-o", work / "out", "--jobs", 1)
    assert first.exit_code == 0
    before = json.loads((work / "out" / "manifest.json").read_text())
    second = run("batch", work / "in", "-o", work / "out", "--jobs", 1, "--skip-existing")
    assert second.exit_code == 0
    after = json.loads((work / "out" / "manifest.json").read_text())
    assert [f["status"] for f in after["files"]] == ["skipped", "skipped"]
    assert [f["report"] for f in after["files"]] == [f["report"] for f in before["files"]]
    assert all(f["report"]["psnr"] > 20 for f in after["files"])


def test_a_foreign_manifest_is_not_replaced(work):
    (work / "out").mkdir()
    (work / "out" / "manifest.json").write_text('{"mine": true}')
    result = run("batch", work / "in", "-o", work / "out", "--jobs", 1)
    assert result.exit_code == 1
    _one_error_line(result, "manifest.json: exists and is not a quantize batch manifest")
    assert (work / "out" / "manifest.json").read_text() == '{"mine": true}'


def test_a_foreign_manifest_csv_is_not_replaced_without_force(work):
    (work / "out").mkdir()
    (work / "out" / "manifest.csv").write_text("sku,price\n1,2\n")
    result = run("batch", work / "in", "-o", work / "out", "--jobs", 1)
    assert result.exit_code == 1
    _one_error_line(result, "manifest.csv: exists without a manifest.json beside it")
    assert sorted(p.name for p in (work / "out").iterdir()) == ["manifest.csv"]
    assert (work / "out" / "manifest.csv").read_text() == "sku,price\n1,2\n"
    forced = run("batch", work / "in", "-o", work / "out", "--jobs", 1, "--force")
    assert forced.exit_code == 0 and (work / "out" / "manifest.csv").read_text().startswith("input,")


def test_batch_records_fifos_and_link_loops_as_skipped(work):
    os.mkfifo(work / "in" / "pipe.png")
    (work / "in" / "loop.png").symlink_to(work / "in" / "loop.png")
    result = run("batch", work / "in", "-o", work / "out", "--jobs", 1, "--json")
    assert result.exit_code == 0
    files = {Path(f["input"]).name: f for f in json.loads(result.stdout)["files"]}
    assert files["pipe.png"]["status"] == "skipped"
    assert files["pipe.png"]["reason"] == "is a FIFO (named pipe), not a regular file"
    assert files["loop.png"]["status"] == "skipped" and files["loop.png"]["reason"] == "symbolic link loop"
    assert files["a.png"]["status"] == files["b.png"]["status"] == "done"


def test_leftover_part_files_are_reported_not_read(work):
    (work / "out").mkdir()
    stale = work / "out" / ".a.png.x1y2z3.part"
    stale.write_bytes(b"half a file")
    (work / "in" / ".b.png.abc.part").write_bytes((IMAGES / "chelsea.png").read_bytes())
    result = run("batch", work / "in", "-o", work / "out", "--jobs", 1, "--json")
    manifest = json.loads(result.stdout)
    assert manifest["totals"]["files"] == 2  # the .part in the input is not an input
    assert manifest["leftover_parts"] == [str(stale)]
    assert stale.exists()
    text = run("batch", work / "in", "-o", work / "out", "--jobs", 1, "--force")
    assert "1 temporary .part file(s) of an earlier, killed run" in text.stdout


# --- stop signals on a real batch with worker processes -------------------------------


def _ours(marker):
    """PIDs of live processes whose environment carries ``marker`` (the batch, its
    workers, multiprocessing's resource tracker)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                status = (entry / "stat").read_text().split()[2]
                if status != "Z":
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _start_batch(work, count=8):
    folder = work / "many"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    marker = f"QUANTIZE_TEST_{uuid.uuid4().hex}"
    env = {**os.environ, marker: "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quantize",
            "batch",
            str(folder),
            "-o",
            str(work / "out"),
            "--jobs",
            "2",
            "-k",
            "64",
            "--effort",
            "thorough",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(_ours(marker)) < 3 and time.monotonic() < deadline:  # parent and both workers
        time.sleep(0.05)
    return process, marker


def _wait_gone(marker, seconds=15):
    deadline = time.monotonic() + seconds
    while _ours(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _ours(marker)


linux_only = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")


@pytest.mark.slow
@linux_only
@pytest.mark.parametrize(
    "signum, code, word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_a_stop_signal_finishes_the_record(tmp_path, signum, code, word):
    process, marker = _start_batch(tmp_path)
    time.sleep(0.3)  # workers still starting: a Ctrl-C here must not reach them
    os.killpg(process.pid, signum) if signum == signal.SIGINT else process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    assert "Traceback" not in err.decode()
    assert [line for line in err.decode().splitlines() if line.strip()] == [
        f"quantize: {word}: finished files are kept; re-run with --skip-existing to resume"
    ]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["totals"]["interrupted"] and manifest["totals"]["terminated"] == (signum == signal.SIGTERM)
    assert not any("died" in (f["reason"] or "") for f in manifest["files"])
    done = {Path(f["output"]).name for f in manifest["files"] if f["status"] == "done"}
    assert {p.name for p in (tmp_path / "out").glob("*.png")} == done  # the record matches the disk
    assert not list((tmp_path / "out").glob(".*.part"))
    assert _wait_gone(marker) == []


@pytest.mark.slow
@linux_only
def test_sigkill_of_the_parent_leaves_no_process(tmp_path):
    process, marker = _start_batch(tmp_path)
    time.sleep(1.0)
    process.kill()
    _, err = process.communicate(timeout=30)
    assert _wait_gone(marker) == []  # workers and the resource tracker notice and go
    assert err == b""
    out = tmp_path / "out"
    assert (list(out.glob(".*.part")) if out.is_dir() else []) == []  # files in hand were dropped cleanly


def test_errors_of_the_input_name_it(work):
    flat = work / "flat.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(flat)
    result = run("suggest-k", flat, "--k-max", 4)
    assert result.exit_code == 1
    _one_error_line(result, f"{flat}: the image has 1 distinct colours")
