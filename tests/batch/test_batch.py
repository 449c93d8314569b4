import csv
import io
import json

import numpy as np
import pytest
from PIL import Image

from quantize import InputFileError, InvalidParameterError, load_image
from quantize.batch import find_images, plan_outputs, quantize_folder

from ..conftest import IMAGES, sha256


def checksums(root):
    return {p: sha256(p) for p in root.rglob("*") if p.is_file()}


def by_input(report):
    return {f.input: f for f in report.files}


def test_find_images_by_extension_and_by_content(folder):
    names = [p.relative_to(folder).as_posix() for p in find_images(folder, recursive=True)]
    assert names == [
        "cat.png",
        "corrupt.png",
        "notes.jpg",
        "sub/deeper/vignette.png",
        "sub/no-extension",
        "sub/rocket.jpg",
    ]
    assert [p.name for p in find_images(folder)] == ["cat.png", "corrupt.png", "notes.jpg"]


def test_globs(folder):
    found = find_images(folder, recursive=True, include=["*.png"], exclude=["corrupt*"])
    assert [p.name for p in found] == ["cat.png", "vignette.png"]
    assert [p.name for p in find_images(folder, recursive=True, include=["sub/*"])] == [
        "vignette.png",
        "no-extension",
        "rocket.jpg",
    ]


def test_same_stem_gets_distinct_outputs(tmp_path):
    inputs = [tmp_path / "a.jpg", tmp_path / "a.png", tmp_path / "b.png", tmp_path / "A.gif"]
    outputs = plan_outputs(inputs, tmp_path, tmp_path / "out", "-q")
    assert [p.name for p in outputs] == ["a.jpg-q.png", "a.png-q.png", "b-q.png", "A.gif-q.png"]


def test_recursive_batch_mirrors_the_tree_and_records_failures(folder, tmp_path):
    before = checksums(folder)
    out = tmp_path / "out"
    seen = []
    report = quantize_folder(
        folder,
        out,
        n_colors=8,
        recursive=True,
        jobs=1,
        progress=lambda outcome, done, total: seen.append((done, total)),
    )
    assert checksums(folder) == before  # inputs untouched, nothing written beside them
    assert seen == [(i, 6) for i in range(7)]  # once the files are found, then after each
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [
        "cat.png",
        "manifest.csv",
        "manifest.json",
        "sub/deeper/vignette.png",
        "sub/no-extension.png",
        "sub/rocket.png",
    ]
    for name in ("cat.png", "sub/rocket.png", "sub/no-extension.png"):
        image = Image.open(out / name)
        assert image.mode == "P" and len(image.getcolors()) <= 8
    assert report.exit_code == 1 and (report.count("done"), report.count("failed")) == (4, 2)
    files = by_input(report)
    assert files[str(folder / "corrupt.png")].reason.startswith("truncated or corrupt image")
    assert files[str(folder / "notes.jpg")].reason == "not an image file that Pillow can read"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["totals"]["done"] == 4 and manifest["totals"]["failed"] == 2
    assert [f["status"] for f in manifest["files"]] == [f.status for f in report.files]
    assert manifest["parameters"]["seed"] == 0 and manifest["versions"]["numpy"]
    assert manifest["totals"]["output_bytes"] == sum(
        (out / n).stat().st_size
        for n in ("cat.png", "sub/deeper/vignette.png", "sub/no-extension.png", "sub/rocket.png")
    )
    rows = list(csv.DictReader(io.StringIO((out / "manifest.csv").read_text())))
    assert len(rows) == 6 and list(rows[0])[:4] == ["input", "output", "status", "reason"]
    cat = next(row for row in rows if row["input"].endswith("cat.png"))
    report = files[str(folder / "cat.png")].report
    for column in ("psnr", "delta_e", "delta_e_p95", "colors_used"):  # CIEDE2000 mean and 95th percentile too
        assert float(cat[column]) == pytest.approx(report[column])
    assert float(cat["delta_e_p95"]) >= float(cat["delta_e"]) > 0


@pytest.mark.slow
def test_worker_processes_give_the_same_outputs(folder, tmp_path):
    one = quantize_folder(folder, tmp_path / "one", recursive=True, jobs=1)
    two = quantize_folder(folder, tmp_path / "two", recursive=True, jobs=2)
    assert [f.status for f in one.files] == [f.status for f in two.files]
    for f in one.files:
        if f.status == "done":
            twin = f.output.replace(str(tmp_path / "one"), str(tmp_path / "two"))
            assert sha256(f.output) == sha256(twin)


def test_interrupted_batch_resumes_with_skip_existing(folder, tmp_path):
    out = tmp_path / "out"

    def stop_after_two(outcome, done, total):
        if done == 2:
            raise KeyboardInterrupt

    first = quantize_folder(folder, out, recursive=True, jobs=1, progress=stop_after_two)
    assert first.interrupted and first.exit_code == 130
    assert [f.status for f in first.files].count("not run") == 4
    assert json.loads((out / "manifest.json").read_text())["totals"]["interrupted"] is True
    assert not [p for p in out.rglob(".*")]  # no half-written file
    finished = {f.output for f in first.files if f.status == "done"}
    stamps = {path: (out / path).stat().st_mtime_ns for path in finished}
    second = quantize_folder(folder, out, recursive=True, jobs=1, skip_existing=True)
    assert {f.output for f in second.files if f.status == "skipped"} == finished
    assert second.count("done") == 4 - len(finished) and second.count("failed") == 2
    assert {path: (out / path).stat().st_mtime_ns for path in finished} == stamps


def test_existing_outputs_fail_unless_overwrite(folder, tmp_path):
    quantize_folder(folder, tmp_path / "out", include=["cat.png"], jobs=1)
    again = quantize_folder(folder, tmp_path / "out", include=["cat.png"], jobs=1)
    assert again.files[0].status == "failed" and "file exists" in again.files[0].reason
    forced = quantize_folder(folder, tmp_path / "out", include=["cat.png"], jobs=1, overwrite=True)
    assert forced.files[0].status == "done"


@pytest.mark.slow
def test_shared_palette_is_identical_in_every_output(folder, tmp_path):
    report = quantize_folder(
        folder,
        tmp_path / "out",
        n_colors=12,
        recursive=True,
        jobs=2,
        shared_palette=True,
        include=["*.png", "*.jpg", "no-extension"],
        exclude=["vignette.png"],
    )
    done = [f for f in report.files if f.status == "done"]
    assert len(done) == 3 and len(report.palette) == 12
    palettes = {tuple(Image.open(f.output).getpalette()[: 3 * 12]) for f in done}
    assert palettes == {tuple(np.asarray(report.palette, np.uint8).ravel().tolist())}
    assert all(f.report["colors_used"] == 12 for f in done)
    assert by_input(report)[str(folder / "corrupt.png")].status == "failed"


def test_given_palette(folder, tmp_path):
    palette = np.array([[0, 0, 0], [255, 255, 255], [200, 120, 60]], np.uint8)
    report = quantize_folder(folder, tmp_path / "out", include=["cat.png"], palette=palette, jobs=1)
    image = Image.open(report.files[0].output)
    assert image.getpalette()[:9] == palette.ravel().tolist()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["palette"] == palette.tolist()


def test_shared_and_given_palettes_follow_colorspace_and_dither(folder, tmp_path):
    from quantize import apply_palette, color_histogram, fit_shared_palette

    inputs = [folder / "cat.png", folder / "sub" / "rocket.jpg"]
    report = quantize_folder(
        folder,
        tmp_path / "out",
        n_colors=6,
        include=["cat.png", "rocket.jpg"],
        recursive=True,
        shared_palette=True,
        colorspace="oklab",
        random_state=5,
        jobs=1,
    )
    expected = fit_shared_palette(
        [color_histogram(load_image(p)) for p in inputs], 6, colorspace="oklab", random_state=5
    )
    np.testing.assert_array_equal(report.palette, expected)
    for path in inputs:
        written = next(f for f in report.files if f.input == str(path))
        mapped = apply_palette(load_image(path), expected, colorspace="oklab").image
        np.testing.assert_array_equal(np.asarray(Image.open(written.output).convert("RGB")), mapped)
        assert written.report["colorspace"] == "oklab"
    dithered = quantize_folder(
        folder, tmp_path / "dithered", include=["cat.png"], palette=expected, dither="floyd-steinberg", jobs=1
    )
    assert "floyd-steinberg dithering" in dithered.files[0].report["notes"][-1]
    assert (
        np.asarray(Image.open(dithered.files[0].output).convert("RGB"))
        != apply_palette(load_image(inputs[0]), expected).image
    ).any()


@pytest.mark.parametrize(
    "option, message",
    [
        ({"colorspace": "hsv"}, "colorspace='hsv'"),
        ({"dither": "noise"}, "dither='noise'"),
        ({"dither_strength": 1.5}, "dither_strength=1.5"),
        ({"algorithm": "elkan"}, "algorithm='elkan'"),
        ({"init": "best"}, "init='best'"),
    ],
)
def test_bad_options_fail_the_call_before_any_file(folder, tmp_path, option, message):
    with pytest.raises(InvalidParameterError, match=message):
        quantize_folder(folder, tmp_path / "out", jobs=1, **option)
    assert not (tmp_path / "out").exists()


def test_segment_outputs_beside_each_image(folder, tmp_path):
    report = quantize_folder(
        folder, tmp_path / "out", include=["cat.png"], segment=True, n_segments=3, jobs=1, colorspace="rgb"
    )
    assert report.files[0].status == "done"
    segments = tmp_path / "out" / "cat-segments"
    assert (segments / "labels.png").exists() and (segments / "mask_2.png").exists()
    summary = json.loads((segments / "segments.json").read_text())
    assert summary["n_clusters"] == 3 and summary["colorspace"] == "rgb"


def test_output_inside_input_needs_a_suffix(folder):
    with pytest.raises(InvalidParameterError, match="give the outputs a suffix"):
        quantize_folder(folder, folder, jobs=1)
    with pytest.raises(InvalidParameterError, match="give the outputs a suffix"):
        quantize_folder(folder, folder / "out", jobs=1)
    report = quantize_folder(folder, folder, suffix="-q16", include=["cat.png", "cat-q16.png"], jobs=1)
    assert (folder / "cat-q16.png").exists() and report.count("done") == 1
    rerun = quantize_folder(folder, folder, suffix="-q16", jobs=1, skip_existing=True)
    assert str(folder / "cat-q16.png") not in by_input(rerun)  # outputs are not inputs


def test_default_output_folder_and_bad_input_folder(folder, tmp_path):
    report = quantize_folder(folder, include=["cat.png"], jobs=1)
    assert report.output_dir == str(tmp_path / "photos-quantized")
    assert (tmp_path / "photos-quantized" / "cat.png").exists()
    with pytest.raises(InputFileError, match="no such folder"):
        quantize_folder(tmp_path / "missing")
    with pytest.raises(InputFileError, match="is not a folder"):
        quantize_folder(folder / "cat.png")
    with pytest.raises(InvalidParameterError, match="jobs=0"):
        quantize_folder(folder, jobs=0)


def test_output_folder_inside_input_is_not_scanned(folder):
    quantize_folder(folder, folder / "out", suffix="-s", include=["cat.png"], jobs=1)
    assert (folder / "out" / "cat-s.png").exists()
    rerun = quantize_folder(folder, folder / "out", suffix="-s", recursive=True, jobs=1, skip_existing=True)
    assert not [f for f in rerun.files if "/out/" in f.input]
    assert by_input(rerun)[str(folder / "cat.png")].status == "skipped"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"quality": -1}, "quality=-1.0 must be a finite number"),
        ({"max_pixels": 0}, "max_pixels=0 must be >= 1"),
        ({"n_colors": 300}, "n_colors=300 must be <= 256"),
        ({"jobs": 0}, "jobs=0 must be >= 1"),
        ({"n_segments": 0}, "n_segments=0 must be >= 1"),
        ({"palette": [[0, 0]]}, "palette must be an"),
        ({"random_state": np.random.default_rng(0)}, "random_state=Generator"),
    ],
)
def test_bad_settings_fail_the_call_before_any_file(folder, tmp_path, options, message):
    with pytest.raises(InvalidParameterError, match=message):
        quantize_folder(folder, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_settings_objects_and_keywords_give_the_same_batch(folder, tmp_path):
    from quantize import BatchSettings, QuantizeSettings

    by_objects = quantize_folder(
        folder,
        tmp_path / "a",
        settings=QuantizeSettings(n_colors=6, random_state=0),
        batch=BatchSettings(jobs=1, recursive=True),
    )
    by_keywords = quantize_folder(folder, tmp_path / "b", n_colors=6, jobs=1, recursive=True)
    assert by_objects.parameters == by_keywords.parameters
    assert [f.status for f in by_objects.files] == [f.status for f in by_keywords.files]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colours'"):
        quantize_folder(folder, tmp_path / "c", colours=6)


def test_statuses_are_plain_strings_in_every_record(folder, tmp_path):
    from quantize.batch import Status

    report = quantize_folder(folder, tmp_path / "out", n_colors=4, jobs=1)
    assert {str(s) for s in Status} == {"done", "skipped", "failed", "not run"}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {f["status"] for f in manifest["files"]} <= {"done", "skipped", "failed", "not run"}
    assert report.files[0].status == "done" and report.files[0].status is Status.DONE
    assert ",done," in (tmp_path / "out" / "manifest.csv").read_text()


def test_a_retried_task_adopts_its_own_earlier_output(tmp_path):
    """On a cluster, a task whose worker died after writing is run again: an output that
    did not exist when the batch began is its own, kept when it is what it would write."""
    from quantize import QuantizeSettings
    from quantize.batch.work import Task, quantize_file

    source, output = IMAGES / "chelsea.png", tmp_path / "cat.png"
    settings = QuantizeSettings(n_colors=8, random_state=0)
    first = quantize_file(Task(source, output, settings, outputs_are_ours=True))
    assert first.status == "done"
    written = output.read_bytes()
    before = output.stat().st_mtime_ns
    again = quantize_file(Task(source, output, settings, outputs_are_ours=True))
    assert again.status == "done" and again.report == first.report | {"seconds": again.report["seconds"]}
    assert output.stat().st_mtime_ns == before and output.read_bytes() == written  # not written again
    output.write_bytes(written[:-1] + b"x")  # someone else's file meanwhile
    clash = quantize_file(Task(source, output, settings, outputs_are_ours=True))
    assert clash.status == "failed"
    assert clash.reason == f"{output}: file exists (written by something else during the batch)"  # the output named
    assert (
        quantize_file(Task(source, output, settings)).reason == f"{output}: file exists (use --force to overwrite it)"
    )


def test_local_pool_merges_the_histograms_of_every_file(tmp_path, monkeypatch):
    """The local pool's shared histogram is the sum of the files' (merged on the way,
    every few files) with the unreadable ones named."""
    from quantize import QuantizeSettings
    from quantize.batch import pool
    from quantize.batch.work import Task
    from quantize.color.histogram import ColorHistogram

    monkeypatch.setattr(pool, "_MERGE_EVERY", 2)  # merged several times over five files
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 4, (8, 9, 3), dtype=np.uint8) * 60 for _ in range(5)]
    tasks = []
    for i, image in enumerate(images):
        Image.fromarray(image).save(tmp_path / f"{i}.png")
        tasks.append(Task(tmp_path / f"{i}.png", tmp_path / f"{i}-q.png", QuantizeSettings()))
    (tmp_path / "bad.png").write_bytes(b"not a png")
    tasks.append(Task(tmp_path / "bad.png", tmp_path / "bad-q.png", QuantizeSettings()))
    reasons, (colors, counts) = pool.LocalPool(2).merged_histogram(tasks)
    assert [index for index, _ in reasons] == [5]
    expected = ColorHistogram(np.concatenate([image.reshape(-1, 3) for image in images]))
    assert np.array_equal(colors, expected.colors) and np.array_equal(counts, expected.counts)
    assert counts.sum() == 5 * 72
