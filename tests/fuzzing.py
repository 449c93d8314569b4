"""Deterministic fuzzing of the image readers: seed files of every supported format,
generated here, and mutations of them (bit flips, truncation, chunk duplication,
header fields with recomputed CRCs, splices).  Used by tests/test_fuzz.py (a few
hundred cases) and bench/fuzz.py (thousands)."""

import contextlib
import io
import os
import shutil
import signal
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def _pixels(rng, height=24, width=32):
    """A small picture with smooth areas and edges, so every codec has work to do."""
    y, x = np.mgrid[:height, :width]
    base = np.stack([x * 255 // width, y * 255 // height, (x ^ y) * 8 % 256], axis=-1)
    noise = rng.integers(0, 40, size=base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def _encode(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return buffer.getvalue()


def seeds(seed=0):
    """(name, bytes) of one small file per supported format and mode."""
    rng = np.random.default_rng(seed)
    rgb = Image.fromarray(_pixels(rng))
    alpha = np.linspace(0, 255, rgb.width, dtype=np.uint8)[None, :].repeat(rgb.height, axis=0)
    rgba = rgb.copy()
    rgba.putalpha(Image.fromarray(alpha))
    grey16 = Image.fromarray(np.asarray(rgb.convert("L")).astype(np.uint16) * 257)
    frames = [rgb, rgb.rotate(90), rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    return [
        ("rgb.png", _encode(rgb, format="PNG")),
        ("rgba.png", _encode(rgba, format="PNG")),
        ("p.png", _encode(rgb.quantize(16), format="PNG")),
        ("l.png", _encode(rgb.convert("L"), format="PNG")),
        ("la.png", _encode(rgba.convert("LA"), format="PNG")),
        ("i16.png", _encode(grey16, format="PNG")),
        ("anim.png", _encode(frames[0], format="PNG", save_all=True, append_images=frames[1:])),
        ("base.jpg", _encode(rgb, format="JPEG", quality=80)),
        ("prog.jpg", _encode(rgb, format="JPEG", quality=80, progressive=True)),
        ("a.gif", _encode(rgb.quantize(32), format="GIF")),
        (
            "anim.gif",
            _encode(
                frames[0].quantize(16), format="GIF", save_all=True, append_images=[f.quantize(16) for f in frames[1:]]
            ),
        ),
        ("lzw.tif", _encode(rgb, format="TIFF", compression="tiff_lzw")),
        ("raw.tif", _encode(rgba, format="TIFF")),
        ("f.tif", _encode(Image.fromarray(np.asarray(rgb.convert("L"), dtype=np.float32) / 255), format="TIFF")),
        ("a.webp", _encode(rgb, format="WEBP", lossless=True)),
        ("a.bmp", _encode(rgb, format="BMP")),
    ]


def hostile_gif(offsets, *, canvas=(1, 1), size=(1, 1)):
    """A tiny GIF of one 1-colour frame per (x, y) offset, each ``size`` pixels: frames
    placed outside the ``canvas`` make Pillow grow it as they are reached, and many
    frames on a large canvas make an animation bomb of a few bytes a frame."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", *canvas) + bytes([0x80, 0, 0]) + bytes([0, 0, 0, 255, 255, 255]))
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop for ever
    for x, y in offsets:
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # 100 ms
        out += b"\x2c" + struct.pack("<HHHH", x, y, *size) + b"\x00"
        out += b"\x02\x02\x44\x01\x00"  # LZW data of one pixel of colour 1
    return bytes(out + b"\x3b")


def _png_chunks(data):
    """(offset, length, tag) of each chunk of a PNG."""
    chunks, offset = [], 8
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append((offset, length, data[offset + 4 : offset + 8]))
        offset += 12 + length
    return chunks


def _recrc(data):
    """The PNG with every chunk's CRC recomputed, so that a mutated field gets past the
    CRC check and reaches the decoder."""
    out = bytearray(data)
    for offset, length, _ in _png_chunks(data):
        end = offset + 8 + length
        if end + 4 <= len(out):
            out[end : end + 4] = struct.pack(">I", zlib.crc32(bytes(out[offset + 4 : end])))
    return bytes(out)


def mutate(name, data, rng):
    """One mutation of ``data``, chosen by ``rng``: (description, bytes)."""
    kind = rng.choice(["flip", "flips", "truncate", "header", "duplicate", "splice", "zero"])
    out = bytearray(data)
    if kind == "flip":
        position = int(rng.integers(len(out)))
        out[position] ^= 1 << int(rng.integers(8))
    elif kind == "flips":
        for position in rng.integers(len(out), size=int(rng.integers(2, 12))):
            out[position] ^= int(rng.integers(1, 256))
    elif kind == "truncate":
        out = out[: int(rng.integers(1, len(out)))]
    elif kind == "zero":
        start = int(rng.integers(len(out)))
        out[start : start + int(rng.integers(1, 64))] = bytes(min(64, len(out) - start))[: len(out[start : start + 64])]
    elif kind == "header":
        # A field of the first 64 bytes set to an extreme value; PNG CRCs recomputed.
        position = int(rng.integers(min(64, len(out) - 4)))
        value = rng.choice([0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF])
        width = int(rng.choice([1, 2, 4]))
        out[position : position + width] = int(value & ((1 << (8 * width)) - 1)).to_bytes(width, "big")
        if name.endswith(".png"):
            out = bytearray(_recrc(bytes(out)))
    elif kind == "duplicate":
        if name.endswith(".png") and len(_png_chunks(data)) > 2:
            chunks = _png_chunks(data)
            offset, length, _ = chunks[int(rng.integers(len(chunks)))]
            piece = out[offset : offset + 12 + length]
            out[offset:offset] = piece
        else:
            start = int(rng.integers(len(out)))
            piece = out[start : start + int(rng.integers(1, 256))]
            out[start:start] = piece
    else:  # splice: the head of this file, the tail of a shuffled copy of itself
        cut = int(rng.integers(1, len(out)))
        tail = bytearray(out[cut:])
        rng.shuffle(tail)
        out = out[:cut] + tail
    return kind, bytes(out)


def cases(n, seed=0):
    """``n`` fuzz cases: (file name, description, bytes, command index), the same for
    the same seed; every seed format meets every command in turn."""
    base = seeds(seed)
    rng = np.random.default_rng(seed)
    for index in range(n):
        name, data = base[index % len(base)]
        kind, mutated = mutate(name, data, rng)
        yield f"{index:05d}-{name}", f"{name} {kind}", mutated, (index + index // len(base)) % len(COMMANDS)


#: The commands each fuzzed file goes through, in turn (palette.json is written beside it).
COMMANDS = (
    ("compress", "{input}", "-k", "4", "-o", "{out}/out.png"),
    ("segment", "{input}", "-k", "3", "-o", "{out}/segments"),
    ("palette", "{input}", "-k", "3"),
    ("apply", "{input}", "--palette", "{palette}", "-o", "{out}/applied.png"),
    ("suggest-k", "{input}", "--k-max", "4"),
    ("compress", "{input}", "-k", "300", "-o", "{out}/out.webp", "--json"),
)


@contextlib.contextmanager
def captured_fd2():
    """What is written to file descriptor 2 meanwhile (C libraries write there directly,
    past sys.stderr): a list that holds the text afterwards."""
    sys.stderr.flush()
    saved = os.dup(2)
    text = []
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield text
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text.append(sink.read().decode("utf-8", "replace"))


def run_case(path, command, workdir, timeout=60, *, stdin=None):
    """Run a command on ``path`` through the real click app, in this process: number
    ``command`` of :data:`COMMANDS`, or a tuple of arguments of the same form;
    ``stdin`` bytes are fed to it.  Returns a list of problems (empty when all is
    well): a traceback, a stderr line that is not ours, an unknown exit code, a hang,
    a file left in ``workdir`` by a failed run, or a changed input."""
    from click.testing import CliRunner

    from quantize.cli import main

    command = COMMANDS[command] if isinstance(command, int) else command
    out = Path(workdir) / "out"
    out.mkdir(exist_ok=True)
    palette = Path(workdir) / "palette.json"
    if not palette.exists():
        palette.write_text("[[0, 0, 0], [255, 255, 255], [200, 30, 40]]")
    args = [a.format(input=path, out=out, palette=palette) for a in command]
    before = Path(path).read_bytes() if path != "-" else None
    problems = []

    def alarm(signum, frame):
        raise TimeoutError(f"no answer in {timeout} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout)
    try:
        with captured_fd2() as native:
            result = CliRunner().invoke(main, args, input=stdin)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    name = " ".join(command[:1])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problems.append(f"{name}: traceback: {type(result.exception).__name__}: {result.exception}"[:300])
    if result.exit_code not in (0, 1, 3):
        problems.append(f"{name}: exit code {result.exit_code}")
    for line in (result.stderr + native[0]).splitlines():
        if line.strip() and not line.startswith("quantize: error: "):
            problems.append(f"{name}: stray stderr line: {line[:200]}")
    errors = [line for line in result.stderr.splitlines() if line.startswith("quantize: error: ")]
    named = (str(path), str(workdir))  # the input, or an output that cannot be written
    if result.exit_code == 1 and (len(errors) != 1 or not any(f"error: {p}" in errors[0] for p in named)):
        problems.append(f"{name}: exit 1 without one error line naming the file: {result.stderr[:200]!r}")
    left = sorted(p.name for p in out.rglob("*"))
    if result.exit_code != 0 and left:
        problems.append(f"{name}: failed but left {left[:5]}")
    if before is not None and Path(path).read_bytes() != before:
        problems.append(f"{name}: the input changed")
    shutil.rmtree(out)
    return problems
