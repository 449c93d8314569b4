"""Standard input and output that fail: a full disk behind stdout, a closed or
endless stdin.  One line on stderr and exit 1, never a traceback (audit 2, T1)."""

import os
import subprocess
import sys

import pytest

from ..conftest import IMAGES

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


def _quantize(args, cwd, **options):
    return subprocess.run([sys.executable, "-m", "quantize", *map(str, args)], cwd=cwd, capture_output=True, **options)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["compress", "c.png", "-o", "-", "-q"],
        ["compress", "c.png", "-k", 4, "-o", "out.png", "--json"],
        ["palette", "c.png", "-k", 4],
        ["segment", "c.png", "-k", 3, "-o", "segs", "--json"],
        ["suggest-k", "c.png", "--k-max", 4],
    ],
)
def test_a_full_stdout_is_one_line(tmp_path, args):
    (tmp_path / "c.png").write_bytes((IMAGES / "chelsea.png").read_bytes())
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "quantize", *map(str, args)],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 1
    assert done.stderr == "quantize: error: cannot write to standard output: no space left on device\n"


def test_a_closed_stdin_is_one_line(tmp_path):
    done = _quantize(["compress", "-", "-o", "out.png"], tmp_path, stdin=subprocess.DEVNULL)
    assert done.returncode == 1 and done.stderr == b"quantize: error: -: no data (0 bytes)\n"
    code = "import sys; sys.stdin.close(); sys.stdin = None; from quantize.cli import main; main()"
    closed = subprocess.run(
        [sys.executable, "-c", code, "compress", "-", "-o", "out.png"], cwd=tmp_path, capture_output=True, text=True
    )
    assert closed.returncode == 1 and closed.stderr == "quantize: error: -: standard input is closed\n"
    assert not (tmp_path / "out.png").exists()


def test_an_endless_stdin_is_refused_past_what_an_image_can_take(tmp_path):
    """8 bytes a pixel of --max-pixels and 16 MiB: the stream is not held whole."""
    process = subprocess.Popen(
        [sys.executable, "-m", "quantize", "compress", "-", "-o", "out.png", "--max-pixels", "1000"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=False,
    )
    zeros = bytes(1 << 20)
    try:
        for _ in range(64):  # 64 MiB, more than 16 MiB + 8,000 bytes
            process.stdin.write(zeros)
    except BrokenPipeError:
        pass  # refused before the end, as it should be
    process.stdin.close()
    assert process.wait(timeout=60) == 1
    assert process.stderr.read().decode() == (
        "quantize: error: -: more than 16,785,216 bytes on standard input, more than an image of 1,000 pixels "
        "takes (raise --max-pixels if you trust this stream)\n"
    )


def test_an_unreadable_stdin_is_an_image_error(monkeypatch):
    import io

    from quantize.errors import ImageError
    from quantize.files.read import read_stdin

    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Broken())))
    with pytest.raises(ImageError, match="cannot read standard input: input/output error") as caught:
        read_stdin()
    assert str(caught.value.path) == "-"
