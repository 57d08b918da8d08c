"""Media exports' routes, for the app factory."""

from __future__ import annotations

from hindsight.api.feature_routes import FeatureRoutes
from hindsight.media.exports import http


def routes() -> FeatureRoutes:
    return FeatureRoutes(api=(http.router,))
