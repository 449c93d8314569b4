"""files/write.py: the permissions of what is written, and the umask left alone."""

import os
import subprocess
import sys

import pytest

from quantize.files.write import atomic_write

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
