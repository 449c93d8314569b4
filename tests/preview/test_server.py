"""The preview server under attack and under load (audit 2, S5, S6, T3, T4): the Host
check, idle and slow connections, many settings at once, clients that go away, and
stopping it in the middle of a computation."""

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from PIL import Image

from quantize.errors import InvalidParameterError
from quantize.files.read import load_image
from quantize.preview import PreviewServer, PreviewSession, Setting
from quantize.preview import server as server_module
from quantize.preview import session as session_module
from quantize.preview.session import Busy, Superseded

from ..conftest import IMAGES
from .test_preview import get


@pytest.fixture
def slow(monkeypatch):
    """Each computation takes at least 0.3 s and is counted."""
    calls = []
    original = session_module.quantize_image

    def quantize_image(*args, **kwargs):
        calls.append(kwargs["n_colors"])
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(session_module, "quantize_image", quantize_image)
    return calls


@pytest.fixture
def served():
    server = PreviewServer(PreviewSession(load_image(IMAGES / "chelsea.png"))).start()
    yield server
    server.stop()


def _ask(server, path, host=None):
    """(status, body) of a GET with the given Host header."""
    port = server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("GET", path, skip_host=True)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    try:
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_requests_for_another_host_are_refused(served):
    port = served.server_address[1]
    path = f"/?token={served.token}"
    assert _ask(served, path, f"127.0.0.1:{port}")[0] == 200
    assert _ask(served, path, f"localhost:{port}")[0] == 200
    for host in (f"evil.example:{port}", "127.0.0.1", f"127.0.0.1:{port + 1}", None):
        status, body = _ask(served, path, host)
        assert status == 403 and b"its own address" in body


@pytest.mark.slow
def test_idle_connections_cannot_starve_a_request(served):
    """Far more silent connections than the cap: the oldest idle one is closed for
    each new one, and a real request is still answered within a second."""
    port = served.server_address[1]
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3 * server_module.MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        assert served.connections <= server_module.MAX_CONNECTIONS
        start = time.perf_counter()
        assert get(served.url)[0] == 200
        assert time.perf_counter() - start < 1.0
        # the first ones were hung up on: reading them ends
        idle[0].settimeout(5)
        assert idle[0].recv(10) == b""
    finally:
        for connection in idle:
            connection.close()


@pytest.mark.slow
def test_a_silent_connection_is_closed_after_the_read_timeout():
    served = PreviewServer(PreviewSession(load_image(IMAGES / "chelsea.png")), read_timeout=0.3).start()
    try:
        with socket.create_connection(("127.0.0.1", served.server_address[1])) as connection:
            connection.sendall(b"GET / HTTP/1.1\r\n")  # and then nothing: a slow-loris client
            connection.settimeout(5)
            start = time.perf_counter()
            assert connection.recv(100) == b""
            assert time.perf_counter() - start < 3
    finally:
        served.stop()


@pytest.mark.slow
def test_many_settings_at_once_are_computed_one_at_a_time_newest_first(served, slow):
    """200 requests for different settings: those waiting or running when a newer one
    comes are cancelled (409), the computations are a few, and the last setting
    asked for is answered."""
    base = served.url.replace("/?", "/result.json?")
    answers = {}

    def ask(k):
        answers[k] = get(f"{base}&k={k}&effort=fast")

    threads = []
    for k in range(2, 202):
        thread = threading.Thread(target=ask, args=(k % 255 + 1,))
        thread.start()
        threads.append(thread)
        time.sleep(0.002)
    for thread in threads:
        thread.join(60)
    statuses = [status for status, _ in answers.values()]
    assert set(statuses) <= {200, 409} and statuses.count(200) <= len(slow)
    assert len(slow) < 20  # one computation at a time, the waiting ones cancelled
    assert answers[201 % 255 + 1][0] == 200  # the newest setting wins
    cancelled = next(json.loads(body) for status, body in answers.values() if status == 409)
    assert cancelled == {"error": "superseded by a newer setting"}


@pytest.mark.slow
def test_a_write_is_never_cancelled_and_writes_wait_in_bounded_numbers(tmp_path, slow, monkeypatch):
    image = tmp_path / "cat.png"
    image.write_bytes((IMAGES / "chelsea.png").read_bytes())
    session = PreviewSession(load_image(image))
    written = []
    writer = threading.Thread(target=lambda: written.append(session.write(Setting(k=3))))
    blocked = []

    def block():
        try:
            session.result(Setting(k=2))
        except Superseded as e:  # k=4 came while it ran: only the write's setting is kept
            blocked.append(str(e))

    blocker = threading.Thread(target=block)
    blocker.start()
    time.sleep(0.05)  # k=2 is being computed; the write waits behind it
    writer.start()
    time.sleep(0.05)
    session.result(Setting(k=4))  # newer, but the write's setting is kept
    writer.join(30)
    assert written == [tmp_path / "cat-q3.png"] and written[0].exists()
    monkeypatch.setattr(session_module, "MAX_KEPT", 0)
    with pytest.raises(Busy):
        session.result(Setting(k=9), keep=True)
    blocker.join(30)
    assert blocked == ["superseded by a newer setting"]


def test_a_closed_session_cancels_what_waits(slow):
    session = PreviewSession(load_image(IMAGES / "chelsea.png"))
    errors = []

    def ask(k):
        try:
            session.result(Setting(k=k))
        except Superseded as e:
            errors.append(str(e))

    first = threading.Thread(target=ask, args=(2,))
    first.start()
    time.sleep(0.05)
    second = threading.Thread(target=lambda: session.result(Setting(k=3), keep=True) if False else ask(3))
    second.start()
    time.sleep(0.05)
    session.close()
    first.join(30)
    second.join(30)
    # k=2 was running when k=3 came (cancelled at its next step); k=3 waited, then stopped
    assert sorted(errors) == ["superseded by a newer setting", "the preview is stopping"]
    with pytest.raises(Superseded, match="stopping"):
        session.result(Setting(k=5))


def test_a_running_setting_is_cancelled_when_a_newer_one_comes(monkeypatch):
    """A slow computation stops at its next step once the slider has moved on."""
    from quantize._cancel import check

    steps = {}

    def endless(image, n_colors, **options):  # a computation that only a cancel ends
        steps[n_colors] = 0
        deadline = time.monotonic() + (10 if n_colors == 2 else 0)
        while time.monotonic() < deadline:
            check()
            steps[n_colors] += 1
            time.sleep(0.01)
        return original(image, n_colors, **options)

    original = session_module.quantize_image
    monkeypatch.setattr(session_module, "quantize_image", endless)
    session = PreviewSession(load_image(IMAGES / "chelsea.png"))
    outcome = {}

    def ask():
        start = time.monotonic()
        try:
            session.result(Setting(k=2))
        except Superseded as e:
            outcome["error"], outcome["seconds"] = str(e), time.monotonic() - start

    slow_one = threading.Thread(target=ask)
    slow_one.start()
    time.sleep(0.2)
    assert session.result(Setting(k=3)).figures["k"] == 3
    slow_one.join(10)
    assert outcome["error"] == "superseded by a newer setting" and outcome["seconds"] < 2
    assert 5 < steps[2] < 150  # it ran, and stopped long before its 10 s
    assert session.result(Setting(k=3), keep=True).figures["k"] == 3  # kept, not computed again


def test_a_write_in_another_format_writes_that_file(tmp_path):
    image = tmp_path / "cat.png"
    image.write_bytes((IMAGES / "chelsea.png").read_bytes())
    session = PreviewSession(load_image(image))
    figures = session.result(Setting(k=5)).figures
    assert [f["format"] for f in figures["formats"]] == ["PNG", "WEBP", "GIF"]
    webp = next(f for f in figures["formats"] if f["format"] == "WEBP")
    assert webp["output"] == str(tmp_path / "cat-q5.webp") and webp["command"].endswith("-o " + webp["output"])
    written = session.write(Setting(k=5), "webp")
    assert written == tmp_path / "cat-q5.webp" and written.stat().st_size == webp["bytes"]
    assert Image.open(written).format == "WEBP"
    with pytest.raises(InvalidParameterError, match="format"):
        session.write(Setting(k=5), "TIFF")


def test_results_are_kept_within_their_bytes(monkeypatch):
    session = PreviewSession(load_image(IMAGES / "chelsea.png"))
    first = session.result(Setting(k=2))
    monkeypatch.setattr(session_module, "CACHE_BYTES", first.nbytes + 1)
    session.result(Setting(k=3))
    assert list(session._results) == [Setting(k=3)]


@pytest.mark.slow
def test_a_client_that_goes_away_is_no_error(served, slow, capfd):
    port = served.server_address[1]
    with socket.create_connection(("127.0.0.1", port)) as connection:
        request = f"GET /result.png?token={served.token}&k=7 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        connection.sendall(request.encode())
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    time.sleep(0.6)  # the answer is written to a connection that was reset
    assert get(served.url)[0] == 200
    assert capfd.readouterr().err == ""


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stopping_in_the_middle_of_a_computation_is_clean(tmp_path, signum):
    image = tmp_path / "cat.png"
    image.write_bytes((IMAGES / "chelsea.png").read_bytes())
    process = subprocess.Popen(
        [sys.executable, "-m", "quantize", "preview", str(image), "--no-browser", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = process.stdout.readline().split(": ", 1)[1].strip()

    def ask():
        try:
            get(url.replace("/?", "/result.json?") + "&k=256&effort=thorough")
        except OSError:
            pass  # the server stopped before it answered

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    time.sleep(0.5)  # the computation is under way
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0 and stderr == "" and stdout == ""
