"""Recordings kept in an S3 bucket (moto's real server, behind a proxy that can fail),
encrypted at rest, served over HTTP: on PostgreSQL by two Hindsight servers sharing the
database and the bucket (one receives, the other streams), on SQLite by one. A store that is
down or an object that was altered gives "recording unavailable", audited, never a 500."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hindsight.media.blobs.encrypted import record_key
from tests.api.helpers_recordings import Tenant, tenant
from tests.api.test_recordings_in_conversations import by_kind, detail
from tests.conftest import BACKENDS, database_url_for
from tests.support import audio
from tests.support.people import audit_of, person
from tests.support.s3_server import FaultyProxy, S3Server
from tests.support.server import RunningServer, start_server

CALL = "CA" + "5" * 32


@dataclass
class Deployment:
    receiving: RunningServer
    streaming: RunningServer
    proxy: FaultyProxy
    s3: S3Server
    bucket: str
    prefix: str

    def objects(self) -> list[str]:
        listed = self.s3.client().list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)
        return sorted(o["Key"][len(self.prefix) :] for o in listed.get("Contents", []))

    def stored(self, key: str) -> bytes:
        answer = self.s3.client().get_object(Bucket=self.bucket, Key=self.prefix + key)
        return answer["Body"].read()

    def replace(self, key: str, data: bytes) -> None:
        self.s3.client().put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)


@pytest.fixture(scope="module", params=BACKENDS)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server
) -> Iterator[Deployment]:
    backend: str = request.param
    bucket = s3_server.create_bucket(f"rec-{secrets.token_hex(6)}")
    proxy = FaultyProxy(s3_server.port)
    media_keys = f"k1:{secrets.token_hex(32)}"

    def server(name: str) -> RunningServer:
        data_dir: Path = tmp_path_factory.mktemp(f"s3-{backend}-{name}")
        shared = tmp_path_factory.getbasetemp() / f"s3-shared-{backend}"
        shared.mkdir(exist_ok=True)
        url = database_url_for(backend, shared, request)
        return start_server(
            data_dir,
            url,
            rate_limit_login_per_minute=0,
            media_store="s3",
            s3_endpoint_url=proxy.endpoint,
            s3_bucket=bucket,
            s3_prefix="hindsight",
            s3_access_key_id=s3_server.access_key,
            s3_secret_access_key=s3_server.secret_key,
            s3_path_style=True,
            s3_timeout_seconds=2,
            media_encryption=True,
            media_keys=media_keys,
            run_media_analysis=False,
        )

    receiving = server("one")
    streaming = server("two") if backend == "postgres" else receiving
    try:
        yield Deployment(receiving, streaming, proxy, s3_server, bucket, "hindsight/")
    finally:
        if streaming is not receiving:
            streaming.stop()
        receiving.stop()
        proxy.stop()


@pytest.fixture(scope="module")
def shop(deployment: Deployment) -> Tenant:
    return tenant(deployment.receiving, f"s3-shop-{secrets.token_hex(3)}")


def _media(deployment: Deployment, shop: Tenant, sid: str, **headers: str) -> httpx.Response:
    url = f"{deployment.streaming.base_url}/api/v1/recordings/{sid}/media"
    return httpx.get(url, auth=shop.auth, headers=headers, timeout=60)


def test_a_recording_received_by_one_host_streams_from_another(
    deployment: Deployment, shop: Tenant
) -> None:
    content = audio.wav(3.0)
    held = shop.created(content, call_sid=CALL)
    key = f"{shop.account.sid}/{held['sid']}"
    assert {key, record_key(key)} <= set(deployment.objects())
    stored = deployment.stored(key)
    assert stored.startswith(b"HSMEDIA1") and content[44:2000] not in stored  # not the audio
    whole = _media(deployment, shop, held["sid"])
    assert whole.status_code == 200 and whole.content == content
    part = _media(deployment, shop, held["sid"], Range="bytes=70000-70099")
    assert part.status_code == 206 and part.content == content[70000:70100]
    assert part.headers["content-range"] == f"bytes 70000-70099/{len(content)}"
    head = httpx.head(
        f"{deployment.streaming.base_url}/api/v1/recordings/{held['sid']}/media", auth=shop.auth
    )
    assert head.status_code == 200 and head.headers["content-length"] == str(len(content))
    deleted = httpx.delete(
        f"{deployment.streaming.base_url}/api/v1/recordings/{held['sid']}", auth=shop.auth
    )
    assert deleted.status_code == 204
    assert key not in deployment.objects() and record_key(key) not in deployment.objects()


def test_a_store_that_is_down_is_unavailable_never_a_500(
    deployment: Deployment, shop: Tenant
) -> None:
    content = audio.wav(0.5)
    held = shop.created(content, call_sid=CALL)
    before = deployment.objects()
    deployment.proxy.faults.mode = "down"
    try:
        answer = _media(deployment, shop, held["sid"])
        assert answer.status_code == 503, answer.text
        assert "unavailable" in answer.json()["message"] and answer.headers["retry-after"]
        refused = shop.upload(audio.wav(0.5), call_sid=CALL)
        assert refused.status_code == 503, refused.text
        assert "unavailable" in refused.json()["message"]
    finally:
        deployment.proxy.faults.mode = "pass"
    assert deployment.objects() == before  # nothing half-written
    assert _media(deployment, shop, held["sid"]).content == content


def test_a_tampered_recording_is_refused_and_the_refusal_audited(
    deployment: Deployment, shop: Tenant
) -> None:
    handled = shop.handle({"type": "call", "conversations": {"conversation_id": "s3-tampered"}})
    content = audio.wav(1.0)
    held = shop.created(content, task_sid=handled.task_sid)
    key = f"{shop.account.sid}/{held['sid']}"
    stored = bytearray(deployment.stored(key))
    stored[100] ^= 0xFF
    deployment.replace(key, bytes(stored))
    answer = _media(deployment, shop, held["sid"])
    assert answer.status_code == 409 and "unavailable" in answer.json()["message"]
    assert content[:100] not in answer.content
    # A person following a media link: told in words, and the failure is in the audit trail.
    segment = by_kind(detail(shop, "s3-tampered"), "Conversation")
    listener = person(shop.server, shop.account.sid, ("wfo.team_leader",), name="listener")
    minted = listener.post("/api/v1/media/links", {"segment_id": segment["segment_id"], "index": 0})
    assert minted.status_code == 201, minted.text
    opened = listener.get(minted.json()["url"])
    assert opened.status_code == 409 and b"RIFF" not in opened.content
    # The player puts "Recording unavailable: " before the reason, so the reason alone.
    assert opened.json()["message"] == "its stored bytes fail their authentication tag"
    played = [r for r in audit_of(shop.server, listener.sid) if r["action"] == "media.play"]
    assert played[-1]["outcome"] == "failed" and "unavailable" in played[-1]["reason"]


def test_a_store_stopping_mid_stream_ends_the_answer_short_never_with_garbage(
    deployment: Deployment, shop: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    content = audio.wav(30.0)  # 960 kB: several stored pieces
    held = shop.created(content, call_sid=CALL)
    deployment.proxy.faults.mode, deployment.proxy.faults.cut_after = "cut", 300_000
    deployment.proxy.faults.only_method = "GET"
    received = b""
    try:
        url = f"{deployment.streaming.base_url}/api/v1/recordings/{held['sid']}/media"
        with (
            caplog.at_level("WARNING", logger="hindsight.media.recordings"),
            pytest.raises(httpx.RemoteProtocolError),
            httpx.stream("GET", url, auth=shop.auth, timeout=60) as answer,
        ):
            assert answer.status_code == 200  # sent before the store stopped
            for chunk in answer.iter_bytes():
                received += chunk
        assert any("stopped" in r.getMessage() for r in caplog.records)
    finally:
        deployment.proxy.faults.mode, deployment.proxy.faults.only_method = "pass", None
    assert len(received) < len(content) and content.startswith(received)
    assert _media(deployment, shop, held["sid"]).content == content
