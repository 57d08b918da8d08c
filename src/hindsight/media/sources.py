"""Where the broker reads media from: recordings Hindsight holds, transcripts it holds, and
external resources through the outbound fetcher. Built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hindsight.chat.service import ChatService
from hindsight.media.broker import MediaStream, MediaUnavailable
from hindsight.media.recordings import RecordingService


@dataclass
class HindsightSources:
    recordings: RecordingService
    chat: ChatService

    async def recording(
        self, account_sid: str, recording_sid: str, range_header: str | None
    ) -> MediaStream:
        parts = await self.recordings.open_media(account_sid, recording_sid, range_header)
        return MediaStream(parts.status, parts.headers, parts.body)

    async def fetch(
        self, url: str, range_header: str | None, headers: dict[str, str] | None = None
    ) -> MediaStream:
        raise MediaUnavailable("Fetching external media is not enabled on this server")

    async def transcript(self, account_sid: str, sid: str) -> dict[str, Any] | None:
        found = await self.chat.transcript(account_sid, sid)
        return None if found is None else found.as_dict()
