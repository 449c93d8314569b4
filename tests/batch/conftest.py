"""Fixtures of the batch tests: a folder of good and bad images, and manifests
compared without their timing fields."""

import json
import shutil

import pytest

from ..conftest import IMAGES


@pytest.fixture
def folder(tmp_path):
    """photos/ with a subfolder, a PNG without extension, a corrupt PNG, a .jpg that
    is not an image and a text file."""
    root = tmp_path / "photos"
    (root / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(IMAGES / "chelsea.png", root / "cat.png")
    shutil.copy(IMAGES / "rocket.jpg", root / "sub" / "rocket.jpg")
    shutil.copy(IMAGES / "rocket-vignette.png", root / "sub" / "deeper" / "vignette.png")
    shutil.copy(IMAGES / "chelsea.png", root / "sub" / "no-extension")
    data = bytearray((IMAGES / "chelsea.png").read_bytes())
    data[300:900] = bytes(600)
    (root / "corrupt.png").write_bytes(bytes(data))
    (root / "notes.jpg").write_text("not an image")
    (root / "readme.txt").write_text("not an image either, and not named like one")
    return root


@pytest.fixture
def report_folder(tmp_path):
    """in/ for the batch report: three photos (one with transparency), a JPEG whose
    PNG-8 is LARGER, and a broken PNG."""
    from PIL import Image

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("chelsea.png", "rocket.jpg", "rocket-vignette.png"):
        (folder / name).write_bytes((IMAGES / name).read_bytes())
    Image.open(IMAGES / "rocket.jpg").resize((96, 64)).save(folder / "tiny.jpg", quality=15)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    return folder


def timeless(manifest, *replace):
    """A manifest (dict, or the text of manifest.json) without its timing fields, with
    each (old, new) of ``replace`` applied to its text (folder names, say)."""
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    for old, new in replace:
        text = text.replace(old, new)
    data = json.loads(text)
    for key in ("started", "finished"):
        data.pop(key, None)
    data["totals"].pop("seconds", None)
    for entry in data["files"]:
        if entry.get("report"):
            entry["report"].pop("seconds", None)
    return data
