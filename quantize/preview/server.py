"""The preview's web server: the standard library's ``http.server`` (one local user needs
no framework), on 127.0.0.1 only, on a free port, with a random token that every
request must carry (as Jupyter does).  It serves one image, its results and the page,
and nothing else: no path of a request ever reaches the file system.

Routes (all with ``?token=...``; the page passes it on):

- ``GET /``: the page;  ``GET /original.png``: the image;
- ``GET /result.png?k=..&colorspace=..&dither=..&strength=..&effort=..``: the result;
- ``GET /result.json?...``: its figures, palette and the equivalent command;
- ``POST /write?...``: write the result beside the image, as ``compress`` names it.
"""

import hmac
import json
import secrets
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ..errors import InvalidParameterError, OutputError
from .page import render_page
from .session import Setting

HOST = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    server_version = "quantize-preview"

    def log_message(self, format, *args):  # stderr carries our own lines only
        pass

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
                written = session.write(setting)
                self._json(HTTPStatus.OK, {"written": str(written), "command": setting.command(session.path, written)})
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        except InvalidParameterError as e:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(e)})
        except OutputError as e:
            self._json(HTTPStatus.CONFLICT, {"error": str(e)})

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
    """

    daemon_threads = True

    def __init__(self, session, port=0):
        self.session = session
        self.token = secrets.token_urlsafe(24)
        super().__init__((HOST, port), _Handler)

    @property
    def url(self):
        """The page's address, token included."""
        return f"http://{HOST}:{self.server_address[1]}/?token={self.token}"

    def start(self):
        """Serve on a background thread (for tests and scripts); :meth:`stop` ends it."""
        self._thread = threading.Thread(target=self.serve_forever, name="quantize-preview", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
