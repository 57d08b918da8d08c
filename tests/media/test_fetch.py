"""The outbound fetcher refuses internal addresses in every spelling, and is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from hindsight.media.fetch import (
    FetchFailed,
    FetchOptions,
    FetchRefused,
    FetchTimeout,
    FetchTooLarge,
    SafeFetcher,
    parse_allow_list,
)
from tests.support.media_server import MediaServer

LOCAL = FetchOptions(allow=("127.0.0.1/32",))


@pytest.fixture(scope="module")
def media() -> Iterator[MediaServer]:
    server = MediaServer(files={"a.bin": bytes(range(256)) * 1000})
    try:
        yield server
    finally:
        server.stop()


async def fetch(url: str, options: FetchOptions = LOCAL, **kwargs) -> bytes:
    fetcher = SafeFetcher(options, resolver=kwargs.pop("resolver", None))
    async with fetcher.open(url, **kwargs) as response:
        return b"".join([chunk async for chunk in response.chunks()])


def run(coro):
    return asyncio.run(coro)


FORBIDDEN = [
    "http://127.0.0.1/",
    "http://127.0.0.2:8080/x",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://[::1]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.10/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0/",
    "http://192.0.2.1/",
    "https://127.0.0.1/",
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_internal_addresses_are_refused_in_every_spelling(url):
    with pytest.raises(FetchRefused):
        run(fetch(url, FetchOptions()))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.wav",
        "javascript:alert(1)",
        "data:audio/wav;base64,UklGRg==",
        "gopher://example.com/",
        "//example.com/a.wav",
        "/a.wav",
        "http://user:secret@example.com/a.wav",
        "http://@example.com/a.wav",
        "http:///a.wav",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "",
    ],
)
def test_only_plain_http_and_https_urls_are_fetched(url):
    with pytest.raises(FetchRefused):
        run(fetch(url, FetchOptions(allow_private=True)))


def test_any_forbidden_answer_refuses_the_host():
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(FetchRefused, match=r"10\.0\.0\.7"):
        run(fetch("http://mixed.test/a.wav", FetchOptions(), resolver=resolver))


def test_allow_private_admits_loopback_but_not_metadata_or_unspecified(media):
    options = FetchOptions(allow_private=True)
    assert run(fetch(media.url("/file/a.bin"), options)) == media.files["a.bin"]
    for url in ("http://169.254.169.254/", "http://0.0.0.0/", "http://[fe80::1]/"):
        with pytest.raises(FetchRefused):
            run(fetch(url, options))


def test_an_allowed_cidr_is_fetched_from_and_nothing_secret_is_sent(media):
    before = len(media.requests)
    assert run(fetch(media.url("/file/a.bin"))) == media.files["a.bin"]
    path, headers = media.requests[before]
    assert path == "/file/a.bin"
    assert headers["Host"] == f"127.0.0.1:{media.port}"
    assert headers["Accept-Encoding"] == "identity"
    assert "Authorization" not in headers and "Cookie" not in headers


def test_an_allowed_host_name_connects_to_the_address_that_was_checked(media):
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    calls = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    options = FetchOptions(allow=("media.test",))
    body = run(fetch(media.url("/file/a.bin", host="media.test"), options, resolver=rebinding))
    assert body == media.files["a.bin"]
    assert calls == ["media.test"]  # resolved once; the connection used that answer
    assert media.requests[-1][1]["Host"] == f"media.test:{media.port}"


def test_a_redirect_to_a_forbidden_address_is_refused(media):
    for target in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/a.wav",
        "http://0x7f000001/",
        "file:///etc/passwd",
    ):
        url = media.url(f"/redirect?to={target}")
        with pytest.raises(FetchRefused):
            run(fetch(url))


def test_redirects_are_followed_a_few_times_and_checked_each_time(media):
    hop = media.url("/file/a.bin")
    for _ in range(3):
        hop = media.url(f"/redirect?to={hop}")
    assert run(fetch(hop)) == media.files["a.bin"]
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        run(fetch(media.url(f"/redirect?to={hop}")))


def test_caller_headers_do_not_follow_a_redirect_to_another_origin(media):
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    options = FetchOptions(allow=("127.0.0.1/32", "other.test"))
    target = media.url("/file/a.bin", host="other.test")
    run(
        fetch(
            media.url(f"/redirect?to={target}"),
            options,
            resolver=resolver,
            headers={"Authorization": "Basic c2VjcmV0"},
        )
    )
    first, second = media.requests[-2:]
    assert first[1]["Authorization"] == "Basic c2VjcmV0"
    assert "Authorization" not in second[1]


def test_error_statuses_say_whether_to_try_again(media):
    with pytest.raises(FetchFailed) as missing:
        run(fetch(media.url("/status/404")))
    assert missing.value.permanent and missing.value.http_status == 404
    with pytest.raises(FetchFailed) as busy:
        run(fetch(media.url("/status/503")))
    assert not busy.value.permanent


def test_oversize_bodies_are_refused(media):
    small = FetchOptions(allow=("127.0.0.1/32",), max_bytes=10_000)
    with pytest.raises(FetchTooLarge):  # declared too large: refused before reading
        run(fetch(media.url("/file/a.bin"), small))
    with pytest.raises(FetchTooLarge):  # no length given: stopped once over the limit
        run(fetch(media.url("/endless"), small))


def test_slow_servers_time_out(media):
    stalled = FetchOptions(allow=("127.0.0.1/32",), read_timeout_seconds=0.3)
    with pytest.raises(FetchTimeout):
        run(fetch(media.url("/stall"), stalled))
    trickling = FetchOptions(
        allow=("127.0.0.1/32",), read_timeout_seconds=1.0, total_timeout_seconds=0.8
    )
    with pytest.raises(FetchTimeout):
        run(fetch(media.url("/trickle"), trickling))


def test_unreachable_servers_fail_and_may_be_tried_again():
    with pytest.raises(FetchFailed) as refused:
        run(fetch("http://127.0.0.1:1/a.wav"))
    assert not refused.value.permanent


def test_the_allow_list_setting_is_parsed_strictly():
    assert parse_allow_list(" media.internal, 10.20.0.0/16,,::1 ") == (
        "media.internal",
        "10.20.0.0/16",
        "::1",
    )
    with pytest.raises(ValueError):
        parse_allow_list("http://media.internal/")
