"""SCIM's errors: an HTTP status and, for 400 and 409, RFC 7644 §3.12's `scimType`."""

from __future__ import annotations

from collections.abc import Callable

from hindsight.domain.errors import HindsightError


class ScimError(HindsightError):
    """A request SCIM refuses; answered as `urn:ietf:params:scim:api:messages:2.0:Error`."""

    def __init__(self, status: int, message: str, scim_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = 20000 + status
        self.scim_type = scim_type


def _kind(status: int, scim_type: str | None = None) -> Callable[[str], ScimError]:
    """The error of one kind of RFC 7644 §3.12's table, given its message."""
    return lambda message: ScimError(status, message, scim_type)


invalid_filter = _kind(400, "invalidFilter")
invalid_path = _kind(400, "invalidPath")
invalid_value = _kind(400, "invalidValue")
invalid_syntax = _kind(400, "invalidSyntax")
no_target = _kind(400, "noTarget")
mutability = _kind(400, "mutability")
uniqueness = _kind(409, "uniqueness")
not_found = _kind(404)
