import json
import sys

import pytest
from PIL import Image

from .helpers import run


@pytest.mark.slow
def test_suggest_k_table_json_and_plot(workdir):
    result = run("suggest-k", workdir / "chelsea.png", "--k-min", 2, "--k-max", 8, "--seed", 4)
    assert result.exit_code == 0, result.output
    assert "elbow of the inertia curve" in result.stdout and "best silhouette" in result.stdout
    assert "recommended: k = " in result.stdout
    loose = run("suggest-k", workdir / "chelsea.png", "--k-max", 8, "--max-delta-e", 50, "--json")
    assert loose.exit_code == 0 and json.loads(loose.stdout)["recommended"] == 2  # every k is under 50
    assert json.loads(loose.stdout)["max_delta_e"] == 50
    assert run("suggest-k", workdir / "chelsea.png", "--max-delta-e", -1).exit_code == 2
    plot = workdir / "curves.png"
    as_json = run(
        "suggest-k",
        workdir / "chelsea.png",
        "--k-max",
        8,
        "--json",
        "--plot",
        plot,
        "--algorithm",
        "lloyd",
        "--init",
        "random",
        "--max-pixels",
        10**6,
    )
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert [row["k"] for row in data["table"]] == list(range(2, 9)) and 2 <= data["elbow"] <= 8
    assert data["colorspace"] == "din99o" and "clustered in din99o" in result.stdout
    in_lab, in_rgb = (
        run("suggest-k", workdir / "chelsea.png", "--k-max", 4, "--colorspace", space, "--json")
        for space in ("lab", "rgb")
    )
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
