import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from quantize.cli import main
from quantize.report import JSON_KEYS

from .conftest import IMAGES, REPO, sha256


@pytest.fixture
def workdir(tmp_path):
    for name in ("chelsea.png", "rocket-vignette.png"):
        shutil.copy(IMAGES / name, tmp_path / name)
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_compress_writes_default_output_and_prints_report(workdir):
    source = workdir / "chelsea.png"
    before = sha256(source)
    result = run("compress", source)
    assert result.exit_code == 0, result.output
    output = workdir / "chelsea-q16.png"
    image = Image.open(output)
    assert image.mode == "P" and image.size == (451, 300)
    assert len(image.getcolors()) <= 16
    assert "PSNR" in result.stdout and "chelsea-q16.png" in result.stdout
    assert "seed 0" in result.stdout
    assert sha256(source) == before
    assert listing(workdir) == ["chelsea-q16.png", "chelsea.png", "rocket-vignette.png"]


def test_json_report(workdir):
    result = run("compress", workdir / "chelsea.png", "-k", 8, "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert list(report) == list(JSON_KEYS)
    output = workdir / "chelsea-q8.png"
    assert report["output"] == str(output)
    assert report["output_bytes"] == output.stat().st_size
    assert report["input_bytes"] == (workdir / "chelsea.png").stat().st_size
    assert report["colors_requested"] == 8 and report["colors_used"] == 8
    assert report["compression_ratio"] == pytest.approx(report["input_bytes"] / report["output_bytes"])
    assert (report["width"], report["height"]) == (451, 300)
    assert report["psnr"] > 25 and report["ssim"] is None and report["seed"] == 0
    assert (report["algorithm"], report["init"], report["effort"]) == ("lloyd", "wu", "normal")
    assert len(Image.open(output).getcolors()) <= 8
    measured = json.loads(run("compress", workdir / "chelsea.png", "-k", 8, "--ssim", "--json", "--force").stdout)
    assert 0 < measured["ssim"] <= 1 and "SSIM" in run("compress", workdir / "chelsea.png", "-k", 8, "--ssim",
                                                       "--force").stdout


@pytest.mark.parametrize("effort", ["fast", "normal", "thorough"])
def test_effort_option(workdir, effort):
    result = run("compress", workdir / "chelsea.png", "-k", 8, "--effort", effort, "--json", "-o", workdir / "e.png")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["effort"] == effort
    assert len(Image.open(workdir / "e.png").getcolors()) <= 8
    text = run("compress", workdir / "chelsea.png", "-k", 8, "--effort", effort, "-o", workdir / "e.png", "--force")
    assert f"effort {effort}," in text.stdout
    bad = run("compress", workdir / "chelsea.png", "--effort", "slow")
    assert bad.exit_code == 2 and "'slow' is not one of 'fast', 'normal', 'thorough'" in bad.stderr


@pytest.mark.parametrize("k", [1, 2, 40, 256])
def test_colors_option(workdir, k):
    out = workdir / "out.png"
    result = run("compress", workdir / "chelsea.png", "-k", k, "-o", out)
    assert result.exit_code == 0, result.output
    assert len(Image.open(out).getcolors()) <= k


def test_more_than_256_colours_for_non_palette_output(workdir):
    out = workdir / "out.webp"
    result = run("compress", workdir / "chelsea.png", "--colors", 300, "-o", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["colors_used"] == 300
    assert len(np.unique(np.asarray(Image.open(out)).reshape(-1, 3), axis=0)) == 300


@pytest.mark.parametrize("algorithm", ["minibatch", "lloyd"])
@pytest.mark.parametrize("init", ["k-means++", "random", "sharding"])
def test_algorithm_and_init_options(workdir, algorithm, init):
    out = workdir / f"{algorithm}-{init}.png"
    result = run("compress", workdir / "chelsea.png", "-k", 6, "-o", out,
                 "--algorithm", algorithm, "--init", init, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["algorithm"] == algorithm and report["init"] == init
    assert len(Image.open(out).getcolors()) <= 6


def test_seed_option_is_deterministic(workdir):
    run("compress", workdir / "chelsea.png", "-k", 8, "-o", workdir / "a.png", "--seed", 5)
    run("compress", workdir / "chelsea.png", "-k", 8, "-o", workdir / "b.png", "--seed", 5)
    assert sha256(workdir / "a.png") == sha256(workdir / "b.png")
    result = run("compress", workdir / "chelsea.png", "-o", workdir / "c.png", "--seed", 9, "--json")
    assert json.loads(result.stdout)["seed"] == 9


def test_rgba_input_keeps_alpha(workdir):
    source = workdir / "rocket-vignette.png"
    result = run("compress", source, "-k", 16)
    assert result.exit_code == 0, result.output
    written = Image.open(workdir / "rocket-vignette-q16.png")
    assert written.mode == "P"
    alpha_in = np.asarray(Image.open(source))[..., 3]
    alpha_out = np.asarray(written.convert("RGBA"))[..., 3]
    np.testing.assert_array_equal(alpha_out == 0, alpha_in == 0)
    assert "plus transparency" in result.stdout


def test_refuses_to_overwrite_without_force(workdir):
    out = workdir / "out.png"
    out.write_bytes(b"precious")
    result = run("compress", workdir / "chelsea.png", "-o", out)
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {out}: file exists (use --force to overwrite it)\n"
    assert out.read_bytes() == b"precious"
    result = run("compress", workdir / "chelsea.png", "-o", out, "--force")
    assert result.exit_code == 0 and Image.open(out).mode == "P"


def test_never_overwrites_the_input_even_with_force(workdir):
    source = workdir / "chelsea.png"
    before = sha256(source)
    result = run("compress", source, "-o", source, "--force")
    assert result.exit_code == 1
    assert "the output would overwrite the input image" in result.stderr
    assert sha256(source) == before
    assert listing(workdir) == ["chelsea.png", "rocket-vignette.png"]


def test_max_pixels_option(workdir):
    source = workdir / "chelsea.png"
    result = run("compress", source, "--max-pixels", 1000)
    assert result.exit_code == 1
    assert "over the limit of 1,000" in result.stderr and str(source) in result.stderr
    assert result.stderr.count("\n") == 1
    assert run("compress", source, "--max-pixels", 451 * 300).exit_code == 0


def _bad_inputs(folder):
    photo = (IMAGES / "chelsea.png").read_bytes()
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("not an image at all")
    (folder / "cut.png").write_bytes(photo[: len(photo) // 3])
    corrupt = bytearray(photo)
    corrupt[300:900] = bytes(600)
    (folder / "corrupt.png").write_bytes(bytes(corrupt))
    (folder / "sub").mkdir()
    return {
        "missing.png": "no such file",
        "sub": "is a folder, not an image file",
        "empty.png": "file is empty (0 bytes)",
        "notes.jpg": "not an image file that Pillow can read",
        "cut.png": "truncated or corrupt image",
        "corrupt.png": "truncated or corrupt image",
    }


def test_bad_inputs_get_one_line_and_exit_1(tmp_path):
    cases = _bad_inputs(tmp_path)
    before = {p.name: sha256(p) for p in tmp_path.iterdir() if p.is_file()}
    for name, message in cases.items():
        result = run("compress", tmp_path / name, "-o", tmp_path / "out.png")
        assert result.exit_code == 1, name
        assert result.stderr.startswith(f"quantize: error: {tmp_path / name}: {message}"), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.output
        assert result.stdout == ""
    assert {p.name: sha256(p) for p in tmp_path.iterdir() if p.is_file()} == before
    assert not (tmp_path / "out.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "args, message",
    [
        (["-k", "0"], "0 is not in the range x>=1"),
        (["-k", "257"], "257 is out of range 1..256 for PNG output"),
        (["-k", "300", "-o", "{dir}/o.gif"], "300 is out of range 1..256 for GIF output"),
        (["-k", "many"], "'many' is not a valid integer"),
        (["--algorithm", "elkan"], "'elkan' is not one of 'minibatch', 'lloyd'"),
        (["--init", "best"], "'best' is not one of"),
        (["--seed", "-1"], "-1 is not in the range x>=0"),
        (["--max-pixels", "0"], "0 is not in the range x>=1"),
        (["-o", "{dir}/out.xyz"], "cannot tell the image format from the extension '.xyz'"),
    ],
)
def test_bad_options(workdir, args, message):
    args = [a.format(dir=workdir) for a in args]
    result = run("compress", workdir / "chelsea.png", *args)
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert listing(workdir) == ["chelsea.png", "rocket-vignette.png"]


def test_unwritable_output(workdir):
    (workdir / "a-file").write_text("x")
    for target in (workdir / "a-file" / "out.png", workdir / "no-such-dir" / "out.png"):
        result = run("compress", workdir / "chelsea.png", "-o", target)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"quantize: error: {target}: ")
        assert result.stderr.count("\n") == 1
    assert listing(workdir) == ["a-file", "chelsea.png", "rocket-vignette.png"]


def test_format_that_cannot_hold_transparency(workdir):
    result = run("compress", workdir / "rocket-vignette.png", "-o", workdir / "o.jpg")
    assert result.exit_code == 1
    assert "JPEG cannot store the image's partial transparency" in result.stderr
    assert not (workdir / "o.jpg").exists()


def test_help_shows_examples():
    assert "quantize compress photo.jpg" in run("--help").stdout
    text = run("compress", "--help").stdout
    assert "Examples:" in text and "quantize compress photo.jpg -k 64" in text
    assert "[default: 16; x>=1]" in text


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("quantize, version ")


def test_root_launcher_and_module_run_the_same_app(tmp_path):
    shutil.copy(IMAGES / "chelsea.png", tmp_path / "c.png")
    for command in ([sys.executable, str(REPO / "cli.py")], [sys.executable, "-m", "quantize"]):
        out = tmp_path / f"out-{len(command)}.png"
        done = subprocess.run(
            [*command, "compress", str(tmp_path / "c.png"), "-k", "4", "-o", str(out), "--json"],
            capture_output=True, text=True, cwd=REPO,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["colors_used"] == 4
        missing = subprocess.run([*command, "compress", "nope.png"], capture_output=True, text=True, cwd=tmp_path)
        assert missing.returncode == 1
        assert missing.stderr == "quantize: error: nope.png: no such file\n"


# --- quantize segment ---------------------------------------------------------------

SEGMENT_FILES = ["labels.png", "overlay.png", "palette.png", "segments.json"]


def segment_listing(folder, k):
    return sorted(SEGMENT_FILES + [f"mask_{i}.png" for i in range(k)])


def test_segment_writes_default_folder_and_prints_summary(workdir):
    source = workdir / "chelsea.png"
    before = sha256(source)
    result = run("segment", source)
    assert result.exit_code == 0, result.output
    folder = workdir / "chelsea-segments"
    assert listing(folder) == segment_listing(folder, 4)
    assert result.stdout.startswith(f"{source} -> {folder}/: 4 clusters")
    assert len(result.stdout.splitlines()) == 2 + 4  # summary, header, one line per cluster
    for name in ("labels.png", *(f"mask_{i}.png" for i in range(4))):
        assert Image.open(folder / name).size == (451, 300)
    assert Image.open(folder / "labels.png").mode == "L"
    assert Image.open(folder / "mask_0.png").mode == "1"
    assert Image.open(folder / "overlay.png").mode == "RGB"
    assert sha256(source) == before


def test_segment_json_matches_the_file_and_every_option(workdir):
    out = workdir / "seg"
    result = run(
        "segment", workdir / "chelsea.png", "-k", 3, "-o", out, "--spatial", 4, "--min-region", 40,
        "--sigma", 0.5, "--colorspace", "rgb", "--seed", 9, "--max-pixels", 10**6, "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == json.loads((out / "segments.json").read_text())
    assert {key: data[key] for key in ("n_segments", "spatial", "min_region", "sigma", "colorspace", "seed")} == {
        "n_segments": 3, "spatial": 4.0, "min_region": 40, "sigma": 0.5, "colorspace": "rgb", "seed": 9,
    }
    assert data["n_clusters"] == 3 and listing(out) == segment_listing(out, 3)
    assert min(region["area"] for region in data["regions"]) >= 40
    assert sum(c["share"] for c in data["clusters"]) == pytest.approx(1.0)
    masks = sum(np.asarray(Image.open(out / f"mask_{i}.png"), dtype=int) for i in range(3))
    assert (masks == 1).all()


def test_segment_seed_is_deterministic(workdir):
    for name in ("a", "b"):
        assert run("segment", workdir / "chelsea.png", "-k", 3, "-o", workdir / name, "--seed", 4).exit_code == 0
    assert sha256(workdir / "a" / "labels.png") == sha256(workdir / "b" / "labels.png")


def test_segment_rgba_input(workdir):
    source = workdir / "rocket-vignette.png"
    result = run("segment", source, "-k", 3, "--json")
    assert result.exit_code == 0, result.output
    folder = workdir / "rocket-vignette-segments"
    alpha = np.asarray(Image.open(source))[..., 3]
    labels = np.asarray(Image.open(folder / "labels.png"))
    assert ((labels == 0) == (alpha == 0)).all()
    masks = sum(np.asarray(Image.open(folder / f"mask_{i}.png"), dtype=int) for i in range(3))
    assert np.array_equal(masks, (alpha != 0).astype(int))
    assert Image.open(folder / "overlay.png").mode == "RGBA"


def test_segment_refuses_existing_files_without_force(workdir):
    out = workdir / "seg"
    assert run("segment", workdir / "chelsea.png", "-k", 2, "-o", out).exit_code == 0
    before = {p.name: sha256(p) for p in out.iterdir()}
    result = run("segment", workdir / "chelsea.png", "-k", 2, "-o", out, "--seed", 1)
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {out / 'labels.png'}: file exists (use --force to overwrite it)\n"
    assert {p.name: sha256(p) for p in out.iterdir()} == before
    assert run("segment", workdir / "chelsea.png", "-k", 2, "-o", out, "--seed", 1, "--force").exit_code == 0
    assert json.loads((out / "segments.json").read_text())["seed"] == 1


def test_segment_output_folder_that_is_a_file(workdir):
    (workdir / "taken").write_text("x")
    result = run("segment", workdir / "chelsea.png", "-o", workdir / "taken")
    assert result.exit_code in (1, 2)
    assert result.stderr.count("\n") == 1 and "taken" in result.stderr


def test_segment_bad_inputs_get_one_line_and_exit_1(tmp_path):
    cases = _bad_inputs(tmp_path)
    for name, message in cases.items():
        result = run("segment", tmp_path / name, "-o", tmp_path / "out")
        assert result.exit_code == 1, name
        assert result.stderr.startswith(f"quantize: error: {tmp_path / name}: {message}")
        assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_segment_max_pixels(workdir):
    result = run("segment", workdir / "chelsea.png", "--max-pixels", 1000)
    assert result.exit_code == 1 and "--max-pixels" in result.stderr
    assert not (workdir / "chelsea-segments").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["-k", "0"], "0 is not in the range 1<=x<=256"),
        (["-k", "257"], "257 is not in the range 1<=x<=256"),
        (["--sigma", "17"], "17.0 is not in the range 0<=x<=16"),
        (["--sigma", "nan"], "'nan' is not a finite number"),
        (["--spatial", "inf"], "'inf' is not a finite number"),
        (["--spatial", "-1"], "-1.0 is not in the range x>=0"),
        (["--min-region", "-2"], "-2 is not in the range x>=0"),
        (["--sigma", "x"], "'x' is not a valid float"),
        (["--colorspace", "hsv"], "'hsv' is not one of 'rgb', 'lab', 'oklab'"),
        (["--seed", "-1"], "-1 is not in the range x>=0"),
    ],
)
def test_segment_bad_options(workdir, args, message):
    result = run("segment", workdir / "chelsea.png", *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert listing(workdir) == ["chelsea.png", "rocket-vignette.png"]


def test_compress_does_not_load_the_segmentation_stack():
    """scipy.ndimage and skimage's segmentation cost a quarter of a second at start-up."""
    code = ("import sys, quantize.cli; print('scipy.ndimage' in sys.modules, 'skimage.measure' in sys.modules, "
            "'skimage.segmentation' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "False"]
    from quantize import SegmentResult, segment_image  # served on first use

    assert segment_image.__module__ == SegmentResult.__module__ == "quantize.segment"


# --- quantize batch, apply, compress --save-palette ----------------------------------


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(IMAGES / "chelsea.png", folder / "cat.png")
    shutil.copy(IMAGES / "rocket.jpg", folder / "sub" / "rocket.jpg")
    (folder / "fake.jpg").write_text("not an image")
    return folder


def test_batch_summary_exit_code_and_outputs(photos, tmp_path):
    before = {p: sha256(p) for p in photos.rglob("*") if p.is_file()}
    result = run("batch", photos, "--recursive", "-k", 8, "--jobs", 1, "--quiet")
    assert result.exit_code == 1  # fake.jpg failed
    out = tmp_path / "photos-quantized"
    assert listing(out) == ["cat.png", "manifest.csv", "manifest.json", "sub"]
    assert (out / "sub" / "rocket.png").exists()
    assert result.stdout.splitlines()[0].startswith("2 done, 0 skipped, 1 failed in ")
    assert f"failed: {photos / 'fake.jpg'}: not an image file that Pillow can read" in result.stdout
    assert {p: sha256(p) for p in photos.rglob("*") if p.is_file()} == before
    assert len(Image.open(out / "cat.png").getcolors()) <= 8


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
    result = run("batch", photos, "-o", out, "--recursive", "--exclude", "fake.jpg", "--shared-palette",
                 "-k", 6, "--report", page, "--segment", "--segments", 2, "--suffix", "-s", "--jobs", 1)
    assert result.exit_code == 0, result.output
    palettes = {tuple(Image.open(p).getpalette()[:18]) for p in (out / "cat-s.png", out / "sub" / "rocket-s.png")}
    assert len(palettes) == 1
    assert (out / "cat-s-segments" / "mask_1.png").exists()
    assert page.read_text().count("data:image/png;base64,") == 4
    again = run("batch", photos, "-o", out, "--report", page, "--exclude", "fake.jpg", "--skip-existing")
    assert again.exit_code == 1 and "report.html: file exists" in again.stderr


def test_batch_with_a_palette_file_and_apply(photos, tmp_path):
    palette_file = tmp_path / "brand.gpl"
    palette_file.write_text("GIMP Palette\n0 0 0\n250 250 250\n200 100 50\n")
    out = tmp_path / "o"
    result = run("batch", photos, "-o", out, "--palette", palette_file, "--include", "*.png", "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert Image.open(out / "cat.png").getpalette()[:9] == [0, 0, 0, 250, 250, 250, 200, 100, 50]
    applied = run("apply", photos / "cat.png", "--palette", palette_file, "-o", tmp_path / "a.png", "--json")
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["colors_used"] == 3
    assert sha256(tmp_path / "a.png") == sha256(out / "cat.png")
    default = run("apply", photos / "cat.png", "--palette", palette_file)
    assert default.exit_code == 0 and (photos / "cat-palette.png").exists()
    assert "mapped to a given palette" in default.stdout


@pytest.mark.parametrize("extension", [".json", ".gpl"])
def test_compress_save_palette_then_apply_gives_the_same_image(workdir, extension):
    palette = workdir / f"p{extension}"
    result = run("compress", workdir / "chelsea.png", "-k", 8, "-o", workdir / "c.png", "--save-palette", palette)
    assert result.exit_code == 0, result.output
    applied = run("apply", workdir / "chelsea.png", "--palette", palette, "-o", workdir / "a.png")
    assert applied.exit_code == 0
    assert np.array_equal(np.asarray(Image.open(workdir / "a.png").convert("RGB")),
                          np.asarray(Image.open(workdir / "c.png").convert("RGB")))


@pytest.mark.parametrize("space", ["rgb", "oklab"])
def test_save_palette_then_apply_in_the_same_space_gives_the_same_image(workdir, space):
    palette = workdir / "p.hex"
    compressed = run("compress", workdir / "chelsea.png", "-k", 8, "-o", workdir / "c.png", "--save-palette",
                     palette, "--colorspace", space)
    assert compressed.exit_code == 0, compressed.output
    applied = run("apply", workdir / "chelsea.png", "--palette", palette, "-o", workdir / "a.png",
                  "--colorspace", space, "--json")
    assert applied.exit_code == 0 and json.loads(applied.stdout)["colorspace"] == space
    assert np.array_equal(np.asarray(Image.open(workdir / "a.png").convert("RGB")),
                          np.asarray(Image.open(workdir / "c.png").convert("RGB")))


@pytest.mark.parametrize("command", ["apply", "compress"])
def test_a_given_palette_with_colorspace_and_dither(workdir, command):
    palette = workdir / "p.hex"
    palette.write_text("#000000\n#ffffff\n#c86432\n#3264c8\n")
    outputs = {}
    for name, options in [("lab", []), ("rgb", ["--colorspace", "rgb"]),
                          ("dithered", ["--dither", "floyd-steinberg", "--dither-strength", 0.7])]:
        out = workdir / f"{name}.png"
        result = run(command, workdir / "chelsea.png", "--palette", palette, "-o", out, "--json", *options)
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["colorspace"] == ("rgb" if name == "rgb" else "lab")
        assert any("dithering at strength 0.7" in n for n in report["notes"]) == (name == "dithered")
        outputs[name] = np.asarray(Image.open(out).convert("RGB"))
        assert Image.open(out).getpalette()[:12] == [0, 0, 0, 255, 255, 255, 200, 100, 50, 50, 100, 200]
    assert (outputs["lab"] != outputs["rgb"]).any() and (outputs["lab"] != outputs["dithered"]).any()
    bad = run(command, workdir / "chelsea.png", "--palette", palette, "--dither", "noise")
    assert bad.exit_code == 2 and "'noise' is not one of" in bad.stderr


def test_compress_palette_refuses_lock(workdir):
    palette = workdir / "p.hex"
    palette.write_text("#000000\n#ffffff\n")
    result = run("compress", workdir / "chelsea.png", "--palette", palette, "--lock", "red")
    assert result.exit_code == 2 and "cannot be combined with a quality target or --lock" in result.stderr
    assert listing(workdir) == ["chelsea.png", "p.hex", "rocket-vignette.png"]


def test_compress_save_palette_bad_extension_writes_nothing(workdir):
    result = run("compress", workdir / "chelsea.png", "--save-palette", workdir / "p.pal")
    assert result.exit_code == 2 and "palette files are .css, .gpl, .hex, .json, .png, .txt" in result.stderr
    assert listing(workdir) == ["chelsea.png", "rocket-vignette.png"]


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["batch", "{dir}/missing"], 1, "missing: no such folder"),
        (["batch", "{dir}/photos", "--jobs", "0"], 2, "0 is not in the range x>=1"),
        (["batch", "{dir}/photos", "--shared-palette", "--palette", "{dir}/p.json"], 2, "exclude each other"),
        (["batch", "{dir}/photos", "--palette", "{dir}/nope.json"], 1, "nope.json: no such file"),
        (["batch", "{dir}/photos", "-o", "{dir}/photos"], 1, "give the outputs a suffix"),
        (["batch", "{dir}/photos", "-k", "300"], 2, "300 is not in the range 1<=x<=256"),
        (["apply", "{dir}/photos/cat.png", "--palette", "{dir}/bad.json"], 1, "bad.json: not a valid json palette"),
        (["apply", "{dir}/photos/cat.png"], 2, "Missing option '--palette'"),
        (["apply", "{dir}/photos/missing.png", "--palette", "{dir}/p.json"], 1, "missing.png: no such file"),
    ],
)
def test_batch_and_apply_bad_input(photos, tmp_path, args, code, message):
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "p.json").write_text("[[1, 2, 3]]")
    result = run(*[a.format(dir=tmp_path) for a in args])
    assert result.exit_code == code, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "photos-quantized").exists()


def test_batch_ctrl_c_keeps_finished_files_and_resumes(tmp_path):
    """A real SIGINT to `quantize batch --jobs 2`: exit 130, every file the manifest
    calls done exists and no other output does, no partial file; --skip-existing
    then finishes the rest."""
    import signal
    import time

    folder = tmp_path / "in"
    folder.mkdir()
    big = Image.open(IMAGES / "rocket.jpg").resize((1280, 854))
    for i in range(24):
        big.rotate(i * 15).save(folder / f"p{i:02d}.jpg", quality=90)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "quantize", "batch", str(folder), "-o", str(out), "--jobs", "2", "-k", "64"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(out.glob("*.png")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stdout + stderr
    assert "re-run with --skip-existing to resume" in stderr and "not run (interrupted)" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    done = {f["output"] for f in manifest["files"] if f["status"] == "done"}
    assert done == {str(p) for p in out.glob("*.png")} and 0 < len(done) < 24
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    resumed = subprocess.run(command + ["--skip-existing", "--json"], capture_output=True, text=True)
    assert resumed.returncode == 0
    totals = json.loads(resumed.stdout)["totals"]
    assert (totals["skipped"], totals["done"]) == (len(done), 24 - len(done))


def test_progress_bar_line(capsys):
    from types import SimpleNamespace

    from quantize.cli import _ProgressBar

    bar = _ProgressBar(True)
    bar(SimpleNamespace(status="done"), 1, 4)
    bar(SimpleNamespace(status="failed"), 2, 4)
    line = capsys.readouterr().err.split("\r")[-1]
    assert line.startswith("[" + "#" * 15 + "." * 15 + "] 2/4 files, 1 failed, ")
    assert "files/s" in line and "left" in line and not line.endswith("\n")
    bar(SimpleNamespace(status="done"), 4, 4)
    assert capsys.readouterr().err.endswith("\n")  # the finished bar ends its line
    silent = _ProgressBar(False)
    silent(SimpleNamespace(status="failed"), 1, 1)
    assert capsys.readouterr().err == "" and silent.failed == 1


def test_compress_quality_target_and_exit_code_3(workdir):
    result = run("compress", workdir / "chelsea.png", "--quality", 32, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["psnr"] >= 32 and report["output"] == str(workdir / "chelsea-q.png")
    assert "the smallest k meeting the target" in report["notes"][-1] and report["colors_requested"] == 256
    missed = run("compress", workdir / "chelsea.png", "-k", 4, "--max-delta-e", 1, "-o", workdir / "m.png")
    assert missed.exit_code == 3
    assert missed.stderr.startswith(f"quantize: error: {workdir / 'chelsea.png'}: the target is not met with 4 colours")
    assert missed.stderr.count("\n") == 1 and not (workdir / "m.png").exists()
    forced = run("compress", workdir / "chelsea.png", "-k", 4, "--quality", 40, "-o", workdir / "m.png", "--force-output")
    assert forced.exit_code == 3 and (workdir / "m.png").exists()
    assert "target not met" in forced.stdout
    bad = run("compress", workdir / "chelsea.png", "--quality", 0)
    assert bad.exit_code == 2 and "0.0 is not in the range x>0" in bad.stderr


def test_batch_quality_target_per_image(photos, tmp_path):
    result = run("batch", photos, "-o", tmp_path / "o", "--recursive", "--quality", 30, "--exclude", "fake.jpg",
                 "--jobs", 1, "--json")
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert all(f["report"]["psnr"] >= 30 and f["report"]["colors_used"] < 256 for f in files)
    strict = run("batch", photos, "-o", tmp_path / "s", "-k", 4, "--quality", 45, "--exclude", "fake.jpg",
                 "--jobs", 1, "--json")
    assert strict.exit_code == 1
    assert "the target is not met with 4 colours" in json.loads(strict.stdout)["files"][0]["reason"]


def test_suggest_k_table_json_and_plot(workdir):
    result = run("suggest-k", workdir / "chelsea.png", "--k-min", 2, "--k-max", 8, "--seed", 4)
    assert result.exit_code == 0, result.output
    assert "elbow of the inertia curve" in result.stdout and "best silhouette" in result.stdout
    plot = workdir / "curves.png"
    as_json = run("suggest-k", workdir / "chelsea.png", "--k-max", 8, "--json", "--plot", plot,
                  "--algorithm", "lloyd", "--init", "random", "--max-pixels", 10**6)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert [row["k"] for row in data["table"]] == list(range(2, 9)) and 2 <= data["elbow"] <= 8
    assert data["colorspace"] == "lab" and "clustered in lab" in result.stdout
    in_lab, in_rgb = (run("suggest-k", workdir / "chelsea.png", "--k-max", 4, "--colorspace", space, "--json")
                      for space in ("lab", "rgb"))
    assert in_rgb.exit_code == 0 and json.loads(in_rgb.stdout)["colorspace"] == "rgb"
    assert json.loads(in_rgb.stdout)["table"] != json.loads(in_lab.stdout)["table"]
    image = Image.open(plot)
    assert image.format == "PNG" and image.size == (1000, 700)
    again = run("suggest-k", workdir / "chelsea.png", "--k-max", 8, "--plot", plot)
    assert again.exit_code == 1 and "file exists" in again.stderr


def test_suggest_k_bad_options_and_missing_matplotlib(workdir, monkeypatch):
    result = run("suggest-k", workdir / "chelsea.png", "--k-min", 9, "--k-max", 4)
    assert result.exit_code == 2 and "--k-min 9 is above --k-max 4" in result.stderr
    assert run("suggest-k", workdir / "chelsea.png", "--k-min", 1).exit_code == 2
    assert run("suggest-k", workdir / "missing.png").exit_code == 1
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    result = run("suggest-k", workdir / "chelsea.png", "--k-max", 3, "--plot", workdir / "p.png")
    assert result.exit_code == 1 and "--plot needs matplotlib" in result.stderr
    assert result.stderr.count("\n") == 1 and not (workdir / "p.png").exists()


@pytest.mark.parametrize("space", ["rgb", "lab", "oklab"])
def test_colorspace_option_of_compress_segment_and_batch(workdir, space):
    result = run("compress", workdir / "chelsea.png", "-k", 6, "--colorspace", space, "--json", "-o", workdir / "c.png")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["colorspace"] == space and report["delta_e"] > 0 and report["delta_e_p95"] >= report["delta_e"]
    segmented = run("segment", workdir / "chelsea.png", "-k", 3, "--colorspace", space, "--json", "-o", workdir / "s")
    assert segmented.exit_code == 0 and json.loads(segmented.stdout)["colorspace"] == space
    batch = run("batch", workdir, "-o", workdir.parent / f"b-{space}", "--include", "chelsea.png",
                "--colorspace", space, "--dither", "ordered", "--dither-strength", 0.5, "--jobs", 1, "--json")
    report = json.loads(batch.stdout)["files"][0]["report"]
    assert report["colorspace"] == space and "ordered dithering at strength 0.5" in report["notes"][-1]


@pytest.mark.parametrize("method", ["none", "floyd-steinberg", "ordered"])
def test_compress_dither_options(workdir, method):
    out = workdir / f"{method}.png"
    result = run("compress", workdir / "chelsea.png", "-k", 8, "--dither", method, "--dither-strength", 0.8,
                 "-o", out, "--json")
    assert result.exit_code == 0, result.output
    assert len(Image.open(out).getcolors()) <= 8
    notes = json.loads(result.stdout)["notes"]
    assert any("dithering at strength 0.8" in n for n in notes) == (method != "none")
    assert run("compress", workdir / "chelsea.png", "--dither-strength", 2).exit_code == 2


def test_compress_format_smallest(workdir):
    result = run("compress", workdir / "chelsea.png", "-k", 8, "--format", "smallest", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    written = Path(report["output"])
    assert written.suffix in (".png", ".webp") and written.stem == "chelsea-q8" and written.exists()
    assert report["notes"][-1].startswith("smallest format: ")
    assert report["output_bytes"] == written.stat().st_size
    assert run("compress", workdir / "chelsea.png", "-k", 8, "--format", "smallest").exit_code == 1  # exists
    assert run("compress", workdir / "chelsea.png", "--format", "tiniest").exit_code == 2


@pytest.mark.parametrize("kind", ["json", "gpl", "css", "hex", "png"])
def test_palette_command_round_trips_through_apply(workdir, kind):
    out = workdir / f"p.{kind}"
    result = run("palette", workdir / "chelsea.png", "-k", 5, "-o", out, "--seed", 2)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"5 colours -> {out}\n"
    from quantize.io import load_palette

    loaded = load_palette(out)
    shown = run("palette", workdir / "chelsea.png", "-k", 5, "--seed", 2, "--format", "json")
    entries = json.loads(shown.stdout)["colors"]
    assert loaded.tolist() == [e["rgb"] for e in entries]  # same palette, same order
    assert [e["share"] for e in entries] == sorted((e["share"] for e in entries), reverse=True)
    assert sum(e["share"] for e in entries) == pytest.approx(1.0)
    applied = run("compress", workdir / "chelsea.png", "--palette", out, "-o", workdir / "a.png", "--json")
    assert applied.exit_code == 0 and json.loads(applied.stdout)["colors_used"] == 5


def test_palette_command_options_and_errors(workdir):
    css = run("palette", workdir / "chelsea.png", "-k", 3, "--format", "css", "--colorspace", "lab")
    assert css.exit_code == 0 and css.stdout.startswith(":root {") and css.stdout.count("--color-") == 3
    assert run("palette", workdir / "chelsea.png", "--format", "png").exit_code == 2  # png needs -o
    mismatch = run("palette", workdir / "chelsea.png", "--format", "css", "-o", workdir / "p.json")
    assert mismatch.exit_code == 2 and "does not match --format css" in mismatch.stderr
    assert run("palette", workdir / "missing.png").exit_code == 1
    (workdir / "p.hex").write_text("#000000\n")
    assert run("palette", workdir / "chelsea.png", "-o", workdir / "p.hex").exit_code == 1  # exists
    assert run("palette", workdir / "chelsea.png", "-o", workdir / "p.hex", "--force", "--max-pixels", 10**6).exit_code == 0
    combined = run("compress", workdir / "chelsea.png", "--palette", workdir / "p.hex", "--quality", 30)
    assert combined.exit_code == 2 and "cannot be combined with a quality target" in combined.stderr


def test_compress_lock_option(workdir):
    out = workdir / "l.png"
    result = run("compress", workdir / "chelsea.png", "-k", 6, "--lock", "white", "--lock", "#ff0000",
                 "--lock", "0,0,255", "-o", out)
    assert result.exit_code == 0, result.output
    assert Image.open(out).getpalette()[:9] == [255, 255, 255, 255, 0, 0, 0, 0, 255]
    for bad in ("nocolor", "1,2", "1,2,300"):
        failed = run("compress", workdir / "chelsea.png", "--lock", bad)
        assert failed.exit_code == 2 and "is not a colour" in failed.stderr
    too_many = run("compress", workdir / "chelsea.png", "-k", 1, "--lock", "red", "--lock", "blue")
    assert too_many.exit_code == 1 and "at most n_colors=1" in too_many.stderr


def test_compress_keep_icc(workdir):
    from .iccgen import SWAPPED

    source = workdir / "icc.png"
    Image.open(workdir / "chelsea.png").save(source, icc_profile=SWAPPED)
    converted = run("compress", source, "-o", workdir / "c.png", "--json")
    assert "converted from the embedded ICC profile 'swapped red and green'" in json.loads(converted.stdout)["notes"][0]
    assert Image.open(workdir / "c.png").info.get("icc_profile") is None
    kept = run("compress", source, "-o", workdir / "k.png", "--keep-icc", "--json")
    assert kept.exit_code == 0 and Image.open(workdir / "k.png").info["icc_profile"] == SWAPPED
    smallest = run("compress", source, "-o", workdir / "s.png", "--keep-icc", "--format", "smallest", "--json")
    assert Image.open(json.loads(smallest.stdout)["output"]).info["icc_profile"] == SWAPPED
