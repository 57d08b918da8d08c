"""Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, Garage, Wasabi, ...).

The client is boto3 (botocore), run in worker threads. Why it and not an async client:
it is AWS's own SDK, released weekly and the reference every S3-compatible store tests
against (signature v4, path-style addressing, retries with back-off, checksums); its
`StreamingBody` reads a ranged GET a chunk at a time, and its client is thread-safe, so one
client with a connection pool serves every request. aiobotocore pins one exact botocore
release and brings aiohttp beside our httpx; obstore is young and its range streaming goes
through Rust futures we could not bound as simply. Blocking calls run in `anyio` worker
threads, never on the event loop.

* A writer buffers at most one part (`part_size`, 8 MiB by default) and sends it as part of a
  multipart upload; a blob smaller than one part is one PUT. Nothing is visible under the key
  until `commit()` completes the upload, and `abort()` aborts it, so a failure never leaves a
  half-written object (a bucket lifecycle rule for incomplete multipart uploads cleans up after
  a process killed mid-upload: see the README).
* Reads are ranged GETs streamed a chunk at a time; `open_reader` gives a seekable file over
  ranged GETs for probing headers.
* Every failure of the store (down, slow past its timeouts, 5xx, wrong credentials, no such
  bucket) becomes `BlobUnavailable`; a missing object is `BlobMissing`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

import anyio
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hindsight.media.blobs.seekable import SeekableReader
from hindsight.media.storage import (
    READ_CHUNK,
    BlobInfo,
    BlobMissing,
    BlobUnavailable,
    BufferedWriter,
    IncomingBudget,
    StoredBlob,
    check_key,
)

T = TypeVar("T")
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
_MIN_PART = 5 * 1024 * 1024  # S3's smallest part but the last


@dataclass(frozen=True)
class S3Options:
    bucket: str
    endpoint_url: str | None = None
    region: str | None = None
    prefix: str = ""
    access_key_id: str | None = None
    secret_access_key: str | None = None
    path_style: bool = False
    part_size: int = 8 * 1024 * 1024
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 3


def _unavailable(failure: Exception) -> BlobUnavailable:
    if isinstance(failure, ClientError):
        code = failure.response.get("Error", {}).get("Code", "?")
        return BlobUnavailable(f"the media store answered {code}")
    return BlobUnavailable("the media store could not be reached")


def _is_missing(failure: ClientError) -> bool:
    return failure.response.get("Error", {}).get("Code") in _MISSING_CODES


class S3BlobStore(IncomingBudget):
    def __init__(self, options: S3Options, max_incoming_bytes: int = 2 * 1024**3) -> None:
        super().__init__(max_incoming_bytes)
        if options.part_size < _MIN_PART:
            raise ValueError("the S3 part size must be at least 5 MiB")
        self.options = options
        self.bucket = options.bucket
        self._prefix = options.prefix.strip("/") + "/" if options.prefix.strip("/") else ""
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=options.endpoint_url,
            region_name=options.region or "us-east-1",
            aws_access_key_id=options.access_key_id,
            aws_secret_access_key=options.secret_access_key,
            config=Config(
                s3={"addressing_style": "path" if options.path_style else "auto"},
                retries={"max_attempts": options.max_attempts, "mode": "standard"},
                connect_timeout=options.connect_timeout,
                read_timeout=options.read_timeout,
                max_pool_connections=32,
                # Only when S3 requires it: other S3-compatible stores may not know the
                # newer default checksum headers.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def object_name(self, key: str) -> str:
        return self._prefix + check_key(key)

    def call(self, operation: Callable[..., T], key: str | None = None, **kwargs: Any) -> T:
        """One S3 call (in the calling thread), its failures in our terms."""
        try:
            return operation(**kwargs)
        except ClientError as failure:
            if key is not None and _is_missing(failure):
                raise BlobMissing(key) from None
            raise _unavailable(failure) from None
        except BotoCoreError as failure:
            raise _unavailable(failure) from None

    async def run(self, operation: Callable[..., T], key: str | None = None, **kwargs: Any) -> T:
        return await anyio.to_thread.run_sync(lambda: self.call(operation, key, **kwargs))

    # --- the interface ------------------------------------------------------------------------

    def writer(self, key: str) -> S3Writer:
        return S3Writer(self, key)

    async def open_range(self, key: str, start: int, length: int) -> AsyncIterator[bytes]:
        """The bytes `start` .. `start + length - 1`, streamed; BlobMissing before any byte."""
        if length <= 0:
            await self.size(key)
            return _nothing()
        try:
            answer = await self.run(
                self._client.get_object,
                key,
                Bucket=self.bucket,
                Key=self.object_name(key),
                Range=f"bytes={start}-{start + length - 1}",
            )
        except BlobUnavailable as failure:
            if "InvalidRange" not in failure.message:
                raise
            return _nothing()  # the range starts past the end: no bytes, as a file read
        # A range reaching past the end gets what there is, as a file read does; what the
        # store said it sends must then all arrive.
        return _stream(answer["Body"], min(length, int(answer["ContentLength"])))

    def open_reader(self, key: str) -> BinaryIO:
        size = self.call(
            self._client.head_object, key, Bucket=self.bucket, Key=self.object_name(key)
        )["ContentLength"]
        return io.BufferedReader(_RangeReader(self, key, size), buffer_size=READ_CHUNK)

    def read_range_sync(self, key: str, start: int, length: int) -> bytes:
        answer = self.call(
            self._client.get_object,
            key,
            Bucket=self.bucket,
            Key=self.object_name(key),
            Range=f"bytes={start}-{start + length - 1}",
        )
        try:
            return answer["Body"].read()
        except (BotoCoreError, OSError) as failure:
            raise _unavailable(failure) from None

    async def delete(self, key: str) -> None:
        await self.run(self._client.delete_object, Bucket=self.bucket, Key=self.object_name(key))

    async def exists(self, key: str) -> bool:
        try:
            await self.size(key)
        except BlobMissing:
            return False
        return True

    async def size(self, key: str) -> int:
        try:
            head = await self.run(
                self._client.head_object, key, Bucket=self.bucket, Key=self.object_name(key)
            )
        except BlobMissing:
            # A HEAD answer has no body to say whether the object or the bucket is missing.
            await self.check()
            raise
        return int(head["ContentLength"])

    async def list_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._prefix + prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = await self.run(self._client.list_objects_v2, **kwargs)
            for item in page.get("Contents", []):
                key = item["Key"][len(self._prefix) :]
                yield BlobInfo(key, int(item["Size"]), item["LastModified"].timestamp())
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    async def check(self) -> None:
        """BlobUnavailable unless the bucket answers with these credentials."""
        await self.run(self._client.head_bucket, Bucket=self.bucket)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""


async def _stream(body: Any, length: int) -> AsyncIterator[bytes]:
    """A GET's body a chunk at a time; a store that stops mid-way ends the stream with
    BlobUnavailable, never a short answer passed off as complete."""
    left = length
    try:
        while left > 0:
            try:
                chunk = await anyio.to_thread.run_sync(body.read, min(READ_CHUNK, left))
            except (BotoCoreError, OSError) as failure:
                raise _unavailable(failure) from None
            if not chunk:
                raise BlobUnavailable("the media store stopped sending")
            left -= len(chunk)
            yield chunk
    finally:
        body.close()


class _RangeReader(SeekableReader):
    """A seekable file over ranged GETs (for probing a blob's headers in a thread)."""

    def __init__(self, store: S3BlobStore, key: str, size: int) -> None:
        super().__init__(size)
        self._store, self._key = store, key

    def readinto(self, buffer: Any) -> int:
        length = min(len(buffer), self._size - self._pos)
        if length <= 0:
            return 0
        data = self._store.read_range_sync(self._key, self._pos, length)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


class S3Writer(BufferedWriter):
    """One blob on its way up: one buffered part at a time, visible only once committed."""

    def __init__(self, store: S3BlobStore, key: str) -> None:
        super().__init__(store, store.options.part_size)
        self.key = key
        self._store = store
        self._name = store.object_name(key)
        self._hash = hashlib.sha256()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def _take(self) -> bytes:
        # Once taken, the part is no longer held here: the budget gets its bytes back.
        self._store.release(self._pending)
        return super()._take()

    async def _hand_on(self) -> None:
        await self._send_part()

    async def _send_part(self) -> None:
        part = self._take()
        client = self._store._client
        bucket = self._store.bucket
        if self._upload_id is None:
            started = await self._store.run(
                client.create_multipart_upload, Bucket=bucket, Key=self._name
            )
            self._upload_id = started["UploadId"]

        def send() -> dict[str, Any]:
            self._hash.update(part)
            number = len(self._parts) + 1
            sent = self._store.call(
                client.upload_part,
                Bucket=bucket,
                Key=self._name,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=part,
            )
            return {"PartNumber": number, "ETag": sent["ETag"]}

        self._parts.append(await anyio.to_thread.run_sync(send))

    async def commit(self) -> StoredBlob:
        client = self._store._client
        try:
            if self._upload_id is None:
                body = self._take()
                self._hash.update(body)
                await self._store.run(
                    client.put_object, Bucket=self._store.bucket, Key=self._name, Body=body
                )
            else:
                if self._pending:
                    await self._send_part()
                await self._store.run(
                    client.complete_multipart_upload,
                    Bucket=self._store.bucket,
                    Key=self._name,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except BaseException:
            await self.abort()
            raise
        self._done = True
        return StoredBlob(self.key, self.size, self._hash.hexdigest())

    async def abort(self) -> None:
        if self._done:
            return
        self._done = True
        if self._pending:
            self._take()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            with anyio.CancelScope(shield=True):
                # If the store is down, the bucket's lifecycle rule removes the parts.
                with contextlib.suppress(BlobUnavailable):
                    await self._store.run(
                        self._store._client.abort_multipart_upload,
                        Bucket=self._store.bucket,
                        Key=self._name,
                        UploadId=upload_id,
                    )
