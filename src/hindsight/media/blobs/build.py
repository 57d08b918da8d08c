"""The blob store the settings describe: local or S3, wrapped for encryption at rest when a
media keyring is in use (once encryption has been on, objects stay readable even if it is
turned off again, as long as the keyring is there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hindsight.media.blobs.encrypted import EncryptedBlobStore
from hindsight.media.blobs.envelope import Keyring, load_or_create, parse_keys, read_keyring
from hindsight.media.storage import BlobStore, LocalBlobStore

if TYPE_CHECKING:
    from hindsight.media.blobs.s3 import S3BlobStore, S3Options
    from hindsight.settings import Settings


def keyring(settings: Settings, create: bool | None = None) -> Keyring | None:
    """The media keyring: from `media_keys`, else the file (created if encryption is on)."""
    if settings.media_keys:
        return parse_keys(settings.media_keys)
    path = settings.resolved_media_keyring()
    if settings.media_encryption if create is None else create:
        return load_or_create(path)
    return read_keyring(path)


def s3_options(settings: Settings) -> S3Options:
    from hindsight.media.blobs.s3 import S3Options

    if not settings.s3_bucket:
        raise ValueError("HINDSIGHT_S3_BUCKET must name the bucket recordings are kept in")
    return S3Options(
        bucket=settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        prefix=settings.s3_prefix,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        path_style=settings.s3_path_style,
        part_size=settings.s3_part_size_mb * 1024 * 1024,
        read_timeout=settings.s3_timeout_seconds,
    )


def local_store(settings: Settings) -> LocalBlobStore:
    return LocalBlobStore(settings.data_dir / "recordings", settings.max_incoming_bytes)


def s3_store(settings: Settings) -> S3BlobStore:
    # Imported here: boto3 takes a while to import and only S3 deployments need it.
    from hindsight.media.blobs.s3 import S3BlobStore

    return S3BlobStore(s3_options(settings), settings.max_incoming_bytes)


def raw_store(settings: Settings) -> BlobStore:
    """The store as settings name it, without encryption (for upkeep commands)."""
    return s3_store(settings) if settings.media_store == "s3" else local_store(settings)


def wrapped(inner: BlobStore, settings: Settings) -> BlobStore:
    found = keyring(settings)
    if found is None:
        return inner
    return EncryptedBlobStore(inner, found, encrypt=settings.media_encryption)


def blob_store(settings: Settings) -> BlobStore:
    return wrapped(raw_store(settings), settings)
