"""OpenID providers for the SSO tests.

* `start_provider`: the real one, node-oidc-provider (tests/support/oidc), installed from its
  package-lock.json by `npm ci` the first time (a lock file keeps parallel workers from
  installing at once; with node_modules present it costs nothing) and started on a free port
  with the clients and users a test gives.
* `TokenStub`: a provider whose token endpoint hands out whatever ID token the test signed
  itself, to send tampered tokens through Hindsight's callback (wrong signature, `alg: none`,
  wrong audience or issuer, expired, replayed nonce, unknown key id).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"


def install_provider() -> None:
    """`npm ci` the test provider once; quick when node_modules is there already."""
    marker = PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json"
    if marker.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("The SSO tests need Node.js 20+ and npm (Debian: apt-get install npm)")
    with open(PROVIDER_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=PROVIDER_DIR,
                check=True,
                timeout=600,
            )


@dataclass
class RealProvider:
    issuer: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the provider exits when its input ends
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_provider(clients: list[dict[str, Any]], users: dict[str, dict[str, Any]]) -> RealProvider:
    install_provider()
    env = {
        **os.environ,
        "OIDC_TEST_CONFIG": json.dumps({"clients": clients, "users": users}),
        "NODE_ENV": "test",
    }
    process = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=PROVIDER_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until it listens, or b"" if it died
    if not line:
        process.wait()
        raise RuntimeError(f"the test OpenID provider did not start (exit {process.returncode})")
    return RealProvider(json.loads(line)["issuer"], process)


# --- a provider that hands out the test's own tokens -------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class TokenStub:
    """Discovery, keys and a token endpoint on 127.0.0.1; the ID token is the test's."""

    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    id_token: str | None = None
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    issuer: str = ""
    _server: ThreadingHTTPServer | None = None

    def sign(self, claims: dict[str, Any], *, key: RSAKey | None = None, kid: str = "k1") -> str:
        return jwt.encode({"alg": "RS256", "kid": kid}, claims, key or self.key)

    def claims(self, nonce: str, client_id: str, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": client_id,
            "sub": "stub-subject",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "preferred_username": "stub-user",
            "groups": ["supervisors"],
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, status: int, document: Any) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": stub.issuer,
                            "authorization_endpoint": f"{stub.issuer}/authorize",
                            "token_endpoint": f"{stub.issuer}/token",
                            "jwks_uri": f"{stub.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                elif path == "/jwks":
                    self._json(200, {"keys": [stub.key.as_dict(private=False)]})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                stub.token_requests.append(form)
                if stub.id_token is None:
                    self._json(400, {"error": "invalid_grant"})
                else:
                    self._json(
                        200,
                        {"access_token": "at", "token_type": "Bearer", "id_token": stub.id_token},
                    )

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextlib.contextmanager
def token_stub() -> Iterator[TokenStub]:
    stub = TokenStub()
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()


def unsigned(claims: dict[str, Any]) -> str:
    """A token with `alg: none` and no signature."""
    header = b64url(json.dumps({"alg": "none", "kid": "k1"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
