"""Fixtures of the CLI tests: folders of sample images to run the commands in."""

import shutil

import pytest

from ..conftest import IMAGES


@pytest.fixture
def workdir(tmp_path):
    for name in ("chelsea.png", "rocket-vignette.png"):
        shutil.copy(IMAGES / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(IMAGES / "chelsea.png", folder / "cat.png")
    shutil.copy(IMAGES / "rocket.jpg", folder / "sub" / "rocket.jpg")
    (folder / "fake.jpg").write_text("not an image")
    return folder
