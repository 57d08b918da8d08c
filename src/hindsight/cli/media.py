"""`hindsight media`: where recordings are kept, encryption at rest, key rotation, moving to
object storage, orphans. Every command can be stopped and run again: it picks up where it was."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from hindsight.cli.kit import console, fail

# The stores and boto3 are imported inside the commands, so `--help` needs none of them.
if TYPE_CHECKING:
    from hindsight.media.blobs.upkeep import Tally
    from hindsight.settings import Settings

media_app = typer.Typer(
    help="Where recordings are kept (local or S3), encryption at rest, keys, migration."
)
T = TypeVar("T")


def _settings() -> Settings:
    from hindsight.settings import Settings

    return Settings()


def _run(work: Coroutine[Any, Any, T]) -> T:
    from hindsight.domain.errors import HindsightError

    try:
        return asyncio.run(work)
    except HindsightError as failure:
        fail(failure.message)
        raise  # not reached


@contextmanager
def _bar(what: str, total: int) -> Iterator[Callable[[str, int], None]]:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(what, total=total)
        yield lambda key, size: progress.advance(task, size)


def _report(verb: str, tally: Tally) -> None:
    console.print(
        f"{verb} {len(tally.done)} objects ({tally.bytes} bytes); "
        f"{len(tally.skipped)} already done."
    )
    for key, why in sorted(tally.failed.items()):
        console.print(f"FAILED {key}: {why}")
    if tally.failed:
        raise typer.Exit(1)


def _sealed_store(settings: Settings):  # type: ignore[no-untyped-def]
    from hindsight.media.blobs import build
    from hindsight.media.blobs.encrypted import EncryptedBlobStore

    keyring = build.keyring(settings, create=True)
    return EncryptedBlobStore(build.raw_store(settings), keyring, encrypt=True)


@media_app.command("status")
def status() -> None:
    """Where recordings are kept, whether that store answers, and what is not encrypted."""
    from hindsight.media.blobs import build, upkeep
    from hindsight.media.blobs.encrypted import EncryptedBlobStore

    settings = _settings()
    store = build.raw_store(settings)

    async def look() -> None:
        check = getattr(store, "check", None)
        if check is not None:
            await check()
        where = "s3://" + str(settings.s3_bucket) if settings.media_store == "s3" else "local"
        keyring = build.keyring(settings)
        console.print(
            f"Store: {where}; encryption of new recordings: "
            f"{'on' if settings.media_encryption else 'off'}"
        )
        objects = await upkeep.media_blobs(store)
        plain = await upkeep.unencrypted(EncryptedBlobStore(store, keyring, encrypt=False))
        console.print(
            f"{len(objects)} objects, {len(plain)} not encrypted "
            f"({sum(i.size for i in plain)} bytes)."
        )
        if keyring is not None:
            used = await upkeep.kek_ids_in_use(store)
            console.print(f"Keys: current {keyring.current}; in use: {', '.join(sorted(used))}")

    _run(look())


@media_app.command("encrypt")
def encrypt(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only report what is not encrypted."),
) -> None:
    """Report what is stored unencrypted and encrypt it in place (resumable)."""
    from hindsight.media.blobs import upkeep

    settings = _settings()
    if not settings.media_encryption:
        # A server started without encryption reads objects as they are stored: it must be
        # restarted with encryption on before objects it serves change under it.
        fail(
            "Set HINDSIGHT_MEDIA_ENCRYPTION=true (and restart every server with it) first: "
            "servers without it would send encrypted objects as they are stored."
        )
    sealed = _sealed_store(settings)

    async def work() -> None:
        todo = await upkeep.unencrypted(sealed)
        total = sum(i.size for i in todo)
        console.print(f"{len(todo)} objects ({total} bytes) are not encrypted.")
        if dry_run or not todo:
            return
        with _bar("Encrypting", total) as advance:
            tally = await upkeep.encrypt(sealed, todo, advance)
        _report("Encrypted", tally)

    _run(work())


@media_app.command("rotate-key")
def rotate_key(
    retire: bool = typer.Option(
        False, "--retire", help="Afterwards, drop keys no object needs any more."
    ),
) -> None:
    """Add a new key-encryption key, make it current and re-wrap every data key with it
    (the audio is not rewritten). Resumable: run it again after an interruption."""
    from hindsight.media.blobs import build, envelope, upkeep

    settings = _settings()
    if settings.media_keys:
        fail(
            "HINDSIGHT_MEDIA_KEYS is set: add the new key in front of the list yourself, then "
            "run `hindsight media rotate-key` again with it (it re-wraps with the first key)."
        )
    path = settings.resolved_media_keyring()
    keyring = build.keyring(settings, create=True)
    assert keyring is not None
    store = build.raw_store(settings)

    async def work() -> None:
        nonlocal keyring
        records = await upkeep.key_records(store)
        pending = [r for r in records]
        if await _all_current(store, keyring, pending):
            keyring = keyring.with_new_key()
            envelope.write_keyring(path, keyring)
            console.print(f"New current key {keyring.current} written to {path}.")
        else:
            console.print(f"Resuming: re-wrapping with {keyring.current}.")
        with _bar("Re-wrapping", sum(r.size for r in records)) as advance:
            tally = await upkeep.rotate(store, keyring, advance)
        _report("Re-wrapped", tally)
        if retire:
            used = await upkeep.kek_ids_in_use(store)
            unused = set(keyring.keys) - used - {keyring.current}
            envelope.write_keyring(path, keyring.without(unused))
            console.print(f"Retired keys: {', '.join(sorted(unused)) or 'none'}.")
        console.print("Copy the keyring to every host of this deployment.")

    _run(work())


async def _all_current(store: Any, keyring: Any, records: list[Any]) -> bool:
    """Whether every key record is wrapped by the current key (then a new one is made;
    otherwise an earlier rotation was interrupted and is finished first)."""
    from hindsight.media.blobs.envelope import KeyRecord
    from hindsight.media.storage import read_all

    for info in records:
        if KeyRecord.from_bytes(await read_all(store, info.key)).kek_id != keyring.current:
            return False
    return True


@media_app.command("migrate")
def migrate(
    to: str = typer.Option(..., "--to", help="Where to: 's3' (the HINDSIGHT_S3_* settings)."),
    delete_local: bool = typer.Option(
        False,
        "--delete-local",
        help="After every object is copied and verified, delete the local files "
        "(each checked against the copy once more first).",
    ),
) -> None:
    """Copy every recording (and key record) from local files to the object store, each
    verified by SHA-256 read back from the store. Resumable; nothing is deleted unless asked
    and verified. Then set HINDSIGHT_MEDIA_STORE=s3 on every host."""
    from hindsight.media.blobs import build, upkeep

    if to != "s3":
        fail("only --to s3 is supported")
    settings = _settings()
    try:
        target = build.s3_store(settings)
    except ValueError as refused:
        fail(str(refused))
    source = build.local_store(settings)

    async def work() -> None:
        await target.check()
        listed = [i async for i in source.list_blobs()]
        total = sum(i.size for i in listed)
        console.print(f"{len(listed)} objects ({total} bytes) to copy to s3://{target.bucket}.")
        with _bar("Copying", total) as advance:
            tally = await upkeep.migrate(source, target, advance)
        _report("Copied", tally)
        if delete_local:
            with _bar("Deleting local copies", total) as advance:
                deleted = await upkeep.delete_migrated(source, target, advance)
            _report("Deleted", deleted)
        elif settings.media_store != "s3":
            console.print("Now set HINDSIGHT_MEDIA_STORE=s3 on every host and restart.")

    _run(work())


@media_app.command("orphans")
def orphans(
    delete: bool = typer.Option(False, "--delete", help="Delete them (default: list only)."),
    hours: float = typer.Option(24, min=0, help="Only objects untouched for this long."),
) -> None:
    """Objects in the store that no recording names (left by a crash between storing the
    bytes and writing the row)."""
    from hindsight.media.blobs import build, upkeep
    from hindsight.store import recordings
    from hindsight.store.database import Database, DatabaseOptions

    settings = _settings()
    store = build.blob_store(settings)
    db = Database(DatabaseOptions(settings.resolved_database_url()))
    try:
        known = db.read_sync(recordings.blob_keys)
    finally:
        db.close()

    async def work() -> None:
        found = await upkeep.orphans(store, known, time.time() - hours * 3600)
        for info in found:
            console.print(f"{info.key}\t{info.size}")
            if delete:
                await store.delete(info.key)
        verb = "Deleted" if delete else "Found"
        console.print(f"{verb} {len(found)} orphaned objects.")

    _run(work())
