import json

import numpy as np
import pytest
from PIL import Image

from ..conftest import sha256
from .helpers import run


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
    assert np.array_equal(
        np.asarray(Image.open(workdir / "a.png").convert("RGB")),
        np.asarray(Image.open(workdir / "c.png").convert("RGB")),
    )


@pytest.mark.parametrize("space", ["rgb", "oklab"])
def test_save_palette_then_apply_in_the_same_space_gives_the_same_image(workdir, space):
    palette = workdir / "p.hex"
    compressed = run(
        "compress",
        workdir / "chelsea.png",
        "-k",
        8,
        "-o",
        workdir / "c.png",
        "--save-palette",
        palette,
        "--colorspace",
        space,
    )
    assert compressed.exit_code == 0, compressed.output
    applied = run(
        "apply", workdir / "chelsea.png", "--palette", palette, "-o", workdir / "a.png", "--colorspace", space, "--json"
    )
    assert applied.exit_code == 0 and json.loads(applied.stdout)["colorspace"] == space
    assert np.array_equal(
        np.asarray(Image.open(workdir / "a.png").convert("RGB")),
        np.asarray(Image.open(workdir / "c.png").convert("RGB")),
    )


@pytest.mark.parametrize("command", ["apply", "compress"])
def test_a_given_palette_with_colorspace_and_dither(workdir, command):
    palette = workdir / "p.hex"
    palette.write_text("#000000\n#ffffff\n#c86432\n#3264c8\n")
    outputs = {}
    for name, options in [
        ("default", []),
        ("rgb", ["--colorspace", "rgb"]),
        ("dithered", ["--dither", "floyd-steinberg", "--dither-strength", 0.7]),
    ]:
        out = workdir / f"{name}.png"
        result = run(command, workdir / "chelsea.png", "--palette", palette, "-o", out, "--json", *options)
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["colorspace"] == ("rgb" if name == "rgb" else "din99o")
        assert any("dithering at strength 0.7" in n for n in report["notes"]) == (name == "dithered")
        outputs[name] = np.asarray(Image.open(out).convert("RGB"))
        assert Image.open(out).getpalette()[:12] == [0, 0, 0, 255, 255, 255, 200, 100, 50, 50, 100, 200]
    assert (outputs["default"] != outputs["rgb"]).any() and (outputs["default"] != outputs["dithered"]).any()
    bad = run(command, workdir / "chelsea.png", "--palette", palette, "--dither", "noise")
    assert bad.exit_code == 2 and "'noise' is not one of" in bad.stderr


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
