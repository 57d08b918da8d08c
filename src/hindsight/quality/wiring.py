"""Quality management's routes, for the app factory (Twilio's Quality Management API is part
of the TaskRouter-style application, `api/twilio_app.py`)."""

from __future__ import annotations

from hindsight.api.feature_routes import FeatureRoutes
from hindsight.quality import pages
from hindsight.quality.http import routes as http


def routes() -> FeatureRoutes:
    return FeatureRoutes(pages=(pages.router,), api=(http.router,))
