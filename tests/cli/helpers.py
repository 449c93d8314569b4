"""What the CLI tests share: running the app in-process and listing outputs."""


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
