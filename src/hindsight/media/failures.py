"""Why a media item could not be opened, said in words a person can act on.

The fetcher's own messages name the media's location, which never leaves the server (it stays
in the audit record); the person is told only what went wrong: the host could not be reached,
did not answer in time, refused the item, and whether trying again could help.
"""

from __future__ import annotations

from hindsight.domain.errors import HindsightError
from hindsight.media.fetch import FetchError, FetchFailed, FetchRefused, FetchTimeout, FetchTooLarge
from hindsight.media.storage import MediaUnreadable


class MediaFailure(HindsightError):
    """A media item could not be opened; `message` is for the person, never the location.

    Keeps the status of the failure it stands for (502/504: trying again may help; 4xx: no)."""

    def __init__(self, message: str, status: int, code: int) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def in_words(failure: HindsightError) -> HindsightError:
    """The failure to show the person: fetch failures reworded, anything else as it is."""
    if isinstance(failure, MediaUnreadable):
        # The player says "Recording unavailable: "; the reason follows it.
        return MediaFailure(failure.reason, failure.status, failure.code)
    if not isinstance(failure, FetchError):
        return failure
    if isinstance(failure, FetchFailed) and failure.permanent:
        # The host answered that the item is not there for us (404, 403, 410, ...): asking
        # again cannot help, which a 4xx says to whoever opened the link.
        return MediaFailure(_reason(failure), 404, 20404)
    return MediaFailure(_reason(failure), failure.status, failure.code)


def _reason(failure: FetchError) -> str:
    if isinstance(failure, FetchTimeout):
        return "the host did not answer in time"
    if isinstance(failure, FetchTooLarge):
        return "the file is larger than this server accepts"
    if isinstance(failure, FetchRefused):
        return "its address is not one this server may fetch from"
    if isinstance(failure, FetchFailed) and failure.http_status is not None:
        return f"the host answered HTTP {failure.http_status}"
    return "the host could not be reached"
