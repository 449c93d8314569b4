"""Shared fixtures: generated images of every kind the pipeline accepts."""

import hashlib
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "images"
DATA = Path(__file__).resolve().parent / "data"


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def disk_full_after(monkeypatch, writes):
    """Make every atomic write after the first ``writes`` fail as a full disk does
    (ENOSPC from fsync).  Returns the list of fsync calls; clear it to start over."""
    import errno

    import quantize.files.write as qio

    real, calls = qio.os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) > writes:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(qio.os, "fsync", fsync)
    return calls


def write_png16(path, array):
    """A minimal 16-bit PNG writer (grey, grey + alpha, RGB, RGBA): Pillow cannot write
    16-bit colour PNGs, and the loader must read them."""
    array = np.asarray(array, dtype=">u2")
    if array.ndim == 2:
        array = array[..., None]
    height, width, channels = array.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\x00" + row.tobytes() for row in array)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    Path(path).write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


def blocks_image(colors, block=8, repeat=(4, 4), seed=0):
    """An RGB(A) image made of ``block``-sized squares of the given colours, shuffled."""
    colors = np.asarray(colors, dtype=np.uint8)
    rng = np.random.default_rng(seed)
    n = repeat[0] * repeat[1]
    picks = np.resize(np.arange(len(colors)), n)
    rng.shuffle(picks)
    grid = colors[picks].reshape(repeat[0], repeat[1], -1)
    return np.repeat(np.repeat(grid, block, axis=0), block, axis=1)


@pytest.fixture
def photo():
    """A real photograph from images/ (451x300 RGB)."""
    return np.asarray(Image.open(IMAGES / "chelsea.png").convert("RGB"))


@pytest.fixture
def rgba_photo():
    """images/rocket-vignette.png: opaque, partly and fully transparent pixels."""
    return np.asarray(Image.open(IMAGES / "rocket-vignette.png"))


@pytest.fixture
def iris():
    rows = (DATA / "iris.csv").read_text().splitlines()[1:]
    X = np.array([[float(v) for v in row.split(",")[:4]] for row in rows])
    y = np.array([row.split(",")[4] for row in rows])
    return X, y


@pytest.fixture
def gradient():
    """A smooth 64x48 RGB gradient with thousands of distinct colours."""
    y, x = np.mgrid[0:48, 0:64]
    return np.dstack([x * 4, y * 5, (x + y) * 2]).astype(np.uint8)


def animation_frames(n=6, size=(64, 40), alpha=False):
    """Frames of a small animation: a photo with a disc and a square moving over it
    (fully transparent columns on the left with ``alpha``), RGB or RGBA uint8."""
    from PIL import ImageDraw

    width, height = size
    base = Image.open(IMAGES / "chelsea.png").convert("RGB").resize(size)
    frames = []
    for i in range(n):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        x = i * (width - 16) // max(n - 1, 1)
        draw.ellipse([x, 4, x + 14, 18], fill=(250, 30, 30))
        draw.rectangle([width - x - 12, 22, width - x, 34], fill=(20, 200, 90))
        pixels = np.asarray(image)
        if alpha:
            a = np.full(pixels.shape[:2], 255, np.uint8)
            a[:, : 2 + i % 3 * 2] = 0
            pixels = np.dstack([pixels, a])
        frames.append(pixels)
    return frames


def write_animation(path, frames, *, durations=(40, 60, 80), loop=0, **options):
    """Save frames as an animated GIF, APNG or WebP (format from the extension)."""
    images = [Image.fromarray(f) for f in frames]
    if Path(path).suffix == ".gif":  # 255 colours, and index 255 for fully transparent pixels
        images = []
        for f in frames:
            image = Image.fromarray(f[..., :3]).quantize(255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            if f.shape[2] == 4:
                index = np.asarray(image).copy()
                index[f[..., 3] == 0] = 255
                palette = image.getpalette()
                image = Image.fromarray(index, "P")
                image.putpalette(palette)
                image.info["transparency"] = 255
            images.append(image)
        if frames[0].shape[2] == 4:
            options.setdefault("transparency", 255)
    if Path(path).suffix == ".webp":
        options.setdefault("lossless", True)
    durations = [durations[i % len(durations)] for i in range(len(frames))]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=loop, **options)
    return durations


#: Debian's Chromium, which the tests of our HTML pages drive through Playwright.
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (skipped, with the reason, where Playwright or Chromium is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()
