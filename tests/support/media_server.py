"""A local HTTP server standing in for an external media host (no real network in tests).

/file/<name>              the bytes registered under <name>
/flaky/<name>             503 for the first `flaky_failures` requests of a URL, then the file
/redirect?to=<url>        302 to <url>
/status/<code>            an empty answer with that status
/trickle                  a large Content-Length, then one byte every 0.1 s
/stall                    headers, then nothing for 5 s
/endless                  no Content-Length, 64 KB blocks until the client leaves
/audio/<name>             the bytes as audio/wav, honouring one `Range: bytes=a-b` (206)
/provider/<name>          a url_provider: {"media_url": <this server>/audio/<name>} when asked
                          with `Authorization: Basic base64("token:…")`, else 401
/provider-answer/<kind>   a url_provider answering badly: html, no-url, 500
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class MediaServer:
    files: dict[str, bytes] = field(default_factory=dict)
    flaky_failures: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # Tokens a url_provider endpoint was given (Basic "token:<token>").
    tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up, as tests expect

            def _answer(self) -> None:
                with owner._lock:
                    owner.requests.append((self.path, dict(self.headers)))
                    flaky_seen = sum(1 for p, _h in owner.requests if p == self.path)
                parts = urlsplit(self.path)
                path = parts.path
                if path.startswith("/file/"):
                    self._send(200, owner.files.get(path[6:]))
                elif path.startswith("/audio/"):
                    self._audio(owner.files.get(path[7:]))
                elif path.startswith("/provider/"):
                    self._provider(path[10:])
                elif path.startswith("/provider-answer/"):
                    kind = path[17:]
                    body = {"html": b"<html>hello</html>", "no-url": b'{"url": "x"}'}
                    self._send(500 if kind == "500" else 200, body.get(kind, b""))
                elif path.startswith("/flaky/"):
                    if flaky_seen <= owner.flaky_failures:
                        self._send(503, b"busy")
                    else:
                        self._send(200, owner.files.get(path[7:]))
                elif path == "/redirect":
                    target = parse_qs(parts.query)["to"][0]
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path.startswith("/status/"):
                    self._send(int(path[8:]), b"")
                elif path == "/trickle":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    for _ in range(100):
                        time.sleep(0.1)
                        self.wfile.write(b"x")
                        self.wfile.flush()
                elif path == "/stall":
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.flush()
                    time.sleep(5)
                elif path == "/endless":
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    block = b"\0" * 65536
                    for _ in range(2000):  # bounded: 128 MB at most
                        self.wfile.write(block)
                    self.close_connection = True
                else:
                    self._send(404, b"not found")

            def _audio(self, body: bytes | None) -> None:
                if body is None:
                    self._send(404, None)
                    return
                wanted = self.headers.get("Range", "")
                start, end, status = 0, len(body) - 1, 200
                if wanted.startswith("bytes=") and "-" in wanted:
                    first, _, last = wanted[6:].partition("-")
                    start = int(first or 0)
                    end = min(int(last), len(body) - 1) if last else len(body) - 1
                    status = 206
                chunk = body[start : end + 1]
                self.send_response(status)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
                self.send_header("Content-Length", str(len(chunk)))
                self.end_headers()
                self.wfile.write(chunk)

            def _provider(self, name: str) -> None:
                import base64
                import json

                scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
                try:
                    user, _, token = base64.b64decode(encoded).decode().partition(":")
                except ValueError:
                    user, token = "", ""
                if scheme != "Basic" or user != "token" or not token:
                    self._send(401, b"")
                    return
                with owner._lock:
                    owner.tokens.append(token)
                media = f"http://127.0.0.1:{owner.port}/audio/{name}"
                self._send(200, json.dumps({"media_url": media}).encode())

            def _send(self, status: int, body: bytes | None) -> None:
                if body is None:
                    status, body = 404, b"not found"
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for p, _h in self.requests if p.startswith(prefix))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
