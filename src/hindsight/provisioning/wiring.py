"""SCIM provisioning's routes, for the app factory: the Admin API of its tokens and mapping,
and the SCIM 2.0 sub-application (`/scim/v2`) with its own errors."""

from __future__ import annotations

from starlette.applications import Starlette

from hindsight.api.feature_routes import FeatureRoutes
from hindsight.api.rate_limit import RateLimiter
from hindsight.provisioning.http import admin
from hindsight.provisioning.http.routes import PREFIX, build_scim_app
from hindsight.provisioning.service import Provisioning


def routes() -> FeatureRoutes:
    return FeatureRoutes(api=(admin.router,))


def scim_app(
    provisioning: Provisioning, public_url: str | None, limiter: RateLimiter | None
) -> tuple[str, Starlette]:
    """The SCIM sub-application and the path it is mounted at."""
    return PREFIX, build_scim_app(provisioning, public_url, limiter)
