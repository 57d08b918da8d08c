"""The analysis service: requested once, computed in the background, failures recorded."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import numpy as np
import pytest

from hindsight.auth.sealing import Sealer
from hindsight.domain.clock import SystemClock
from hindsight.domain.errors import InvalidParameter
from hindsight.media.analysis import (
    AnalysisOptions,
    AnalysisService,
    UrlSource,
    url_media_key,
)
from hindsight.media.fetch import FetchOptions, SafeFetcher
from tests.support.media_server import MediaServer
from tests.support.speech_audio import conversation, wav

ACCOUNT = "AC" + "a" * 32
OTHER = "AC" + "b" * 32
# Who speaks when (seconds). The truths below follow from these by hand; every one has a
# fractional part of at least a quarter second, so detection may be off by 0.25 s per measure
# and still give the same whole seconds.
CUSTOMER = [(1.0, 6.5), (20.25, 24.0), (41.5, 45.25), (60.0, 62.5)]
AGENT = [(7.75, 18.0), (23.0, 33.25), (45.75, 58.5), (62.0, 77.25)]
DURATION = 80.0
EXPECTED = {
    "customer_talk_time": 15,  # 5.5 + 3.75 + 3.75 + 2.5 = 15.5
    "agent_talk_time": 48,  # 10.25 + 10.25 + 12.75 + 15.25 = 48.5
    "crosstalk_time": 1,  # 23-24 and 62-62.5 = 1.5
    "silence_time": 17,  # 1 + 1.25 + 2.25 + 8.25 + 0.5 + 1.5 + 2.75 = 17.5
    "longest_silence_before_agent": 1,  # 6.5 -> 7.75 = 1.25
    "longest_silence_before_customer": 8,  # 33.25 -> 41.5 = 8.25: the long silence
    "longest_talk_by_agent": 15,  # 62 -> 77.25 = 15.25
    "longest_talk_by_customer": 5,  # 1 -> 6.5 = 5.5
}


def known_conversation(rate: int = 8000) -> bytes:
    return wav(conversation(DURATION, CUSTOMER, AGENT, rate=rate), rate)


@pytest.fixture(scope="module")
def media() -> Iterator[MediaServer]:
    rng = np.random.default_rng(3)
    server = MediaServer(
        files={
            "call.wav": known_conversation(),
            "mono.wav": wav(conversation(20.0, [(2.0, 9.5)], [], rate=8000)[:, :1]),
            "silent.wav": wav(np.zeros((8000 * 5, 2))),
            "short.wav": wav(rng.normal(0, 0.1, (40, 2))),
            "corrupt.wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + rng.bytes(300),
        },
        flaky_failures=1,
    )
    try:
        yield server
    finally:
        server.stop()


def service(db, **options) -> AnalysisService:
    fetcher = SafeFetcher(FetchOptions(allow=("127.0.0.1/32",)))
    return AnalysisService(
        db,
        SystemClock(),
        Sealer(secrets.token_bytes(32)),
        sources={"url": UrlSource(fetcher)},
        options=AnalysisOptions(retry_base_seconds=0.0, **options),
    )


async def analyse(svc: AnalysisService, url: str, account: str = ACCOUNT, channels=None):
    key = url_media_key(url)
    await svc.request(account, key, url, channels)
    while await svc.run_once():
        pass
    return await svc.get(account, key)


def test_a_known_conversation_gives_its_measures_to_the_second(db, media):
    svc = service(db)
    url = media.url("/file/call.wav")
    result = asyncio.run(analyse(svc, url))
    assert result.status == "done", result.error
    assert result.measures == EXPECTED
    assert result.duration_ms == 80_000
    assert result.codec == "pcm_s16le"
    assert result.channel_map == ["customer", "agent"]
    for found, truth in (
        (result.intervals["customer"], CUSTOMER),
        (result.intervals["agent"], AGENT),
    ):
        assert len(found) == len(truth)
        for (start, end), (t_start, t_end) in zip(found, truth, strict=True):
            assert abs(start - t_start * 1000) <= 100 and abs(end - t_end * 1000) <= 100
    assert len(result.intervals["crosstalk"]) == 2
    long_silence = max(result.intervals["silence"], key=lambda i: i[1] - i[0])
    assert abs(long_silence[0] - 33_250) <= 100 and abs(long_silence[1] - 41_500) <= 100
    peaks = result.peaks
    assert peaks["channels"] == 2 and peaks["bits"] == 8
    assert peaks["length"] * peaks["samples_per_pixel"] >= 80 * 8000
    document = result.as_json()
    assert document["status"] == "done" and document["measures"] == EXPECTED
    svc.close()


def test_channels_listed_the_other_way_round_swap_the_speakers(db, media):
    svc = service(db)
    url = media.url("/file/call.wav?swapped")
    result = asyncio.run(analyse(svc, url, channels=["others", "customer"]))
    assert result.channel_map == ["agent", "customer"]
    assert result.measures["agent_talk_time"] == EXPECTED["customer_talk_time"]
    assert result.measures["customer_talk_time"] == EXPECTED["agent_talk_time"]
    svc.close()


def test_requests_are_idempotent_and_computed_once(db, media):
    svc = service(db)
    url = media.url(f"/file/call.wav?{secrets.token_hex(4)}")

    async def scenario():
        first = await svc.request(ACCOUNT, url_media_key(url), url)
        again = await svc.request(ACCOUNT, url_media_key(url), url)
        assert first.status == again.status == "pending"
        while await svc.run_once():
            pass
        done = await svc.request(ACCOUNT, url_media_key(url), url)
        assert done.status == "done"
        assert not await svc.run_once()
        return await svc.get(OTHER, url_media_key(url))

    assert asyncio.run(scenario()) is None  # another account sees nothing
    assert media.hits(url.split(str(media.port), 1)[1]) == 1
    svc.close()


@pytest.mark.parametrize("name", ["mono.wav", "silent.wav", "short.wav"])
def test_mono_silent_and_very_short_files(db, media, name):
    svc = service(db)
    result = asyncio.run(analyse(svc, media.url(f"/file/{name}")))
    assert result.status == "done", result.error
    measures = result.measures
    if name == "mono.wav":
        assert result.channel_map == ["mixed"]
        assert measures["agent_talk_time"] is None and measures["crosstalk_time"] is None
        [(start, end)] = result.intervals["mixed"]
        assert abs(start - 2000) <= 100 and abs(end - 9500) <= 100
        assert measures["silence_time"] == 12  # 20 - 7.5
    elif name == "silent.wav":
        assert measures["silence_time"] == 5
        assert measures["agent_talk_time"] == measures["customer_talk_time"] == 0
    else:
        assert result.duration_ms == 5
        assert measures["silence_time"] == 0
    svc.close()


def test_corrupt_and_missing_media_fail_with_a_reason(db, media):
    svc = service(db)
    corrupt = asyncio.run(analyse(svc, media.url("/file/corrupt.wav")))
    assert corrupt.status == "failed"
    assert corrupt.error and corrupt.attempts == 1
    missing = asyncio.run(analyse(svc, media.url("/file/nothing.wav")))
    assert missing.status == "failed"
    assert "404" in missing.error and missing.attempts == 1  # permanent: not retried
    forbidden = asyncio.run(analyse(svc, "http://169.254.169.254/latest/meta-data/"))
    assert forbidden.status == "failed" and "169.254.169.254" in forbidden.error
    svc.close()


def test_transient_failures_are_retried_then_give_up(db, media):
    svc = service(db)
    flaky = asyncio.run(analyse(svc, media.url(f"/flaky/call.wav?{secrets.token_hex(4)}")))
    assert flaky.status == "done" and flaky.attempts == 2
    assert flaky.measures == EXPECTED
    limited = service(db, max_attempts=3)
    down = asyncio.run(analyse(limited, media.url(f"/status/503?{secrets.token_hex(4)}")))
    assert down.status == "failed" and down.attempts == 3 and "503" in down.error
    svc.close()
    limited.close()


@pytest.mark.parametrize(
    ("key", "source", "channels", "problem"),
    [
        ("nokind", "x", None, "kind"),
        ("recording:RE" + "0" * 32, "RE" + "0" * 32, None, "no audio source"),
        ("url:" + "0" * 64, "http://example.com/a.wav", None, "url_media_key"),
        (None, "ftp://example.com/a.wav", None, "http"),
        (None, "http://example.com/a.wav", "customer", "channels"),
        (None, "http://example.com/a.wav", ["x" * 40], "channels"),
        (None, "http://example.com/a.wav", [1, 2], "channels"),
        ("url: with space", "http://example.com/a.wav", None, "media key"),
    ],
)
def test_bad_requests_are_refused_and_store_nothing(db, key, source, channels, problem):
    svc = service(db)
    media_key = key or url_media_key(source)

    async def scenario():
        with pytest.raises(InvalidParameter, match=problem):
            await svc.request(ACCOUNT, media_key, source, channels)
        return await svc.get(ACCOUNT, media_key)

    assert asyncio.run(scenario()) is None
    svc.close()


def test_a_source_sealed_with_another_key_is_retried_with_a_clear_reason(db, media):
    url = media.url(f"/file/call.wav?{secrets.token_hex(4)}")
    key = url_media_key(url)
    sealer_of_another_server = service(db)
    ours = service(db, max_attempts=2)

    async def scenario():
        await sealer_of_another_server.request(ACCOUNT, key, url)
        assert await ours.run_once()
        waiting = await ours.get(ACCOUNT, key)
        assert waiting.status == "pending" and "HINDSIGHT_SECRET_KEY" in waiting.error
        assert await sealer_of_another_server.run_once()  # the right key still can
        return await ours.get(ACCOUNT, key)

    done = asyncio.run(scenario())
    assert done.status == "done" and done.attempts == 2
    sealer_of_another_server.close()
    ours.close()
