"""Errors the domain and services raise; the API maps each to Twilio's error body.

Each error carries Twilio's numeric error code and the HTTP status Twilio answers with, because
those two numbers are part of the wire contract the helper libraries rely on.
"""

from __future__ import annotations


class HindsightError(Exception):
    status: int = 400
    code: int = 20001

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(HindsightError):
    """A parameter is missing, malformed or not allowed (Twilio 20001, HTTP 400)."""

    status = 400
    code = 20001


class NotFound(HindsightError):
    """The resource does not exist, or belongs to another account (Twilio 20404)."""

    status = 404
    code = 20404


class Conflict(HindsightError):
    """The request conflicts with the current state, e.g. a duplicate unique name."""

    status = 409
    code = 20409


class PreconditionFailed(HindsightError):
    """`If-Match` named a version that is no longer current; nothing was changed."""

    status = 412
    code = 20412


class Unauthenticated(HindsightError):
    status = 401
    code = 20003


class Forbidden(HindsightError):
    status = 403
    code = 20403


class PayloadTooLarge(HindsightError):
    status = 413
    code = 20413


class UnsupportedMediaType(HindsightError):
    """An upload is not in a format Hindsight accepts (judged by its bytes)."""

    status = 415
    code = 20415


class Unavailable(HindsightError):
    """The database could not take the change just now (it kept losing lock conflicts to
    concurrent writers, or refused connections): nothing was written, try again shortly.
    Twilio answers overload with 503 and Retry-After; so does Hindsight, never with a 500."""

    status = 503
    code = 20503
    retry_after = 1
