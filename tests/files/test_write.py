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
