"""What interrupted uploads leave is removed at start, and uploads in progress are bounded."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hindsight.media import storage
from hindsight.media.storage import IncomingFull, LocalBlobStore
from tests.api.helpers_recordings import tenant
from tests.support import audio
from tests.support.server import start_server


def run(coro):
    return asyncio.run(coro)


def _killed_mid_upload(root: Path) -> Path:
    """A real process writes 2 MiB of an upload (past the first flush to disk) and is killed
    with SIGKILL before it commits; returns the temporary file it left."""
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys
        from pathlib import Path
        from hindsight.media.storage import LocalBlobStore

        async def main():
            store = LocalBlobStore(Path({str(root)!r}))
            writer = store.writer("RE" + "1" * 32)
            await writer.write(b"x" * (2 * 1024 * 1024))
            sys.stdout.write("written\\n")
            sys.stdout.flush()
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "written"
        (left,) = (root / ".incoming").glob("*.part")
        assert left.stat().st_size == 2 * 1024 * 1024
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return left


def test_a_killed_uploads_file_is_removed_when_the_store_starts(tmp_path: Path) -> None:
    left = _killed_mid_upload(tmp_path)
    store = LocalBlobStore(tmp_path)
    assert not left.exists()
    assert store.removed_at_start == 1


def test_files_of_running_writers_stay(tmp_path: Path) -> None:
    incoming = tmp_path / ".incoming"
    incoming.mkdir()
    host = storage._HOST
    mine = incoming / f"{host}-{os.getpid()}-ab12.part"
    parents = incoming / f"{host}-{os.getppid()}-cd34.part"
    elsewhere = incoming / "otherhost-1-ef56.part"
    for path in (mine, parents, elsewhere):
        path.write_bytes(b"half")
    LocalBlobStore(tmp_path)
    assert mine.exists() and parents.exists() and elsewhere.exists()


def test_bytes_in_progress_are_bounded(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, max_incoming_bytes=3 * 1024 * 1024)

    async def scenario() -> None:
        first = store.writer("RE" + "a" * 32)
        await first.write(b"a" * (2 * 1024 * 1024))
        second = store.writer("RE" + "b" * 32)
        await second.write(b"b" * (512 * 1024))
        with pytest.raises(IncomingFull) as refused:
            await second.write(b"b" * (1024 * 1024))
        assert refused.value.status == 503 and refused.value.retry_after > 0
        await second.abort()
        assert store.incoming_bytes == 2 * 1024 * 1024
        await first.commit()
        assert store.incoming_bytes == 0
        third = store.writer("RE" + "c" * 32)
        await third.write(b"c" * (3 * 1024 * 1024))
        await third.commit()

    run(scenario())
    assert list((tmp_path / ".incoming").glob("*.part")) == []


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory):
    """A server that holds at most 16 KiB of uploads in progress."""
    data_dir = tmp_path_factory.mktemp("crowded")
    server = start_server(data_dir, f"sqlite:///{data_dir / 'h.db'}", max_incoming_bytes=16 * 1024)
    try:
        yield server
    finally:
        server.stop()


def test_an_upload_past_the_bound_is_refused_with_503_and_stores_nothing(crowded) -> None:
    a = tenant(crowded, "crowded")
    handled = a.handle({"conversations": {}})
    response = a.upload(audio.wav(1.0), reservation_sid=handled.reservation_sid)
    assert response.status_code == 503, response.text
    assert response.json()["code"] == 20503
    assert int(response.headers["retry-after"]) > 0
    assert a.files() == [] and a.rows() == 0
    # Within the bound, uploads go through, and release what they held.
    assert a.created(audio.wav(0.25, channels=1), reservation_sid=handled.reservation_sid)
    assert crowded.runtime.services.recordings.blobs.incoming_bytes == 0
