"""A local HTTP server standing in for an external media host (no real network in tests).

/file/<name>              the bytes registered under <name>
/flaky/<name>             503 for the first `flaky_failures` requests of a URL, then the file
/redirect?to=<url>        302 to <url>
/status/<code>            an empty answer with that status
/trickle                  a large Content-Length, then one byte every 0.1 s
/stall                    headers, then nothing for 5 s
/endless                  no Content-Length, 64 KB blocks until the client leaves
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
