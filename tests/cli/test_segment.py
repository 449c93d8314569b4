import json

import numpy as np
import pytest
from PIL import Image

from ..conftest import DATA, sha256
from .helpers import bad_inputs, listing, run, segment_listing


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
    assert Image.open(folder / "overlay.png").mode == "P"  # clusters over 63 greys, and two inks
    assert Image.open(folder / "labels-color.png").mode == "P"
    assert sha256(source) == before


def test_segment_json_matches_the_file_and_every_option(workdir):
    out = workdir / "seg"
    result = run(
        "segment",
        workdir / "chelsea.png",
        "-k",
        3,
        "-o",
        out,
        "--spatial",
        4,
        "--min-region",
        40,
        "--sigma",
        0.5,
        "--colorspace",
        "rgb",
        "--seed",
        9,
        "--max-pixels",
        10**6,
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == json.loads((out / "segments.json").read_text())
    assert {key: data[key] for key in ("n_segments", "spatial", "min_region", "sigma", "colorspace", "seed")} == {
        "n_segments": 3,
        "spatial": 4.0,
        "min_region": 40,
        "sigma": 0.5,
        "colorspace": "rgb",
        "seed": 9,
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
    cases = bad_inputs(tmp_path)
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
        (["--spatial", "-1"], "-1.0 is not in the range 0<=x<=10000.0"),
        (["--spatial", "1e308"], "1e+308 is not in the range 0<=x<=10000.0"),
        (["--min-region", "-2"], "-2 is not in the range x>=0"),
        (["--sigma", "x"], "'x' is not a valid float"),
        (["--sigma", "automatic"], "'automatic' is not a valid float"),
        (["--min-region", "2.5"], "'2.5' is not a valid integer"),
        (["--overlay", "solid"], "'solid' is not one of 'clusters', 'mean'"),
        (["--colorspace", "hsv"], "'hsv' is not one of 'rgb', 'lab', 'oklab'"),
        (["--seed", "-1"], "-1 is not in the range x>=0"),
    ],
)
def test_segment_bad_options(workdir, args, message):
    result = run("segment", workdir / "chelsea.png", *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert listing(workdir) == ["chelsea.png", "rocket-vignette.png"]


def test_segment_defaults_are_chosen_from_the_image_and_can_be_turned_off(workdir):
    out = workdir / "auto"
    result = run(
        "segment", workdir / "chelsea.png", "-k", 5, "-o", out, "--sigma", "auto", "--min-region", "AUTO", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["sigma"], data["min_region"]) == (0.0, 68)  # a clean photo; 451 x 300 / 2000
    assert 10 <= data["n_regions"] <= 300 and min(r["area"] for r in data["regions"]) >= 68
    # --sigma 0 --min-region 0 gives the colour-only output of before the defaults, to the pixel
    off = workdir / "off"
    result = run(
        "segment",
        workdir / "chelsea.png",
        "-k",
        5,
        "-o",
        off,
        "--sigma",
        0,
        "--min-region",
        0,
        "--seed",
        0,
        "--colorspace",
        "lab",
    )
    assert result.exit_code == 0, result.output
    golden = np.asarray(Image.open(DATA / "segment-chelsea-k5-lab.png"))
    np.testing.assert_array_equal(np.asarray(Image.open(off / "labels.png")), golden)


def test_segment_overlay_modes(workdir):
    for mode, picture_mode in (("clusters", "P"), ("mean", "RGB")):
        out = workdir / mode
        result = run("segment", workdir / "chelsea.png", "-k", 3, "-o", out, "--overlay", mode)
        assert result.exit_code == 0, result.output
        overlay = Image.open(out / "overlay.png")
        assert overlay.mode == picture_mode and overlay.size == (451, 300)
    clusters = np.asarray(Image.open(workdir / "clusters" / "overlay.png").convert("RGB")).reshape(-1, 3)
    mean = np.asarray(Image.open(workdir / "mean" / "overlay.png")).reshape(-1, 3)
    # the cluster colours stand apart: few distinct colours but the greys under them
    assert len(np.unique(clusters, axis=0)) <= 3 * 84 + 2 < len(np.unique(mean, axis=0))
