"""compress plans every output of a call before it writes any: no output may be an
input of the call or another input's output, with or without --force (audit 2,
DL1 and DL2)."""

import shutil

import pytest

from ..conftest import IMAGES, sha256
from .helpers import listing, run


@pytest.fixture
def pair(tmp_path):
    """photo.jpg and photo.png, two different pictures."""
    shutil.copy(IMAGES / "rocket.jpg", tmp_path / "photo.jpg")
    shutil.copy(IMAGES / "chelsea.png", tmp_path / "photo.png")
    return tmp_path


def _untouched(folder, before):
    assert {p.name: sha256(p) for p in folder.iterdir()} == before


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_an_output_that_is_another_input_refuses_the_call(pair, force):
    before = {p.name: sha256(p) for p in pair.iterdir()}
    result = run("compress", pair / "photo.jpg", pair / "photo.png", "-k", 4, "--suffix", "", *force)
    assert result.exit_code == 1
    assert result.stderr == (
        f"quantize: error: {pair / 'photo.png'}: the output of {pair / 'photo.jpg'} would "
        f"overwrite the input image {pair / 'photo.png'} (outputs never replace a file that "
        "is read)\n"
    )
    assert result.stdout == ""
    _untouched(pair, before)


def test_a_default_name_that_is_another_input_refuses_the_call(workdir):
    shutil.copy(workdir / "rocket-vignette.png", workdir / "chelsea-q4.png")
    before = {p.name: sha256(p) for p in workdir.iterdir()}
    result = run("compress", workdir / "chelsea.png", workdir / "chelsea-q4.png", "-k", 4, "--force")
    assert result.exit_code == 1 and "would overwrite the input image" in result.stderr
    _untouched(workdir, before)


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_two_inputs_wanting_one_output_refuse_the_call(pair, force):
    before = {p.name: sha256(p) for p in pair.iterdir()}
    result = run("compress", pair / "photo.png", pair / "photo.jpg", "-k", 4, *force)
    assert result.exit_code == 1
    assert result.stderr == (
        f"quantize: error: {pair / 'photo-q4.png'}: the output of {pair / 'photo.jpg'} is "
        f"also the output of {pair / 'photo.png'}: two outputs cannot share a path\n"
    )
    _untouched(pair, before)
    assert listing(pair) == ["photo.jpg", "photo.png"]


def test_smallest_plans_both_formats(pair):
    shutil.copy(pair / "photo.png", pair / "photo-q4.webp")
    before = {p.name: sha256(p) for p in pair.iterdir()}
    result = run("compress", pair / "photo.png", pair / "photo-q4.webp", "-k", 4, "--format", "smallest", "--force")
    assert result.exit_code == 1 and "would overwrite the input image" in result.stderr
    _untouched(pair, before)


def test_an_input_reached_through_a_link_is_that_file(pair):
    (pair / "photo-q4.png").write_bytes((pair / "photo.png").read_bytes())
    (pair / "alias.png").symlink_to(pair / "photo-q4.png")
    before = sha256(pair / "photo-q4.png")
    result = run("compress", pair / "photo.jpg", pair / "alias.png", "-k", 4, "--force")
    assert result.exit_code == 1 and "would overwrite the input image" in result.stderr
    assert sha256(pair / "photo-q4.png") == before


def test_the_palette_file_and_save_palette_are_in_the_plan(workdir):
    palette = workdir / "brand.json"
    assert run("palette", workdir / "chelsea.png", "-k", 4, "--format", "json", "-o", palette).exit_code == 0
    before = sha256(palette)
    result = run("compress", workdir / "chelsea.png", "--palette", palette, "-o", palette, "--force")
    assert result.exit_code == 1 and "would overwrite the palette file" in result.stderr
    result = run(
        "compress", workdir / "chelsea.png", "-k", 4, "-o", workdir / "x.png", "--save-palette", workdir / "x.png"
    )
    assert result.exit_code == 1 and "two outputs cannot share a path" in result.stderr
    assert sha256(palette) == before and not (workdir / "x.png").exists()


def test_an_unreadable_input_still_fails_on_its_turn(workdir):
    result = run("compress", workdir / "missing.png", workdir / "chelsea.png", "-k", 4)
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {workdir / 'missing.png'}: no such file\n"
    assert (workdir / "chelsea-q4.png").exists()
