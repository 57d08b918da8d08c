"""A local HTTP server that records what is POSTed to it: a stand-in for a webhook receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.support import waiting


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class Receiver:
    """Records requests; `respond` decides each status code (e.g. fail the first N)."""

    respond: Callable[[int], int] = lambda _n: 204
    delay_seconds: float = 0.0
    # When given, every request waits for it before being answered (a receiver that hangs).
    hold: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    attempts: int = 0

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                with receiver._lock:
                    attempt = receiver.attempts
                    receiver.attempts += 1
                status = receiver.respond(attempt)
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                if receiver.hold is not None:
                    receiver.hold.wait(timeout=120)
                if status < 300:
                    with receiver._lock:
                        receiver.received.append(
                            Received(self.path, dict(self.headers), dict(parse_qsl(body)))
                        )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return self.url_via("127.0.0.1")

    def url_via(self, host: str) -> str:
        """The receiver's URL spelled with another host (a name or address reaching it)."""
        return f"http://{host}:{self._server.server_address[1]}/taskrouter-events"

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 15.0) -> None:
        def held() -> bool:
            with self._lock:
                return predicate(list(self.received))

        try:
            waiting.wait_for(held, "the deliveries awaited", timeout, interval=0.02)
        except AssertionError:
            seen = [r.form.get("EventType") for r in self.received]
            raise AssertionError(f"receiver saw {seen}") from None

    def event_types(self) -> list[str]:
        with self._lock:
            return [r.form["EventType"] for r in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
