"""What the CLI tests share: running the app in-process or in a pseudo-terminal, and
listing outputs."""

import os
import subprocess

from click.testing import CliRunner

from quantize.cli import main

from ..conftest import IMAGES


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def bad_inputs(folder):
    photo = (IMAGES / "chelsea.png").read_bytes()
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("not an image at all")
    (folder / "cut.png").write_bytes(photo[: len(photo) // 3])
    corrupt = bytearray(photo)
    corrupt[300:900] = bytes(600)
    (folder / "corrupt.png").write_bytes(bytes(corrupt))
    (folder / "sub").mkdir()
    return {
        "missing.png": "no such file",
        "sub": "is a folder, not an image file",
        "empty.png": "file is empty (0 bytes)",
        "notes.jpg": "not an image file that Pillow can read",
        "cut.png": "truncated or corrupt image",
        "corrupt.png": "truncated or corrupt image",
    }


SEGMENT_FILES = ["labels.png", "labels-color.png", "overlay.png", "palette.png", "segments.json"]


def segment_listing(folder, k):
    return sorted(SEGMENT_FILES + [f"mask_{i}.png" for i in range(k)])


def in_a_terminal(command, columns, cwd):
    """Run ``command`` with stdin, stdout and stderr on a pseudo-terminal of ``columns``
    columns; all it wrote there."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env)
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(master)
    return output.decode("utf-8", "replace")
