import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize.quantization.report import JSON_KEYS

from ..conftest import sha256
from .helpers import bad_inputs, listing, run


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
    assert list(report) == ["status", "reason", *JSON_KEYS]
    assert (report["status"], report["reason"]) == ("done", None)
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
    assert (
        0 < measured["ssim"] <= 1
        and "SSIM" in run("compress", workdir / "chelsea.png", "-k", 8, "--ssim", "--force").stdout
    )


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
    result = run(
        "compress", workdir / "chelsea.png", "-k", 6, "-o", out, "--algorithm", algorithm, "--init", init, "--json"
    )
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


def test_bad_inputs_get_one_line_and_exit_1(tmp_path):
    cases = bad_inputs(tmp_path)
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


def test_compress_does_not_load_the_segmentation_stack():
    """scipy.ndimage and skimage's segmentation cost a quarter of a second at start-up."""
    code = (
        "import sys, quantize.cli; print('scipy.ndimage' in sys.modules, 'skimage.measure' in sys.modules, "
        "'skimage.segmentation' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "False"]
    from quantize import SegmentResult, segment_image  # served on first use

    assert segment_image.__module__ == "quantize.segmentation.api"
    assert SegmentResult.__module__ == "quantize.segmentation.result"


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


def test_compress_quality_target_and_exit_code_3(workdir):
    result = run("compress", workdir / "chelsea.png", "--quality", 32, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["psnr"] >= 32 and report["output"] == str(workdir / "chelsea-q32dB.png")
    assert "the smallest k meeting the target" in report["notes"][-1] and report["colors_requested"] == 256
    missed = run("compress", workdir / "chelsea.png", "-k", 4, "--max-delta-e", 1, "-o", workdir / "m.png")
    assert missed.exit_code == 3
    expected = f"quantize: error: {workdir / 'chelsea.png'}: target not met: 4 colours reach mean ΔE2000"
    assert missed.stderr.startswith(expected)
    assert missed.stderr.count("\n") == 1 and missed.stderr.count("not met") == 1  # said once
    assert not (workdir / "m.png").exists()
    forced = run(
        "compress", workdir / "chelsea.png", "-k", 4, "--quality", 40, "-o", workdir / "m.png", "--force-output"
    )
    assert forced.exit_code == 3 and (workdir / "m.png").exists()
    assert "target not met" in forced.stdout
    bad = run("compress", workdir / "chelsea.png", "--quality", 0)
    assert bad.exit_code == 2 and "0.0 is not in the range x>0" in bad.stderr


@pytest.mark.parametrize("method", ["none", "floyd-steinberg", "ordered"])
def test_compress_dither_options(workdir, method):
    out = workdir / f"{method}.png"
    result = run(
        "compress", workdir / "chelsea.png", "-k", 8, "--dither", method, "--dither-strength", 0.8, "-o", out, "--json"
    )
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


def test_compress_lock_option(workdir):
    out = workdir / "l.png"
    result = run(
        "compress",
        workdir / "chelsea.png",
        "-k",
        6,
        "--lock",
        "white",
        "--lock",
        "#ff0000",
        "--lock",
        "0,0,255",
        "-o",
        out,
    )
    assert result.exit_code == 0, result.output
    assert Image.open(out).getpalette()[:9] == [255, 255, 255, 255, 0, 0, 0, 0, 255]
    for bad in ("nocolor", "1,2", "1,2,300"):
        failed = run("compress", workdir / "chelsea.png", "--lock", bad)
        assert failed.exit_code == 2 and "is not a colour" in failed.stderr
    too_many = run("compress", workdir / "chelsea.png", "-k", 1, "--lock", "red", "--lock", "blue")
    assert too_many.exit_code == 1 and "at most n_colors=1" in too_many.stderr


def test_compress_keep_icc(workdir):
    from ..iccgen import SWAPPED

    source = workdir / "icc.png"
    Image.open(workdir / "chelsea.png").save(source, icc_profile=SWAPPED)
    converted = run("compress", source, "-o", workdir / "c.png", "--json")
    assert "converted from the embedded ICC profile 'swapped red and green'" in json.loads(converted.stdout)["notes"][0]
    assert Image.open(workdir / "c.png").info.get("icc_profile") is None
    kept = run("compress", source, "-o", workdir / "k.png", "--keep-icc", "--json")
    assert kept.exit_code == 0 and Image.open(workdir / "k.png").info["icc_profile"] == SWAPPED
    smallest = run("compress", source, "-o", workdir / "s.png", "--keep-icc", "--format", "smallest", "--json")
    assert Image.open(json.loads(smallest.stdout)["output"]).info["icc_profile"] == SWAPPED


def _decoded(path):
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.mark.slow
@pytest.mark.parametrize("k", [16, 100000])
def test_jpeg_report_describes_the_decoded_file(workdir, k):
    from quantize.metrics.image import psnr

    result = run("compress", workdir / "chelsea.png", "-k", k, "-o", workdir / "o.jpg", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    decoded = _decoded(workdir / "o.jpg")
    assert report["colors_used"] == len(np.unique(decoded.reshape(-1, 3), axis=0))
    assert report["psnr"] == pytest.approx(psnr(_decoded(workdir / "chelsea.png"), decoded))
    assert report["raw_ratio"] is None and "JPEG is lossy" in report["notes"][-1]
    text = run("compress", workdir / "chelsea.png", "-k", k, "-o", workdir / "o.jpg", "--force").stdout
    assert "\n  identical to the input" not in text and "\n  PSNR" in text


@pytest.mark.parametrize("name", ["o.gif", "o.png", "o.webp", "o.bmp", "o.tif"])
def test_lossless_report_matches_the_decoded_file(workdir, name):
    from quantize.metrics.image import psnr

    report = json.loads(run("compress", workdir / "chelsea.png", "-k", 12, "-o", workdir / name, "--json").stdout)
    decoded = _decoded(workdir / name)
    assert report["colors_used"] == len(np.unique(decoded.reshape(-1, 3), axis=0)) == 12
    assert report["psnr"] == pytest.approx(psnr(_decoded(workdir / "chelsea.png"), decoded), abs=1e-9)
    assert (report["raw_ratio"] is None) == (name == "o.webp")


def test_keep_icc_with_a_format_that_cannot_carry_it(workdir):
    from ..iccgen import SWAPPED

    source = workdir / "icc.png"
    Image.open(workdir / "chelsea.png").save(source, icc_profile=SWAPPED)
    notes = json.loads(run("compress", source, "-o", workdir / "k.gif", "--keep-icc", "--json").stdout)["notes"]
    assert "GIF cannot carry an ICC profile: the profile was dropped" in notes[-1]
    assert not any("is kept in the output" in note for note in notes)
    assert "icc_profile" not in Image.open(workdir / "k.gif").info


@pytest.mark.slow
def test_quality_search_shows_its_fits_in_a_terminal(tmp_path):
    """A quality search of more than a second shows a fits bar that fits the terminal."""
    import re
    import sys

    from ..conftest import IMAGES
    from .helpers import in_a_terminal

    photo = np.asarray(Image.open(IMAGES / "chelsea.png").convert("RGB"))
    rng = np.random.default_rng(0)
    big = np.clip(np.tile(photo, (8, 8, 1)).astype(int) + rng.integers(-9, 10, (2400, 3608, 3)), 0, 255)
    Image.fromarray(big.astype(np.uint8)).save(tmp_path / "big.png")
    text = in_a_terminal(
        [
            sys.executable,
            "-m",
            "quantize",
            "compress",
            str(tmp_path / "big.png"),
            "--quality",
            "33",
            "-k",
            "256",
            "-o",
            str(tmp_path / "out.png"),
        ],
        45,
        tmp_path,
    )
    text = re.sub(r"\x1b\[\?25[lh]", "", text)
    bars = [piece for line in text.split("\n") for piece in line.split("\r") if piece.startswith("quality search")]
    assert bars, text
    done, most = map(int, re.search(r"(\d+)/(\d+)", bars[-1]).groups())
    assert done == most and {len(bar) for bar in bars} == {44}
    assert (tmp_path / "out.png").exists()


def test_a_big_still_reports_its_read_and_quantise_steps(workdir, monkeypatch):
    """The steps bar's calls, wired (its drawing is the bars' own, tested in terminals);
    a quality search draws its fits instead."""
    import quantize.cli.compress_run as compress_cli

    calls = []

    class Recorder:
        def __init__(self, enabled, steps):
            calls.append(("made", steps))

        def __call__(self, done, total):
            calls.append((done, total))

        def close(self):
            calls.append("closed")

    monkeypatch.setattr(compress_cli, "StepProgress", Recorder)
    assert run("compress", workdir / "chelsea.png", "-k", 8, "-o", workdir / "a.png").exit_code == 0
    assert calls == [("made", ["read", "quantise", "encode"]), (1, 3), (2, 3), (3, 3), "closed"]
