"""Every example of every ``--help``, pasted in order into a shell in a fresh folder,
succeeds: the order of the README's tour (compress before apply, which uses the
palette compress saved).  The folder holds only the files the examples name."""

import os
import re
import shutil
import stat
import subprocess
import sys

import pytest
from PIL import Image

from ..conftest import IMAGES
from .helpers import run

#: The commands in the order their examples run; preview serves until stopped, and
#: has no example.
ORDER = ["", "compress", "apply", "palette", "segment", "suggest-k", "batch"]


def examples(command):
    """The example lines of ``quantize <command> --help``, in order."""
    text = run(*command.split(), "--help").stdout
    block = re.search(r"^  Examples?:\n((?:      .*\n)+)", text, re.MULTILINE)
    return [line.strip() for line in block.group(1).splitlines()] if block else []


def _fresh_folder(folder):
    photo = Image.open(IMAGES / "chelsea.png").convert("RGB")
    photo.save(folder / "photo.jpg", quality=92)
    shutil.copy(IMAGES / "rocket-vignette.png", folder / "logo.png")
    shutil.copy(IMAGES / "chelsea.png", folder / "a.png")
    photo.convert("L").convert("RGB").save(folder / "scan.png")
    (folder / "shots").mkdir()
    shutil.copy(IMAGES / "chelsea.png", folder / "shots" / "cat.png")
    photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "shots" / "cat-flipped.png")
    (folder / "photos" / "more").mkdir(parents=True)
    photo.save(folder / "photos" / "cat.jpg", quality=90)
    shutil.copy(IMAGES / "rocket.jpg", folder / "photos" / "rocket.jpg")
    shutil.copy(IMAGES / "chelsea.png", folder / "photos" / "more" / "cat.png")


def test_every_command_but_preview_has_examples():
    assert all(examples(command) for command in ORDER)
    assert examples("preview") == []  # it serves until Ctrl-C: nothing to paste and see finish


@pytest.mark.slow
def test_help_examples_run_in_order_in_a_fresh_folder(tmp_path):
    pytest.importorskip("distributed", reason="the batch example starts a local Dask cluster")
    pytest.importorskip("matplotlib", reason="the suggest-k example draws a plot")
    folder, bin_dir = tmp_path / "work", tmp_path / "bin"
    folder.mkdir()
    bin_dir.mkdir()
    _fresh_folder(folder)
    launcher = bin_dir / "quantize"
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} -m quantize "$@"\n')
    launcher.chmod(launcher.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    ran = []
    for command in ORDER:
        for line in examples(command):
            done = subprocess.run(
                ["bash", "-c", line], cwd=folder, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"{line}\n{done.stderr}"
            assert "Traceback" not in done.stderr and "error" not in done.stderr, f"{line}\n{done.stderr}"
            ran.append(line)
    assert len(ran) == sum(len(examples(command)) for command in ORDER) >= 15
    # what they promise is there, and no example took another's output for an input
    assert (folder / "photo-q16.png").exists() and (folder / "brand.json").exists()
    assert sorted(p.name for p in (folder / "shots").iterdir()) == [
        "cat-flipped-q16.webp",
        "cat-flipped.png",
        "cat-q16.webp",
        "cat.png",
    ]
    assert (folder / "photo-segments").is_dir() and (folder / "smooth").is_dir()
    assert (folder / "report.html").exists() and (folder / "photos-quantized" / "more" / "cat.png").exists()
