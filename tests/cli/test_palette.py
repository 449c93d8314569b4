import json

import pytest

from .helpers import run


@pytest.mark.parametrize("kind", ["json", "gpl", "css", "hex", "png"])
def test_palette_command_round_trips_through_apply(workdir, kind):
    out = workdir / f"p.{kind}"
    result = run("palette", workdir / "chelsea.png", "-k", 5, "-o", out, "--seed", 2)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"5 colours -> {out}\n"
    from quantize.files.palettes import load_palette

    loaded = load_palette(out)
    shown = run("palette", workdir / "chelsea.png", "-k", 5, "--seed", 2, "--format", "json")
    entries = json.loads(shown.stdout)["colors"]
    assert loaded.tolist() == [e["rgb"] for e in entries]  # same palette, same order
    assert [e["share"] for e in entries] == sorted((e["share"] for e in entries), reverse=True)
    assert sum(e["share"] for e in entries) == pytest.approx(1.0, abs=5e-4)
    assert all(e["share"] == round(e["share"], 4) for e in entries)  # rounded for people, not 17 digits
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
    assert (
        run("palette", workdir / "chelsea.png", "-o", workdir / "p.hex", "--force", "--max-pixels", 10**6).exit_code
        == 0
    )
    combined = run("compress", workdir / "chelsea.png", "--palette", workdir / "p.hex", "--quality", 30)
    assert combined.exit_code == 2 and "cannot be combined with a quality target" in combined.stderr
