"""Search's own routes (saved searches), for the app factory; the conversation search itself
is the Insights API (`api/insights.py`)."""

from __future__ import annotations

from hindsight.api.feature_routes import FeatureRoutes
from hindsight.search import http


def routes() -> FeatureRoutes:
    return FeatureRoutes(api=(http.router,))
