"""Single sign-on's routes, for the app factory."""

from __future__ import annotations

from hindsight.api.feature_routes import FeatureRoutes
from hindsight.auth.sso import http, pages


def routes() -> FeatureRoutes:
    return FeatureRoutes(pages=(pages.router,), api=(http.router,))
