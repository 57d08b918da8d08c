"""Checkpoints of the audit chain, published outside the database.

A checkpoint is the chain's head (seq and hash), the number of records and the time, signed
with the current audit key. It is appended to a file (`<data_dir>/audit-checkpoints.jsonl` by
default; point it at storage the database's administrators cannot write) and written to the
log. `audit verify` checks that the chain still holds every checkpointed record: a trail cut
short, or rewritten and re-chained, no longer does. The server publishes one whenever the chain
has grown since the last (every `audit_checkpoint_seconds`), and so does every `verify`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import orjson

from hindsight.domain.audit_chain import ChainKey, sign

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    count: int
    at_ms: int
    key: int
    signature: str = ""

    def message(self) -> bytes:
        body = {k: v for k, v in asdict(self).items() if k != "signature"}
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)

    def genuine(self, keys: Mapping[int, ChainKey]) -> bool:
        """Signed by a key of the keyring, and unchanged since."""
        key = keys.get(self.key)
        return key is not None and hmac.compare_digest(sign(key, self.message()), self.signature)


def make(key: ChainKey, seq: int, hash_: str, count: int, at_ms: int) -> Checkpoint:
    unsigned = Checkpoint(seq, hash_, count, at_ms, key.number)
    return replace(unsigned, signature=sign(key, unsigned.message()))


@dataclass(frozen=True)
class BadLine:
    """A line of the checkpoint file that is not a checkpoint at all."""

    number: int
    text: str


class CheckpointLog:
    """The append-only file of checkpoints."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def publish(self, checkpoint: Checkpoint) -> None:
        line = orjson.dumps(asdict(checkpoint)) + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        log.info("audit checkpoint %s", line.decode().strip())

    def read(self) -> list[Checkpoint | BadLine]:
        if not self.path.exists():
            return []
        out: list[Checkpoint | BadLine] = []
        for number, line in enumerate(self.path.read_bytes().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append(Checkpoint(**orjson.loads(line)))
            except (orjson.JSONDecodeError, TypeError):
                out.append(BadLine(number, line.decode("utf-8", "replace")[:80]))
        return out


class CheckpointSchedule:
    """Publishes a checkpoint whenever the chain has grown, every `interval_seconds`."""

    def __init__(self, publish: Callable[[], Awaitable[object]], interval_seconds: float) -> None:
        self._publish = publish
        self._interval = interval_seconds

    async def run(self, stop: asyncio.Event) -> None:
        if self._interval <= 0:
            return
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
            try:
                await self._publish()
            except Exception:
                log.exception("publishing an audit checkpoint failed")
