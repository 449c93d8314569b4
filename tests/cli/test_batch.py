import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ..conftest import IMAGES, sha256
from .helpers import in_a_terminal, listing, run


def test_batch_summary_exit_code_and_outputs(photos, tmp_path):
    before = {p: sha256(p) for p in photos.rglob("*") if p.is_file()}
    result = run("batch", photos, "--recursive", "-k", 8, "--jobs", 1)
    assert result.exit_code == 1  # fake.jpg failed
    out = tmp_path / "photos-quantized"
    assert listing(out) == ["cat.png", "manifest.csv", "manifest.json", "sub"]
    assert (out / "sub" / "rocket.png").exists()
    assert result.stdout.splitlines()[0].startswith("3 files in ")
    assert result.stdout.splitlines()[0].endswith(" s: 2 done, 0 skipped, 1 failed")
    assert f"failed: {photos / 'fake.jpg'}: not an image file that Pillow can read" in result.stdout
    assert {p: sha256(p) for p in photos.rglob("*") if p.is_file()} == before
    assert len(Image.open(out / "cat.png").getcolors()) <= 8


def _grows(folder):
    """A JPEG so small that its PNG-8 with 64 dithered colours is larger, and a PNG whose is smaller."""
    folder.mkdir()
    Image.open(IMAGES / "chelsea.png").convert("RGB").save(folder / "tiny.jpg", quality=15)
    Image.open(IMAGES / "chelsea.png").save(folder / "cat.png")
    return folder


def test_batch_names_the_outputs_that_grew_and_where_the_report_is(tmp_path):
    folder = _grows(tmp_path / "in")
    out, page = tmp_path / "out", tmp_path / "r.html"
    result = run("batch", folder, "-o", out, "-k", 64, "--dither", "floyd-steinberg", "--report", page, "--jobs", 1)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("2 done, 0 skipped, 0 failed; 1 output larger than its input")
    assert lines[1].startswith("the 2 written: ") and " kB in, " in lines[1]
    assert f"larger: {folder / 'tiny.jpg'} (" in result.stdout and f"-> {out / 'tiny.png'} (" in result.stdout
    assert "(--skip-if-larger writes only the outputs that are smaller)" in lines
    assert lines[-2:] == [f"report: {page}", f"manifest: {out}/manifest.json"]


def test_batch_skip_if_larger_writes_only_smaller_outputs(tmp_path):
    folder = _grows(tmp_path / "in")
    out = tmp_path / "out"
    args = ["batch", folder, "-o", out, "-k", 64, "--dither", "floyd-steinberg", "--jobs", 1, "--skip-if-larger"]
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    files = {Path(f["input"]).name: f for f in json.loads(result.stdout)["files"]}
    assert files["tiny.jpg"]["status"] == "skipped" and "not smaller than the input's" in files["tiny.jpg"]["reason"]
    assert files["tiny.jpg"]["report"]["output_bytes"] is None and files["cat.png"]["status"] == "done"
    assert listing(out) == ["cat.png", "manifest.csv", "manifest.json"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["skip_if_larger"] is True and manifest["totals"]["skipped"] == 1
    text = run(*args, "--force").stdout.splitlines()
    assert text[0].endswith("1 done, 1 skipped (1 not smaller), 0 failed") and text[1].startswith("the 1 written:")
    (out / "tiny.png").write_bytes(b"an earlier file")  # what is there stays, and the record says so
    again = json.loads(run(*args, "--force", "--json").stdout)["files"]
    assert [
        f["reason"].endswith(f"{out / 'tiny.png'} is an earlier file, left as it was")
        for f in again
        if f["status"] == "skipped"
    ] == [True]
    assert (out / "tiny.png").read_bytes() == b"an earlier file"


def test_batch_json_is_the_manifest_and_all_good_exits_0(photos, tmp_path):
    (photos / "fake.jpg").unlink()
    out = tmp_path / "o"
    result = run("batch", photos, "-o", out, "--json", "--include", "*.png", "--seed", 3, "--jobs", 2)
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest == json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["seed"] == 3 and manifest["parameters"]["jobs"] == 2
    assert [f["input"] for f in manifest["files"]] == [str(photos / "cat.png")]


def test_batch_resume_skip_existing_and_force(photos, tmp_path):
    out = tmp_path / "o"
    run("batch", photos, "-o", out, "--exclude", "fake.jpg", "--jobs", 1)
    stamp = (out / "cat.png").stat().st_mtime_ns
    again = run("batch", photos, "-o", out, "--exclude", "fake.jpg", "--jobs", 1, "--json")
    assert again.exit_code == 1
    assert "file exists" in json.loads(again.stdout)["files"][0]["reason"]
    skipped = run("batch", photos, "-o", out, "--exclude", "fake.jpg", "--skip-existing", "--jobs", 1, "--json")
    assert skipped.exit_code == 0 and json.loads(skipped.stdout)["totals"]["skipped"] == 1
    assert (out / "cat.png").stat().st_mtime_ns == stamp
    forced = run("batch", photos, "-o", out, "--exclude", "fake.jpg", "--force", "--jobs", 1, "--json")
    assert forced.exit_code == 0 and json.loads(forced.stdout)["totals"]["done"] == 1


def test_batch_shared_palette_report_segment_and_suffix(photos, tmp_path):
    out = tmp_path / "o"
    page = tmp_path / "report.html"
    result = run(
        "batch",
        photos,
        "-o",
        out,
        "--recursive",
        "--exclude",
        "fake.jpg",
        "--shared-palette",
        "-k",
        6,
        "--report",
        page,
        "--segment",
        "--segments",
        2,
        "--suffix",
        "-s",
        "--jobs",
        1,
    )
    assert result.exit_code == 0, result.output
    palettes = {tuple(Image.open(p).getpalette()[:18]) for p in (out / "cat-s.png", out / "sub" / "rocket-s.png")}
    assert len(palettes) == 1
    assert (out / "cat-s-segments" / "mask_1.png").exists()
    assert page.read_text().count("data:image/webp;base64,") == 8  # thumbnails and 1:1 crops, before and after
    again = run("batch", photos, "-o", out, "--report", page, "--exclude", "fake.jpg", "--skip-existing")
    assert again.exit_code == 1 and "report.html: file exists" in again.stderr


@pytest.mark.slow
def test_batch_ctrl_c_keeps_finished_files_and_resumes(tmp_path):
    """A real SIGINT to `quantize batch --jobs 2`: exit 130, every file the manifest
    calls done exists and no other output does, no partial file; --skip-existing
    then finishes the rest."""
    folder, out = _rotated_photos(tmp_path / "in", 24, 15), tmp_path / "out"
    command = [sys.executable, "-m", "quantize", "batch", str(folder), "-o", str(out), "--jobs", "2", "-k", "64"]
    process, stdout, stderr, _ = _stop_at_first_output(command, out, "SIGINT")
    assert process.returncode == 130, stdout + stderr
    assert "re-run with --skip-existing to resume" in stderr and "not run (interrupted)" in stdout
    done = _record_matches_disk(out, 24)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    _resume_finishes(command, done, 24)


def _rotated_photos(folder, count, degrees, size=(1280, 854)):
    """``folder`` with ``count`` JPEGs of a photo, each turned by ``degrees`` more."""
    folder.mkdir()
    picture = Image.open(IMAGES / "rocket.jpg").resize(size)
    for i in range(count):
        picture.rotate(i * degrees).save(folder / f"p{i:02d}.jpg", quality=90)
    return folder


def _stop_at_first_output(command, out, signum, wait=90):
    """Run ``command`` and send it ``signum`` once its first output exists: the
    process, its stdout and stderr, and the processes it had started by then."""
    import signal
    import time

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + wait
    while not list(out.glob("*.png")) and time.monotonic() < deadline:
        time.sleep(0.05)
    helpers = _descendants(process.pid)
    process.send_signal(getattr(signal, signum))
    stdout, stderr = process.communicate(timeout=120)
    return process, stdout, stderr, helpers


def _record_matches_disk(out, count):
    """The outputs the manifest calls done: exactly those on disk, some but not all."""
    manifest = json.loads((out / "manifest.json").read_text())
    done = {f["output"] for f in manifest["files"] if f["status"] == "done"}
    assert done == {str(p) for p in out.glob("*.png")} and 0 < len(done) < count
    return done


def _resume_finishes(command, done, count):
    resumed = subprocess.run(command + ["--skip-existing", "--json"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    totals = json.loads(resumed.stdout)["totals"]
    assert (totals["skipped"], totals["done"]) == (len(done), count - len(done))


@pytest.mark.slow
@pytest.mark.parametrize("columns", [40, 60, 100])
def test_progress_bar_fits_the_terminal(tmp_path, columns):
    import re

    folder = _rotated_photos(tmp_path / "in", 8, 40, size=(640, 427))
    text = in_a_terminal(
        [sys.executable, "-m", "quantize", "batch", str(folder), "-o", str(tmp_path / "out"), "--jobs", "1"],
        columns,
        tmp_path,
    )
    text = re.sub(r"\x1b\[\?25[lh]", "", text)  # the bar hides the cursor while it draws
    pieces = [piece for line in text.split("\n") for piece in line.split("\r")]
    bars = [piece for piece in pieces if piece.startswith("files")]
    assert bars and any("8/8" in bar for bar in bars), text
    assert {len(bar) for bar in bars} == {columns - 1}, text  # one width from the first draw, no staircase
    assert any("left" in bar for bar in bars) == (columns >= 60)  # narrow terminals drop the time left
    assert "8 done, 0 skipped, 0 failed" in text


def test_progress_is_silent_off_a_terminal(photos, tmp_path):
    result = run("batch", photos, "-o", tmp_path / "out")
    assert "files" not in result.stderr and "[" not in result.stderr


def test_batch_quality_target_per_image(photos, tmp_path):
    result = run(
        "batch",
        photos,
        "-o",
        tmp_path / "o",
        "--recursive",
        "--quality",
        30,
        "--exclude",
        "fake.jpg",
        "--jobs",
        1,
        "--json",
    )
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert all(f["report"]["psnr"] >= 30 and f["report"]["colors_used"] < 256 for f in files)
    strict = run(
        "batch", photos, "-o", tmp_path / "s", "-k", 4, "--quality", 45, "--exclude", "fake.jpg", "--jobs", 1, "--json"
    )
    assert strict.exit_code == 1
    assert "target not met: 4 colours reach" in json.loads(strict.stdout)["files"][0]["reason"]


def test_batch_scheduler_bad_values_and_missing_package(photos, tmp_path, monkeypatch):
    for value, message in (("local:0", "a local cluster needs at least 1 worker"), ("localx", "must be local")):
        result = run("batch", photos, "-o", tmp_path / "out", "--scheduler", value)
        assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1
    monkeypatch.setitem(sys.modules, "distributed", None)  # dask's distributed not installed
    result = run("batch", photos, "-o", tmp_path / "out", "--scheduler", "local:2")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert 'pip install "quantize-images[dask]"' in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_batch_unreachable_scheduler_is_one_line(photos, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import quantize.batch.cluster as cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    result = run("batch", photos, "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("quantize: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")
    assert not (tmp_path / "out").exists()


def _descendants(pid):
    """Process ids below ``pid``, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _running(pid):
    """Whether ``pid`` is a live process (an exited one that nobody reaped yet, a
    zombie, is not: a container's init may leave those)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_batch_on_a_local_cluster_stops_cleanly(tmp_path, signum, code):
    """A real signal to `quantize batch --scheduler local:2`: the files in the workers'
    hands end, the record matches the disk, no process is left; a resume finishes."""
    pytest.importorskip("distributed")
    import time

    folder, out = _rotated_photos(tmp_path / "in", 16, 20), tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "quantize",
        "batch",
        str(folder),
        "-o",
        str(out),
        "--scheduler",
        "local:2",
        "-k",
        "64",
    ]
    process, stdout, stderr, helpers = _stop_at_first_output(command, out, signum)
    assert helpers  # the cluster's processes
    assert process.returncode == code, stdout + stderr
    assert stderr.count("\n") == 1 and "re-run with --skip-existing to resume" in stderr
    done = _record_matches_disk(out, 16)
    time.sleep(1)
    assert [pid for pid in helpers if _running(pid)] == []  # no process left
    _resume_finishes(command, done, 16)
