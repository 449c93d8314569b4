"""Fuzzing of what is not one image file (audit 2): animations with hostile frame
geometry, streams on standard input, requests to the preview server and object
keys of a folder on a store.  Each surface gives deterministic cases for a seed and
a runner that returns the problems of one case (empty when all is well).  Used by
tests/test_fuzz.py and bench/fuzz.py, beside tests/fuzzing.py's mutated files."""

import contextlib
import io
import shutil
import socket
import struct
import uuid
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from .fuzzing import captured_fd2, mutate, seeds

# -- animations with hostile frame geometry ----------------------------------------


def _gif(canvas, frames):
    """A GIF of (x, y, width, height, delay) frames, each filled with one colour
    by LZW data for one pixel (a frame larger than that is short of data)."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", *canvas) + bytes([0x80, 0, 0]) + bytes([0, 0, 0, 255, 255, 255]))
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for x, y, width, height, delay in frames:
        out += b"\x21\xf9\x04\x00" + struct.pack("<H", delay) + b"\x00\x00"
        out += b"\x2c" + struct.pack("<HHHH", x, y, width, height) + b"\x00"
        out += b"\x02\x02\x44\x01\x00"
    return bytes(out + b"\x3b")


def _apng_with(rng):
    """An APNG of a few frames whose fcTL fields (offsets, sizes, delays) are set to
    extreme values, CRCs recomputed."""
    frames = [Image.fromarray(np.full((16, 16, 3), 60 * i, np.uint8)) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:], duration=100)
    data = bytearray(buffer.getvalue())
    offset = 8
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        if data[offset + 4 : offset + 8] == b"fcTL" and length == 26:
            body = offset + 8
            field = int(rng.choice([4, 8, 12, 16, 20, 22]))  # width, height, x, y, delay num/den
            size = 2 if field >= 20 else 4
            value = int(rng.choice([0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 40_000])) & ((1 << 8 * size) - 1)
            data[body + field : body + field + size] = value.to_bytes(size, "big")
            data[body + length : body + length + 4] = struct.pack(
                ">I", zlib.crc32(bytes(data[offset + 4 : body + length]))
            )
        offset += 12 + length
    return bytes(data)


def animation_case(rng):
    """(file name, description, bytes) of one hostile animation."""
    kind = rng.choice(["offsets", "many", "big-canvas", "apng"])
    if kind == "apng":
        return "anim.png", "apng fcTL fields", _apng_with(rng)
    if kind == "many":  # many frames on a large canvas: an animation bomb of a few bytes a frame
        canvas = (int(rng.integers(2000, 4000)), int(rng.integers(2000, 4000)))
        count = int(rng.integers(100, 5000))
        frames = [(0, 0, 1, 1, int(rng.integers(0, 65536)))] * count
    else:
        canvas = (
            (int(rng.integers(1, 64)), int(rng.integers(1, 64)))
            if kind == "offsets"
            else (int(rng.integers(1000, 65536)), int(rng.integers(1000, 65536)))
        )
        frames = [
            (
                int(rng.choice([0, 1, 5_000, 12_000, 65_000])),
                int(rng.choice([0, 3, 20_000, 65_535])),
                int(rng.integers(1, 40)),
                int(rng.integers(1, 40)),
                int(rng.integers(0, 65536)),
            )
            for _ in range(int(rng.integers(2, 6)))
        ]
    return "anim.gif", f"gif {kind}", _gif(canvas, frames)


#: What each hostile animation goes through, in turn.
ANIMATION_COMMANDS = (
    ("compress", "{input}", "-k", "8", "-o", "{out}/out.gif"),
    ("compress", "{input}", "-k", "4", "-o", "{out}/out.webp", "--frame-weight", "duration"),
    ("compress", "{input}", "-k", "16", "-o", "{out}/out.png", "--frame-palettes"),
)

# -- standard input ----------------------------------------------------------------


def stdin_case(rng, index):
    """(description, bytes, arguments) of one stream on stdin: a mutated image of any
    format, or a stream of zeros or noise beyond what --max-pixels allows."""
    if rng.random() < 0.1:
        size = int(rng.integers(17, 40)) << 20
        data = bytes(size) if rng.random() < 0.5 else rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        return f"stream of {size >> 20} MiB", data, ("compress", "-", "-o", "{out}/out.png", "--max-pixels", "1000")
    name, seed = seeds()[index % len(seeds())]
    kind, data = mutate(name, seed, rng)
    return f"{name} {kind} on stdin", data, ("compress", "-", "-k", "4", "-o", "{out}/out.png")


# -- the preview server ------------------------------------------------------------


_ROUTES = [
    "/",
    "/original.png",
    "/result.png",
    "/result.json",
    "/write",
    "/../../etc/passwd",
    "/%00",
    "//",
    "/result.json/..",
    "/" + "a" * 5000,
]
_VALUES = [
    "",
    "0",
    "1",
    "2",
    "16",
    "256",
    "257",
    "-1",
    "1e9",
    "nan",
    "x",
    "lab",
    "rgb",
    "oklab",
    "hsv",
    "ordered",
    "floyd-steinberg",
    "none",
    "0.5",
    "2",
    "fast",
    "thorough",
    "%FF",
    "\u00e9",
    "1" * 400,
]


def preview_request(rng, server):
    """(description, raw request bytes) of one request to ``server``."""
    port = server.server_address[1]
    kind = rng.choice(["route", "route", "route", "garbage", "partial", "headers"])
    if kind == "garbage":
        return "garbage", rng.integers(0, 256, int(rng.integers(1, 2000)), dtype=np.uint8).tobytes()
    method = str(rng.choice(["GET", "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "G\x00T"]))
    path = str(rng.choice(_ROUTES))
    params = []
    if rng.random() < 0.8:
        params.append(f"token={server.token if rng.random() < 0.8 else 'wrong'}")
    for name in rng.choice(
        ["k", "colorspace", "dither", "strength", "effort", "token", "zz"], size=int(rng.integers(0, 5))
    ):
        params.append(f"{name}={rng.choice(_VALUES)}")
    host = str(rng.choice([f"127.0.0.1:{port}", f"localhost:{port}", "evil.example", "", f"127.0.0.1:{port}"]))
    head = f"{method} {path}?{'&'.join(params)} HTTP/1.1\r\nHost: {host}\r\n"
    if kind == "headers":
        head += str(
            rng.choice(
                [
                    "Content-Length: -5\r\n",
                    "Content-Length: 99999999\r\n",
                    "X: " + "y" * 70000 + "\r\n",
                    "Transfer-Encoding: chunked\r\n",
                    "Connection: keep-alive\r\n",
                ]
            )
        )
    request = (head + "\r\n").encode("utf-8", "surrogateescape")
    if kind == "partial":
        return "partial request", request[: int(rng.integers(1, len(request)))]
    return f"{kind} {method} {path[:20]}", request


def run_preview_case(server, request, timeout=30):
    """Send ``request`` and read what comes back, then check that the server still
    answers a normal request and printed nothing.  Returns the problems."""
    import urllib.request

    problems = []
    port = server.server_address[1]
    with captured_fd2() as native:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
                connection.sendall(request)
                connection.shutdown(socket.SHUT_WR)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
        except OSError as e:  # the server may close first (ENOTCONN on our shutdown, a reset...)
            answer = b""
            if isinstance(e, TimeoutError):
                problems.append(f"preview: no answer in {timeout} s")
        if answer and not answer.startswith(b"HTTP/1."):
            problems.append(f"preview: not an HTTP answer: {answer[:60]!r}")
        if answer.split(b" ", 2)[1:2] == [b"500"]:
            problems.append(f"preview: 500: {answer[:200]!r}")
        try:
            with urllib.request.urlopen(server.url, timeout=timeout) as reply:
                if reply.status != 200:
                    problems.append(f"preview: a normal request got {reply.status} afterwards")
        except OSError as e:
            problems.append(f"preview: a normal request failed afterwards: {e}")
    if native[0].strip():
        problems.append(f"preview: stray stderr: {native[0][:200]}")
    return problems


# -- object keys -------------------------------------------------------------------


_PARTS = [
    "",
    ".",
    "..",
    "a",
    "b.png",
    ".hidden.png",
    "x y.png",
    "\u00fc.png",
    "%2F.png",
    "q?.png",
    "#.png",
    "*.png",
    "c.PNG",
    "no-extension",
    "..png",
    "d",
]


def key_case(rng):
    """Object keys below in/: parts that a path library would collapse, skip or
    escape with, joined with "/"; the last part ends in an image name."""
    keys = set()
    for _ in range(int(rng.integers(1, 6))):
        parts = list(rng.choice(_PARTS, size=int(rng.integers(1, 4))))
        parts.append(str(rng.choice(["p.png", "..", "x.png", "", "e.jpg"])))
        keys.add("/".join(parts))
    return sorted(keys)


def run_key_case(keys, workdir):
    """quantize_folder of a memory:// folder holding ``keys`` (a small PNG each, a
    few not images) to a memory:// folder and to a local one.  Returns the problems:
    an exception, a file outside the output folder, an input with no outcome."""
    import fsspec

    from quantize import QuantizeError
    from quantize.batch import quantize_folder

    problems = []
    fs = fsspec.filesystem("memory")
    root = f"fuzz-{uuid.uuid4().hex[:8]}"
    png = io.BytesIO()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3)).save(png, format="PNG")
    stored = []
    for index, key in enumerate(keys):
        if not key or key.endswith("/"):
            continue  # memory:// stores "in/x/" as the file "in/x", hiding what is below it
        try:
            fs.pipe_file(f"{root}/in/{key}", png.getvalue() if index % 4 else b"not an image")
            stored.append(key)
        except (FileExistsError, NotADirectoryError):
            pass  # memory:// holds no key below another (an object store does): not a case
    keys = stored
    local = Path(workdir) / "keys"
    try:
        with captured_fd2() as native:
            for target in (f"memory://{root}/out", local / "out"):
                report = quantize_folder(f"memory://{root}/in", target, recursive=True, jobs=1, random_state=0)
                inputs = {f.input for f in report.files}
                expected = {f"memory://{root}/in/{key}" for key in keys if _an_image_name(key)}
                if expected - inputs:
                    problems.append(f"keys: no outcome for {sorted(expected - inputs)[:3]}")
            objects = [p.lstrip("/") for p in fs.find(root, withdirs=False)]
            strays = [p for p in objects if p != f"{root}/in" and not p.startswith((f"{root}/in/", f"{root}/out/"))]
            if strays:
                problems.append(f"keys: objects written outside the output folder: {strays[:3]}")
        if native[0].strip():
            problems.append(f"keys: stray stderr: {native[0][:200]}")
        outside = [p for p in local.rglob("*") if p.is_file() and local / "out" not in p.parents]
        if outside:
            problems.append(f"keys: files outside the output folder: {outside[:3]}")
    except QuantizeError:
        pass  # one line on the command line (no input folder left, say)
    except Exception as e:  # noqa: BLE001 - any other exception is what this looks for
        problems.append(f"keys: traceback: {type(e).__name__}: {e}"[:300])
    finally:
        with contextlib.suppress(FileNotFoundError):
            fs.rm(root, recursive=True)
        shutil.rmtree(local, ignore_errors=True)
    return problems


def _an_image_name(key):
    """Whether discovery must find ``key``: an image extension, no hidden part."""
    parts = key.split("/")
    hidden = any(part.startswith(".") and part not in (".", "..") for part in parts)
    return not hidden and parts[-1].lower().endswith((".png", ".jpg"))


@contextlib.contextmanager
def preview_server(workdir, read_timeout=0.5):
    """A preview server of a tiny image (results are quick), whose connections time
    out after ``read_timeout`` seconds (partial requests then end quickly)."""
    from quantize.files.read import load_image
    from quantize.preview import PreviewServer, PreviewSession

    path = Path(workdir) / "tiny.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)).save(path)
    server = PreviewServer(PreviewSession(load_image(path)), read_timeout=read_timeout).start()
    try:
        yield server
    finally:
        server.stop()
