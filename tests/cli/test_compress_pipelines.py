"""compress in pipelines: many inputs, default names, stdin/stdout, --skip-if-larger,
quality ranges, -v/-q."""

import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ..conftest import IMAGES, sha256
from .helpers import listing, run


def test_many_inputs_each_to_its_output_and_one_bad_does_not_stop_the_rest(workdir):
    (workdir / "bad.png").write_text("not an image")
    before = {p.name: sha256(p) for p in workdir.iterdir()}
    result = run(
        "compress", workdir / "chelsea.png", workdir / "bad.png", workdir / "rocket-vignette.png", "-k", 8, "--json"
    )
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {workdir / 'bad.png'}: not an image file that Pillow can read\n"
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["done", "failed", "done"]
    assert lines[1]["input"] == str(workdir / "bad.png") and "not an image" in lines[1]["reason"]
    assert listing(workdir) == sorted([*before, "chelsea-q8.png", "rocket-vignette-q8.png"])
    assert all(sha256(workdir / name) == digest for name, digest in before.items())
    text = run("compress", workdir / "chelsea.png", workdir / "rocket-vignette.png", "-k", 8, "--force")
    assert text.exit_code == 0 and text.stdout.count(" px, ") == 2


@pytest.mark.parametrize(
    "args, names",
    [
        (["--ext", ".webp"], ["chelsea-q8.webp"]),
        (["--suffix", "-small"], ["chelsea-small.png"]),
        (["--suffix", "", "--ext", ".gif"], ["chelsea.gif"]),
        (["--ext", "-fs8.png"], ["chelsea-fs8.png"]),
        (["--format", "gif"], ["chelsea-q8.gif"]),
    ],
)
def test_ext_and_suffix_name_the_outputs(workdir, args, names):
    result = run("compress", workdir / "chelsea.png", "-k", 8, *args)
    assert result.exit_code == 0, result.output
    assert listing(workdir) == sorted(["chelsea.png", "rocket-vignette.png", *names])
    assert len(Image.open(workdir / names[0]).convert("RGB").getcolors()) <= 8


def test_target_outputs_get_names_of_their_own(workdir):
    for args in (
        ["--quality", "30"],
        ["--max-delta-e", "4"],
        ["--quality", "28-30"],
        ["--quality", "30", "--max-delta-e", "4"],
    ):
        assert run("compress", workdir / "chelsea.png", *args).exit_code == 0
    assert listing(workdir) == [
        "chelsea-de4.png",
        "chelsea-q28-30dB.png",
        "chelsea-q30dB-de4.png",
        "chelsea-q30dB.png",
        "chelsea.png",
        "rocket-vignette.png",
    ]


def test_quality_range(workdir):
    out = workdir / "r.png"
    accepted = run("compress", workdir / "chelsea.png", "-k", 4, "--quality", "20-45", "-o", out, "--json")
    assert accepted.exit_code == 0 and out.exists()
    report = json.loads(accepted.stdout)
    assert report["colors_used"] == 4 and 20 <= report["psnr"] < 45
    assert "is within --quality 20-45" in report["notes"][-1]
    below = run("compress", workdir / "chelsea.png", "-k", 4, "--quality", "40-45", "-o", workdir / "b.png")
    assert below.exit_code == 3 and not (workdir / "b.png").exists()
    assert "target not met: 4 colours reach" in below.stderr and below.stderr.count("\n") == 1
    met = json.loads(
        run("compress", workdir / "chelsea.png", "--quality", "20-30", "-o", workdir / "m.png", "--json").stdout
    )
    assert met["status"] == "done" and met["colors_used"] < 256 and met["psnr"] >= 30


def test_quality_on_pngquants_scale_gets_a_hint(workdir):
    result = run("compress", workdir / "chelsea.png", "--quality", "65-80")
    assert result.exit_code == 3 and "--quality pngquant:Q reads pngquant's 0-100 scale" in result.stderr
    assert "PSNR in dB" in run("compress", "--help").stdout


def test_quality_named_pngquant_reads_its_scale(workdir):
    from quantize.metrics.pngquant import pngquant_quality_to_psnr

    result = run("compress", workdir / "chelsea.png", "--quality", "pngquant:30-40", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    low, high = pngquant_quality_to_psnr(30), pngquant_quality_to_psnr(40)
    assert report["output"] == str(workdir / f"chelsea-q{low:g}-{high:g}dB.png")
    assert report["psnr"] >= low and report["colors_used"] < 64  # as pngquant: a few dozen colours
    one = json.loads(run("compress", workdir / "chelsea.png", "--quality", "PNGQUANT:40", "--json").stdout)
    assert one["psnr"] >= high and one["colors_used"] == report["colors_used"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pngquant:0", "pngquant's quality 0 accepts anything"),
        ("pngquant:101", "101.0 is not in the range 0<=x<=100"),
        ("pngquant:80-60", "MIN is above MAX"),
        ("pngquant:x", "'x' is not a valid float"),
    ],
)
def test_bad_pngquant_quality(workdir, value, message):
    result = run("compress", workdir / "chelsea.png", "--quality", value)
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_batch_quality_takes_one_value_on_either_scale(photos, tmp_path):
    ranged = run("batch", photos, "-o", tmp_path / "o", "--quality", "pngquant:60-70")
    assert ranged.exit_code == 2 and "one value here, not MIN-MAX" in ranged.stderr
    single = run("batch", photos, "-o", tmp_path / "o", "--quality", "pngquant:70", "--json", "--exclude", "fake.jpg")
    assert single.exit_code == 0, single.output
    assert json.loads(single.stdout)["parameters"]["quality"] == 36.15


def test_skip_if_larger_writes_nothing_and_exits_98(tmp_path):
    tiny = tmp_path / "flat.jpg"  # a small JPEG: a 16-colour PNG of it is larger
    Image.open(IMAGES / "chelsea.png").convert("RGB").save(tiny, quality=20)
    result = run("compress", tiny, "--skip-if-larger", "--json")
    assert result.exit_code == 98, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "skipped" and report["output"] is None and report["output_bytes"] is None
    assert "--skip-if-larger" in report["reason"] and listing(tmp_path) == ["flat.jpg"]
    assert "(not written)" in run("compress", tiny, "--skip-if-larger").stdout
    shutil.copy(IMAGES / "chelsea.png", tmp_path / "big.png")
    both = run("compress", tiny, tmp_path / "big.png", "--skip-if-larger")
    assert both.exit_code == 98 and listing(tmp_path) == ["big-q16.png", "big.png", "flat.jpg"]


def test_quiet_and_verbose(workdir):
    quiet = run("compress", workdir / "chelsea.png", "-q")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert (workdir / "chelsea-q16.png").exists()
    assert json.loads(run("compress", workdir / "chelsea.png", "-q", "--json", "--force").stdout)["status"] == "done"
    verbose = run("compress", workdir / "chelsea.png", "-v", "--force")
    assert "PSNR" in verbose.stdout
    steps = verbose.stderr.splitlines()
    assert len(steps) == 3 and all(line.startswith("quantize: ") for line in steps)
    assert "451x300 px read in" in steps[0] and "wrote" in steps[2]
    both = run("compress", workdir / "chelsea.png", "-q", "-v")
    assert both.exit_code == 2 and "exclude each other" in both.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--quality", "40-30"], "MIN is above MAX"),
        (["--quality", "x-30"], "'x' is not a valid float"),
        (["--quality", "nan"], "is not a finite number"),
        (["--quality", "0-30"], "is not in the range x>0"),
        (["--ext", "png"], "is not a file ending"),
        (["--ext", ".xyz"], "cannot tell the image format from the ending"),
        (["--format", "jpg2000"], "'jpg2000' is not one of"),
        (["--format", "gif", "-o", "{dir}/o.png"], "--format gif disagrees with the extension"),
        (["-o", "{dir}/o.png", "--suffix", "-x"], "--suffix and --ext are for default names"),
        (["{dir}/rocket-vignette.png", "-o", "{dir}/o.png"], "with several inputs use --suffix or --ext"),
        (["-", "-"], "stdin ('-') can be read once"),
    ],
)
def test_bad_pipeline_options(workdir, args, message):
    args = [a.format(dir=workdir) for a in args]
    result = run("compress", workdir / "chelsea.png", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert listing(workdir) == ["chelsea.png", "rocket-vignette.png"]


def _cli(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "quantize", *map(str, args)], input=stdin, capture_output=True)


@pytest.mark.slow
def test_stdin_to_stdout_through_a_pipe(tmp_path):
    data = (IMAGES / "chelsea.png").read_bytes()
    done = _cli("compress", "-", "-k", 8, stdin=data)
    assert done.returncode == 0, done.stderr
    image = Image.open(io.BytesIO(done.stdout))
    assert image.format == "PNG" and image.mode == "P" and image.size == (451, 300)
    assert b"<stdin>" not in done.stderr and b"- -> -" in done.stderr and b"PSNR" in done.stderr
    webp = _cli("compress", "-", "-o", "-", "--format", "webp", "--json", stdin=data)
    assert Image.open(io.BytesIO(webp.stdout)).format == "WEBP"
    assert json.loads(webp.stderr)["output_bytes"] == len(webp.stdout)
    quiet = _cli("compress", "-", "-q", "-o", tmp_path / "x.png", stdin=data)
    assert quiet.returncode == 0 and quiet.stdout == b"" and quiet.stderr == b""
    assert (tmp_path / "x.png").exists()
    to_stdout = _cli("compress", IMAGES / "chelsea.png", "-o", "-", "-k", 4)
    assert len(Image.open(io.BytesIO(to_stdout.stdout)).getcolors()) == 4
    broken = _cli("compress", "-", stdin=b"not an image")
    assert broken.returncode == 1 and broken.stdout == b""
    assert broken.stderr == b"quantize: error: -: not an image file that Pillow can read\n"
    empty = _cli("compress", "-", stdin=b"")
    assert empty.returncode == 1 and empty.stderr == b"quantize: error: -: no data (0 bytes)\n"


def test_jpeg_to_stdout_is_measured_as_decoded():
    done = _cli("compress", IMAGES / "chelsea.png", "-o", "-", "--format", "jpeg", "--json")
    report = json.loads(done.stderr)
    decoded = np.asarray(Image.open(io.BytesIO(done.stdout)))
    assert report["colors_used"] == len(np.unique(decoded.reshape(-1, 3), axis=0)) > 16


def test_quality_help_quotes_the_pngquant_mapping():
    from quantize.metrics.pngquant import pngquant_quality_to_psnr

    text = " ".join(run("compress", "--help").stdout.split())
    low, high = pngquant_quality_to_psnr(65), pngquant_quality_to_psnr(80)
    assert f"pngquant:65-80 is {low:.1f}-{high:.1f} dB" in text
