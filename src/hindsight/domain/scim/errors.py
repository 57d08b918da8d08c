"""SCIM's errors: an HTTP status and, for 400 and 409, RFC 7644 §3.12's `scimType`."""

from __future__ import annotations

from hindsight.domain.errors import HindsightError


class ScimError(HindsightError):
    """A request SCIM refuses; answered as `urn:ietf:params:scim:api:messages:2.0:Error`."""

    def __init__(self, status: int, message: str, scim_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = 20000 + status
        self.scim_type = scim_type


def invalid_filter(message: str) -> ScimError:
    return ScimError(400, message, "invalidFilter")


def invalid_path(message: str) -> ScimError:
    return ScimError(400, message, "invalidPath")


def invalid_value(message: str) -> ScimError:
    return ScimError(400, message, "invalidValue")


def invalid_syntax(message: str) -> ScimError:
    return ScimError(400, message, "invalidSyntax")


def no_target(message: str) -> ScimError:
    return ScimError(400, message, "noTarget")


def mutability(message: str) -> ScimError:
    return ScimError(400, message, "mutability")


def uniqueness(message: str) -> ScimError:
    return ScimError(409, message, "uniqueness")


def not_found(message: str) -> ScimError:
    return ScimError(404, message)
