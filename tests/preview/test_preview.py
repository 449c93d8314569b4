import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from quantize import InvalidParameterError
from quantize.files.read import load_image
from quantize.preview import PreviewServer, PreviewSession, Setting
from quantize.preview import session as session_module

from ..cli.helpers import run
from ..conftest import IMAGES


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "cat.png"
    shutil.copy(IMAGES / "chelsea.png", path)
    return path


@pytest.fixture
def server(image):
    server = PreviewServer(PreviewSession(load_image(image))).start()
    yield server
    server.stop()


def get(url, data=None):
    """(status, body) of a request."""
    try:
        method = "GET" if data is None else "POST"
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method)) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_setting_from_the_query_and_its_bad_values():
    assert Setting.from_query({"k": ["8"], "dither": ["ordered"], "strength": ["0.5"]}) == Setting(
        8, "din99o", "ordered", 0.5, "normal"
    )
    for query, message in [
        ({"k": ["0"]}, "k=0"),
        ({"k": ["x"]}, "bad number"),
        ({"strength": ["2"]}, "strength=2"),
        ({"colorspace": ["hsv"]}, "colorspace='hsv'"),
        ({"effort": ["max"]}, "effort='max'"),
        ({"dither": ["atkinson"]}, "dither='atkinson'"),
        ({"k": ["300"]}, "k=300"),
    ]:
        with pytest.raises(InvalidParameterError, match=message):
            Setting.from_query(query)


def test_each_setting_is_computed_once(image, monkeypatch):
    session = PreviewSession(load_image(image))
    calls = []
    original = session_module.quantize_image
    monkeypatch.setattr(session_module, "quantize_image", lambda *a, **k: calls.append(k) or original(*a, **k))
    first = session.result(Setting(k=4))
    assert session.result(Setting(k=4)) is first and len(calls) == 1
    session.result(Setting(k=5))
    assert len(calls) == 2
    assert first.figures["colors_used"] == 4 and len(first.figures["palette"]) == 4
    assert sum(entry["share"] for entry in first.figures["palette"]) == pytest.approx(1, abs=1e-3)
    assert len({entry["name"] for entry in first.figures["palette"]}) == 4


@pytest.mark.slow
def test_server_needs_the_token_and_serves_nothing_else(server):
    base = server.url.split("?")[0]
    assert server.server_address[0] == "127.0.0.1"
    assert get(base)[0] == 403 and get(base + "?token=wrong")[0] == 403
    assert get(base + "original.png")[0] == 403
    status, page = get(server.url)
    assert status == 200 and b"<script>" in page and b"http" not in page.replace(b"http-equiv", b"")  # no CDN
    token = server.url.split("token=")[1]
    assert get(f"{base}../../etc/passwd?token={token}")[0] == 404
    assert get(f"{base}result.json?token={token}&k=0")[0] == 400
    status, body = get(f"{base}result.json?token={token}&k=6")
    assert status == 200 and json.loads(body)["colors_used"] == 6


@pytest.mark.slow
def test_write_is_the_compress_file_and_never_overwrites(server, image, tmp_path):
    base, token = server.url.split("?")[0], server.url.split("token=")[1]
    status, body = get(f"{base}write?token={token}&k=8&dither=floyd-steinberg&strength=0.5", data=b"")
    assert status == 200
    reply = json.loads(body)
    written = tmp_path / "cat-q8.png"
    assert reply["written"] == str(written) and written.exists()
    args = reply["command"].split()[2:-2]  # the command without "quantize compress" and "-o OUT"
    assert run("compress", *args, "-o", tmp_path / "again.png").exit_code == 0
    assert (tmp_path / "again.png").read_bytes() == written.read_bytes()  # the very file compress writes
    before = written.read_bytes()
    status, body = get(f"{base}write?token={token}&k=8&dither=floyd-steinberg&strength=0.5", data=b"")
    assert status == 409 and "file exists" in json.loads(body)["error"]
    assert written.read_bytes() == before


def test_cli_prints_the_address_and_stops_on_ctrl_c(image):
    process = subprocess.Popen(
        [sys.executable, "-m", "quantize", "preview", str(image), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    url = line.split(": ", 1)[1].strip()
    assert url.startswith("http://127.0.0.1:") and "token=" in url
    assert get(url)[0] == 200
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0 and stderr == ""
    time.sleep(0.2)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)  # nobody listens any more


def test_cli_bad_input_and_options(tmp_path):
    result = run("preview", tmp_path / "missing.png", "--no-browser")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "missing.png" in result.stderr
    result = run("preview", IMAGES / "chelsea.png", "--port", "70000")
    assert result.exit_code == 2 and "70000 is not in the range" in result.stderr


def test_cli_quiet_still_prints_the_address(image):
    process = subprocess.Popen(
        [sys.executable, "-m", "quantize", "preview", str(image), "--no-browser", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert "token=" in line
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0 and stdout == "" and stderr == ""  # -q: nothing but the address
