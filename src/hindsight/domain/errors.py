"""Errors the domain and services raise; the API maps each to Twilio's error body.

Each error carries Twilio's numeric error code and the HTTP status Twilio answers with, because
those two numbers are part of the wire contract the helper libraries rely on.
"""

from __future__ import annotations


class HindsightError(Exception):
    """An error a request is answered with: `status` is its HTTP status, `code` Twilio's error
    code. A kind declares its status in its class statement (`class X(HindsightError,
    status=404)`); its code is 20000 + status unless given, as Twilio numbers most of them."""

    status: int = 400
    code: int = 20001

    def __init_subclass__(
        cls, status: int | None = None, code: int | None = None, **kwargs: object
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
            cls.code = 20000 + status if code is None else code

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(HindsightError, status=400, code=20001):
    """A parameter is missing, malformed or not allowed (Twilio 20001, HTTP 400)."""


class NotFound(HindsightError, status=404):
    """The resource does not exist, or belongs to another account (Twilio 20404)."""


class Conflict(HindsightError, status=409):
    """The request conflicts with the current state, e.g. a duplicate unique name."""


class PreconditionFailed(HindsightError, status=412):
    """`If-Match` named a version that is no longer current; nothing was changed."""


class Unauthenticated(HindsightError, status=401, code=20003):
    """No valid credentials came with the request (Twilio 20003, HTTP 401)."""


class Forbidden(HindsightError, status=403):
    """The caller is known but may not do this (HTTP 403)."""


class PayloadTooLarge(HindsightError, status=413):
    """The request body is larger than allowed (HTTP 413)."""


class UnsupportedMediaType(HindsightError, status=415):
    """An upload is not in a format Hindsight accepts (judged by its bytes)."""


class Unavailable(HindsightError, status=503):
    """The database could not take the change just now (it kept losing lock conflicts to
    concurrent writers, or refused connections): nothing was written, try again shortly.
    Twilio answers overload with 503 and Retry-After; so does Hindsight, never with a 500."""

    retry_after = 1
