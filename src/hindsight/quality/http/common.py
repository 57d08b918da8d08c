"""What the quality feature's two HTTP faces share: the JSON API of the reporting UI
(quality/http/routes.py) and Twilio's Quality Management API (quality/http/twilio_routes.py)
reach the same services the same way."""

from __future__ import annotations

from starlette.requests import Request

from hindsight.api.kit import services
from hindsight.app_services import Quality


def quality(request: Request) -> Quality:
    """The quality feature's services, as the composition root wired them."""
    return services(request).quality
