"""The base URL resources are shown under follows each request's own Host header and scheme,
however many hosts a process has seen (the memo of worked-out bases must never answer for
another host)."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.requests import Request

from hindsight.api import wire


def _request(host: bytes | None, scheme: str = "http", public_url: str | None = None) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(public_url=public_url))
    headers = [(b"host", host)] if host is not None else []
    return Request(
        {
            "type": "http",
            "app": app,
            "scheme": scheme,
            "server": ("10.0.0.5", 8000),
            "path": "/v1/Workspaces",
            "query_string": b"",
            "headers": [(b"accept", b"*/*"), *headers],
        }
    )


def test_each_request_gets_its_own_hosts_base() -> None:
    assert wire.base_url(_request(b"one.example:8443")) == "http://one.example:8443"
    assert wire.base_url(_request(b"two.example")) == "http://two.example"
    assert wire.base_url(_request(b"one.example:8443", "https")) == "https://one.example:8443"
    assert wire.base_url(_request(b"one.example:8443")) == "http://one.example:8443"


def test_without_a_host_header_the_server_address_is_the_base() -> None:
    assert wire.base_url(_request(None)) == "http://10.0.0.5:8000"


def test_the_configured_public_url_wins() -> None:
    request = _request(b"one.example", public_url="https://hindsight.example")
    assert wire.base_url(request) == "https://hindsight.example"


def test_many_hosts_do_not_confuse_the_memo() -> None:
    for n in range(3 * wire._MAX_BASES):
        host = f"h{n}.example".encode()
        assert wire.base_url(_request(host)) == f"http://h{n}.example"
    assert len(wire._BASES) <= wire._MAX_BASES
    assert wire.base_url(_request(b"h0.example")) == "http://h0.example"
