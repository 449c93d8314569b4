"""files/write.py: the permissions of what is written, and the umask left alone."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from quantize.errors import OutputError
from quantize.files.encode import save_quantized
from quantize.files.write import atomic_write, check_output_path

pytestmark = pytest.mark.skipif(os.name != "posix", reason="umask is POSIX")


def test_a_umask_set_after_import_is_the_one_applied(tmp_path):
    saved = os.umask(0o077)
    try:
        atomic_write(tmp_path / "private.bin", lambda handle: handle.write(b"x"))
    finally:
        os.umask(saved)
    assert (tmp_path / "private.bin").stat().st_mode & 0o777 == 0o600


def test_importing_quantize_never_opens_the_umask(tmp_path):
    """Files and folders another thread creates while quantize is imported keep the
    process's umask (quantize once set it to 0 for the length of its imports)."""
    script = f"""
import os, sys, threading
os.umask(0o077)
stop = threading.Event()
def create():
    i = 0
    while not stop.is_set():
        open(os.path.join({str(tmp_path)!r}, f"f{{i}}"), "w").close()
        os.mkdir(os.path.join({str(tmp_path)!r}, f"d{{i}}"))
        i += 1
thread = threading.Thread(target=create)
thread.start()
import quantize, quantize.cli, quantize.batch, quantize.segmentation
stop.set()
thread.join()
print(oct(os.umask(0o077)))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0o77"
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes
    opened = sorted(name for name, mode in modes.items() if mode & 0o077)
    assert opened == []


def test_check_folder_and_leftover_parts_of_a_missing_folder(tmp_path):
    from quantize.errors import OutputError
    from quantize.files.write import check_folder, leftover_parts

    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        check_folder(tmp_path / "file")
    check_folder(tmp_path)  # a folder, or nothing yet: fine
    check_folder(tmp_path / "new")
    assert leftover_parts(tmp_path / "new") == []


def test_existing_names_the_locations_found(tmp_path):
    from quantize.files.discover import existing

    (tmp_path / "a.png").write_bytes(b"x")
    assert existing([tmp_path / "a.png", tmp_path / "b.png", None]) == {tmp_path / "a.png"}


def test_an_image_and_its_palette_are_written_both_or_neither(tmp_path):
    import numpy as np

    from quantize.errors import OutputError
    from quantize.files.palettes import save_image_and_palette

    (tmp_path / "taken.json").write_text("{}")
    with pytest.raises(OutputError):
        save_image_and_palette(
            tmp_path / "out.png", b"data", palette_path=tmp_path / "taken.json", palette=np.zeros((2, 3), np.uint8)
        )
    assert not (tmp_path / "out.png").exists() and (tmp_path / "taken.json").read_text() == "{}"
    save_image_and_palette(
        tmp_path / "out.png", b"data", palette_path=tmp_path / "p.json", palette=np.zeros((2, 3), np.uint8)
    )
    assert (tmp_path / "out.png").read_bytes() == b"data" and (tmp_path / "p.json").exists()


LABELS = np.array([[0, 1, -1], [2, 1, 0]])


PALETTE = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)


def test_refuses_to_overwrite_without_flag(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="file exists"):
        save_quantized(target, LABELS[:, :2], PALETTE)
    assert target.read_bytes() == b"keep me"
    save_quantized(target, LABELS[:, :2], PALETTE, overwrite=True)
    assert Image.open(target).mode == "P"


def test_never_overwrites_the_protected_input(tmp_path):
    target = tmp_path / "in.png"
    target.write_bytes(b"original")
    with pytest.raises(OutputError, match="would overwrite the input"):
        save_quantized(target, LABELS[:, :2], PALETTE, overwrite=True, protect=target)
    assert target.read_bytes() == b"original"


def test_unwritable_destinations(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot write in folder|does not exist"):
        save_quantized(tmp_path / "file" / "out.png", LABELS[:, :2], PALETTE)
    with pytest.raises(OutputError, match="folder .* does not exist"):
        save_quantized(tmp_path / "missing" / "out.png", LABELS[:, :2], PALETTE)
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        check_output_path(tmp_path / "dir.png", overwrite=True)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    def explode(handle):
        handle.write(b"half")
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "out.bin", explode)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_respects_umask(tmp_path):
    atomic_write(tmp_path / "out.bin", lambda handle: handle.write(b"data"))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out.bin").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "out.bin").read_bytes() == b"data"
