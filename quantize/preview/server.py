"""The preview's web server: the standard library's ``http.server`` (one local user needs
no framework), on 127.0.0.1 only, on a free port, with a random token that every
request must carry (as Jupyter does).  It serves one image, its results and the page,
and nothing else: no path of a request ever reaches the file system.

Routes (all with ``?token=...``; the page passes it on):

- ``GET /``: the page;  ``GET /original.png``: the image;
- ``GET /result.png?k=..&colorspace=..&dither=..&strength=..&effort=..``: the result;
- ``GET /result.json?...``: its figures, palette, and each format's size, output and
  equivalent command;
- ``POST /write?...&format=PNG|WEBP|GIF``: write the result beside the image, as
  ``compress`` names it.

What a local page can be attacked with is bounded: a request whose Host is not this
server's own address is refused (a DNS-rebinding page names its own host), a
connection that sends nothing for :data:`READ_TIMEOUT` seconds is closed, and at most
:data:`MAX_CONNECTIONS` are open at once: past that the one that has waited longest
for a request is closed, so idle connections cannot starve a real one.  Settings are
computed one at a time (:mod:`.session`), so many requests do not add up in memory.
"""

import hmac
import json
import secrets
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ..errors import InvalidParameterError, OutputError, QuantizeError
from .page import render_page
from .session import Busy, Setting, Superseded

HOST = "127.0.0.1"
#: Seconds a connection may stay silent while its request is read.
READ_TIMEOUT = 10
#: Connections open at once, at most.
MAX_CONNECTIONS = 64


class _Handler(BaseHTTPRequestHandler):
    server_version = "quantize-preview"
    # answers to malformed requests get a status line and headers (HTTP/0.9's have
    # neither); a request without a version then has no Host and is refused
    default_request_version = "HTTP/1.0"

    def setup(self):
        self.timeout = self.server.read_timeout  # of each read of the connection
        super().setup()

    def log_message(self, format, *args):  # stderr carries our own lines only
        pass

    def parse_request(self):
        parsed = super().parse_request()
        if parsed:
            self.server.answering(self.connection)
        return parsed

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, data):
        self._send(status, json.dumps(data).encode(), "application/json")

    def _route(self, method):
        if (self.headers.get("Host") or "").lower() not in self.server.hosts:
            self._send(HTTPStatus.FORBIDDEN, b"this server answers requests for its own address only\n", "text/plain")
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        token = (query.get("token") or [""])[0]
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            self._send(HTTPStatus.FORBIDDEN, b"a valid token is required\n", "text/plain")
            return
        session = self.server.session
        try:
            if method == "GET" and url.path == "/":
                self._send(HTTPStatus.OK, render_page(session, self.server.token).encode(), "text/html; charset=utf-8")
            elif method == "GET" and url.path == "/original.png":
                self._send(HTTPStatus.OK, session.original, "image/png")
            elif method == "GET" and url.path == "/result.png":
                self._send(HTTPStatus.OK, session.result(Setting.from_query(query)).picture, "image/png")
            elif method == "GET" and url.path == "/result.json":
                self._json(HTTPStatus.OK, session.result(Setting.from_query(query)).figures)
            elif method == "POST" and url.path == "/write":
                setting = Setting.from_query(query)
                written = session.write(setting, (query.get("format") or ["PNG"])[0])
                self._json(HTTPStatus.OK, {"written": str(written), "command": setting.command(session.path, written)})
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        except InvalidParameterError as e:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(e)})
        except (OutputError, Superseded) as e:
            self._json(HTTPStatus.CONFLICT, {"error": str(e)})
        except (Busy, MemoryError) as e:
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(e) or "not enough memory"})
        except QuantizeError as e:
            self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(e)})

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")


class PreviewServer(ThreadingHTTPServer):
    """The server of one :class:`~quantize.preview.session.PreviewSession`.

    Parameters
    ----------
    session : PreviewSession
    port : int, optional
        0 (the default) takes a free port.
    read_timeout : float, optional, keyword-only
        Seconds a connection may stay silent while its request is read.
    """

    daemon_threads = True
    request_queue_size = MAX_CONNECTIONS

    def __init__(self, session, port=0, *, read_timeout=READ_TIMEOUT):
        self.session = session
        self.read_timeout = read_timeout
        self.token = secrets.token_urlsafe(24)
        self._open = {}  # connection -> (accepted at, answering a request)
        self._open_lock = threading.Lock()
        self._closing = False
        super().__init__((HOST, port), _Handler)
        port = self.server_address[1]
        self.hosts = frozenset({f"{HOST}:{port}", f"localhost:{port}"})

    @property
    def url(self):
        """The page's address, token included."""
        return f"http://{HOST}:{self.server_address[1]}/?token={self.token}"

    def process_request(self, request, client_address):
        with self._open_lock:
            if len(self._open) >= MAX_CONNECTIONS:
                idle = [(accepted, c) for c, (accepted, answering) in self._open.items() if not answering]
                if not idle:  # every connection is being answered: this one waits its turn elsewhere
                    self.shutdown_request(request)
                    return
                oldest = min(idle, key=lambda pair: pair[0])[1]
                _hang_up(oldest)
                del self._open[oldest]
            self._open[request] = (time.monotonic(), False)
        super().process_request(request, client_address)

    def answering(self, connection):
        """A connection's request was read: it is no longer idle."""
        with self._open_lock:
            if connection in self._open:
                self._open[connection] = (self._open[connection][0], True)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        """A client that went away (a browser cancelling a request) is no error; anything
        else is one line on stderr, not a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)) or self._closing:
            return  # a stopping server's work ends as it may: nothing to tell
        print(f"quantize: error: preview: {type(error).__name__}: {error}", file=sys.stderr)

    @property
    def connections(self):
        """Connections open now."""
        with self._open_lock:
            return len(self._open)

    def start(self):
        """Serve on a background thread (for tests and scripts); :meth:`stop` ends it."""
        self._thread = threading.Thread(target=self.serve_forever, name="quantize-preview", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving: what waits is cancelled, the listening socket and every open
        connection are closed."""
        self.shutdown()
        self.close()

    def close(self):
        """Close the listening socket and every open connection, and cancel what waits
        (after :meth:`serve_forever` has returned)."""
        self._closing = True
        self.session.close()
        self.server_close()
        with self._open_lock:
            for connection in list(self._open):
                _hang_up(connection)


def _hang_up(connection):
    """Close a connection from under the thread that reads it (its read returns)."""
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
