"""`hindsight media` on a real installation: recordings uploaded in plain are encrypted in
place (resumable, reported first), the key is rotated without rewriting audio, and the
installation moves to an S3 bucket (moto's real server) with every object verified, nothing
deleted until asked and checked; a server on the bucket then plays what was uploaded."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import orjson

from hindsight.media.blobs.encrypted import record_key
from tests.cli.test_cli import _env, _hindsight
from tests.support import audio
from tests.support.s3_server import S3Server
from tests.support.server import RunningServer, start_server

CALL = "CA" + "7" * 32


def _upload(server: RunningServer, auth: tuple[str, str], content: bytes) -> str:
    answer = httpx.post(
        f"{server.base_url}/api/v1/recordings",
        files={"file": ("call.wav", content, "audio/wav")},
        data={"call_sid": CALL},
        auth=auth,
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["sid"]


def _play(server: RunningServer, auth: tuple[str, str], sid: str, **headers: str) -> bytes:
    answer = httpx.get(
        f"{server.base_url}/api/v1/recordings/{sid}/media", auth=auth, headers=headers, timeout=60
    )
    assert answer.status_code in (200, 206), answer.text
    return answer.content


def test_encrypt_rotate_and_migrate_an_installation(tmp_path: Path, s3_server: S3Server) -> None:
    data_dir = tmp_path / "data"
    bucket = s3_server.create_bucket(f"move-{secrets.token_hex(5)}")
    s3_env = {
        "HINDSIGHT_S3_BUCKET": bucket,
        "HINDSIGHT_S3_ENDPOINT_URL": s3_server.endpoint,
        "HINDSIGHT_S3_ACCESS_KEY_ID": s3_server.access_key,
        "HINDSIGHT_S3_SECRET_ACCESS_KEY": s3_server.secret_key,
        "HINDSIGHT_S3_PATH_STYLE": "true",
    }
    env = _env(data_dir, **s3_env)

    # Recordings uploaded before encryption was on.
    plain = start_server(data_dir, None, run_media_analysis=False)
    account = plain.new_account("media-cli")
    auth = (account.sid, account.auth_token)
    contents = [audio.wav(1.0), audio.wav(2.0), audio.wav(0.5)]
    sids = [_upload(plain, auth, c) for c in contents]
    plain.stop()
    files = [data_dir / "recordings" / account.sid / sid for sid in sids]
    assert files[0].read_bytes() == contents[0]

    refused = _hindsight("media", "encrypt", env=env)
    assert refused.returncode == 1 and "HINDSIGHT_MEDIA_ENCRYPTION" in refused.stdout
    env["HINDSIGHT_MEDIA_ENCRYPTION"] = "true"
    report = _hindsight("media", "encrypt", "--dry-run", env=env)
    assert report.returncode == 0, report.stderr
    assert "3 objects" in report.stdout and "not encrypted" in report.stdout
    assert files[0].read_bytes() == contents[0]  # a dry run changes nothing

    done = _hindsight("media", "encrypt", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Encrypted 3 objects" in done.stdout
    for path, content in zip(files, contents, strict=True):
        stored = path.read_bytes()
        assert stored.startswith(b"HSMEDIA1") and content[1000:3000] not in stored
    again = _hindsight("media", "encrypt", env=env)
    assert "0 objects (0 bytes) are not encrypted" in again.stdout

    status = _hindsight("media", "status", env=env)
    assert status.returncode == 0, status.stdout + status.stderr
    assert (
        "3 objects, 0 not encrypted" in status.stdout
        and "encryption of new recordings: on" in status.stdout
    )
    keyring_path = data_dir / "media-keys.json"
    first_key = orjson.loads(keyring_path.read_bytes())["current"]
    audio_before = files[1].read_bytes()
    rotated = _hindsight("media", "rotate-key", "--retire", env=env)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    keyring = orjson.loads(keyring_path.read_bytes())
    assert keyring["current"] != first_key and list(keyring["keys"]) == [keyring["current"]]
    record = data_dir / "recordings" / record_key(f"{account.sid}/{sids[1]}")
    assert orjson.loads(record.read_bytes())["kek"] == keyring["current"]
    assert files[1].read_bytes() == audio_before  # the audio was not rewritten

    # Still plays from the local store with the rotated key.
    local = start_server(data_dir, None, run_media_analysis=False, media_encryption=True)
    try:
        assert _play(local, auth, sids[0]) == contents[0]
    finally:
        local.stop()

    moved = _hindsight("media", "migrate", "--to", "s3", env=env)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "Copied 6 objects" in moved.stdout  # three recordings and their key records
    assert all(path.exists() for path in files)  # nothing deleted unless asked

    # Interrupted or damaged copies are found and copied again; the rest is skipped.
    client = s3_server.client()
    client.delete_object(Bucket=bucket, Key=f"{account.sid}/{sids[0]}")
    client.put_object(Bucket=bucket, Key=f"{account.sid}/{sids[2]}", Body=b"damaged")
    resumed = _hindsight("media", "migrate", "--to", "s3", "--delete-local", env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Copied 2 objects" in resumed.stdout and "4 already done" in resumed.stdout
    assert "Deleted 6 objects" in resumed.stdout
    assert not any(path.exists() for path in files)

    on_s3 = start_server(
        data_dir,
        None,
        run_media_analysis=False,
        media_encryption=True,
        media_store="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_server.endpoint,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
        s3_path_style=True,
    )
    try:
        for sid, content in zip(sids, contents, strict=True):
            assert _play(on_s3, auth, sid) == content
        assert _play(on_s3, auth, sids[1], Range="bytes=20000-20999") == contents[1][20000:21000]
    finally:
        on_s3.stop()

    # An object no recording names is an orphan; recordings are not.
    client.put_object(Bucket=bucket, Key=f"{account.sid}/RE{'0' * 32}", Body=b"left over")
    s3_env_on = {**env, "HINDSIGHT_MEDIA_STORE": "s3"}
    listed = _hindsight("media", "orphans", "--hours", "0", env=s3_env_on)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert f"RE{'0' * 32}" in listed.stdout and "Found 1 orphaned" in listed.stdout
    deleted = _hindsight("media", "orphans", "--hours", "0", "--delete", env=s3_env_on)
    assert "Deleted 1 orphaned" in deleted.stdout
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 6


def test_media_commands_refuse_what_they_cannot_do(tmp_path: Path) -> None:
    env = _env(tmp_path)
    wrong = _hindsight("media", "migrate", "--to", "ftp", env=env)
    assert wrong.returncode == 1 and "only --to s3" in wrong.stdout + wrong.stderr
    no_bucket = _hindsight("media", "migrate", "--to", "s3", env=env)
    assert (
        no_bucket.returncode == 1 and "HINDSIGHT_S3_BUCKET" in no_bucket.stdout + no_bucket.stderr
    )
    down = _hindsight(
        "media",
        "migrate",
        "--to",
        "s3",
        env={**env, "HINDSIGHT_S3_BUCKET": "b", "HINDSIGHT_S3_ENDPOINT_URL": "http://127.0.0.1:9"},
    )
    assert down.returncode == 1 and "unavailable" in down.stdout + down.stderr
    assert "Traceback" not in down.stderr
    keys = _hindsight("media", "rotate-key", env={**env, "HINDSIGHT_MEDIA_KEYS": "k:zz"})
    assert keys.returncode == 1 and "Traceback" not in keys.stderr
