"""EventCallbackUrl is not an SSRF channel: the media fetcher's address rules apply to it.

Refused when the workspace is created or changed if the URL alone says so (a literal internal
address in any spelling, a loopback name); refused at delivery when a name resolves to such an
address, and that failure shows on the workspace. The suite's session server allows its local
receivers with `callback_allow=127.0.0.1/32`; a second server here keeps the defaults.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hindsight.domain.addresses import AddressRules, UrlRefused, check_before_resolving
from hindsight.media.fetch import FetchOptions, FetchRefused, SafeFetcher
from tests.support.receiver import Receiver
from tests.support.server import RunningServer, start_server
from tests.support.twilio_client import client_for
from tests.support.twilio_errors import twilio_error
from tests.support.waiting import wait_for

# Internal addresses in the spellings that reached a receiver before: none is a 127.0.0.1/32
# address as written, so the session server's allow-list does not admit them either.
REFUSED_AT_CREATE = [
    "http://[::1]:8080/events",
    "http://0x7f000001/events",
    "http://2130706433/events",
    "http://0177.0.0.1/events",
    "http://127.1/events",
    "http://127.0.0.2/events",
    "http://10.0.0.8/events",
    "http://192.168.1.1/events",
    "http://[fd00::1]/events",
    "http://[::ffff:10.0.0.8]/events",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/events",
    "http://[fe80::1]/events",
    "http://0.0.0.0/events",
    "http://[::]/events",
    "http://user:pw@example.com/events",
]


@pytest.mark.parametrize("url", REFUSED_AT_CREATE)
def test_an_internal_callback_url_is_refused_when_the_workspace_is_created(client, url):
    with twilio_error(400, 20001, "EventCallbackUrl"):
        client.taskrouter.v1.workspaces.create(friendly_name="SSRF", event_callback_url=url)


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "http://0x7f000001/"])
def test_an_internal_callback_url_is_refused_on_update_and_changes_nothing(client, url):
    ws = client.taskrouter.v1.workspaces.create(
        friendly_name="Hooked", event_callback_url="https://example.com/hook"
    )
    with twilio_error(400, 20001, "EventCallbackUrl"):
        client.taskrouter.v1.workspaces(ws.sid).update(event_callback_url=url)
    assert client.taskrouter.v1.workspaces(ws.sid).fetch().event_callback_url == (
        "https://example.com/hook"
    )


def test_link_local_stays_refused_even_when_private_receivers_are_allowed():
    rules = AddressRules(allow_private=True)
    check_before_resolving("http://10.0.0.8/events", rules)
    check_before_resolving("http://localhost:9000/events", rules)
    for url in ("http://169.254.169.254/", "http://[fe80::1]/", "http://[::ffff:a9fe:a9fe]/"):
        with pytest.raises(UrlRefused):
            check_before_resolving(url, rules)


def test_the_allow_list_admits_named_hosts_and_ranges_only():
    rules = AddressRules(allow=("events.internal", "10.20.0.0/16"))
    check_before_resolving("http://10.20.3.4/events", rules)
    check_before_resolving("http://events.internal/events", rules)
    for url in ("http://10.21.0.1/", "http://127.0.0.1/", "http://localhost/"):
        with pytest.raises(UrlRefused):
            check_before_resolving(url, rules)


# --- at delivery --------------------------------------------------------------------------


def _loopback_name() -> str:
    """A host name this machine resolves to loopback without asking DNS (its own name, as
    /etc/hosts usually says); `localhost` itself is refused before resolving."""
    name = socket.gethostname()
    addresses = {info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
    assert addresses and all(a.startswith("127.") or a == "::1" for a in addresses), addresses
    return name


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with the default callback rules (its own SQLite store, so the session
    servers' deliverers never see its workspaces)."""
    data_dir: Path = tmp_path_factory.mktemp("strict-callbacks")
    running = start_server(data_dir, f"sqlite:///{data_dir / 'hindsight.db'}")
    try:
        yield running
    finally:
        running.stop()


def _workspace_json(server: RunningServer, account, sid: str) -> dict:
    response = httpx.get(
        f"{server.base_url}/v1/Workspaces/{sid}", auth=(account.sid, account.auth_token)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_name_resolving_to_loopback_is_refused_at_delivery_and_the_failure_is_shown(
    strict_server,
):
    receiver = Receiver()
    try:
        account = strict_server.new_account()
        client = client_for(strict_server.base_url, account.sid, account.auth_token)
        url = receiver.url_via(_loopback_name())
        ws = client.taskrouter.v1.workspaces.create(
            friendly_name="Rebound", event_callback_url=url, template="FIFO"
        )
        assert _workspace_json(strict_server, account, ws.sid)["event_callback_error"] is None
        client.taskrouter.v1.workspaces(ws.sid).tasks.create(attributes="{}")
        error = wait_for(
            lambda: _workspace_json(strict_server, account, ws.sid)["event_callback_error"],
            "the refused delivery recorded on the workspace",
            timeout=20,
        )
        assert error is not None and error.startswith("refused"), error
        assert "127.0.0.1" not in error  # no DNS oracle for internal names
        assert receiver.attempts == 0
    finally:
        receiver.close()


def test_the_default_refuses_a_literal_loopback_url_at_create(strict_server):
    account = strict_server.new_account()
    client = client_for(strict_server.base_url, account.sid, account.auth_token)
    for url in ("http://127.0.0.1:9/events", "http://localhost:9/events", "http://LOCALHOST./"):
        with twilio_error(400, 20001, "EventCallbackUrl"):
            client.taskrouter.v1.workspaces.create(friendly_name="Loop", event_callback_url=url)


# --- the POST itself: one resolution, pinned, no redirect ----------------------------------


def test_a_callback_post_resolves_once_and_connects_to_the_checked_address():
    receiver = Receiver()
    calls: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"] if len(calls) == 1 else ["10.9.9.9"]

    try:
        fetcher = SafeFetcher(FetchOptions(allow=("127.0.0.1/32",)), resolver=resolver)
        body = b"EventType=task.created&Sid=EV1"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        url = receiver.url_via("receiver.test")
        status = asyncio.run(fetcher.post(url, body, headers))
        assert status == 204
        assert calls == ["receiver.test"]
        [got] = receiver.received
        assert got.headers["Host"] == receiver.url_via("receiver.test").split("/")[2]
        assert got.form == {"EventType": "task.created", "Sid": "EV1"}
    finally:
        receiver.close()


def test_a_callback_post_to_a_name_with_any_internal_answer_is_refused():
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "169.254.169.254"]

    fetcher = SafeFetcher(FetchOptions(allow_private=True), resolver=resolver)
    with pytest.raises(FetchRefused):
        asyncio.run(fetcher.post("http://meta.test/x", b"", {}))


def test_a_redirect_from_the_receiver_is_not_followed():
    receiver = Receiver(respond=lambda _n: 307)
    try:
        fetcher = SafeFetcher(FetchOptions(allow=("127.0.0.1/32",), max_redirects=0))
        assert asyncio.run(fetcher.post(receiver.url, b"a=1", {})) == 307
        assert receiver.attempts == 1
    finally:
        receiver.close()
