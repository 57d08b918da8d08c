"""Why a single sign-on did not happen."""

from __future__ import annotations

from hindsight.domain.errors import HindsightError


class SsoRefused(HindsightError, status=403):
    """The provider's answer does not sign this person in; `reason` is audited as it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Single sign-on refused: {reason}")
        self.reason = reason


class ProviderUnavailable(HindsightError, status=424):
    """The identity provider cannot be reached or answers nonsense: not the person's fault and
    not Hindsight's, so not a 5xx (424: the request depended on another that failed)."""
