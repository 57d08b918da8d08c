"""What a feature folder hands the app factory: its routers, by kind.

Each feature folder has a `wiring.py` whose `routes()` returns one of these, so the app
factory (`app.py`) includes a feature with one line and a new router of the feature is added
in its own folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter


@dataclass(frozen=True)
class FeatureRoutes:
    """`pages`: routes of the web UI. `api`: routes of Hindsight's JSON API that its OpenAPI
    document describes."""

    pages: tuple[APIRouter, ...] = ()
    api: tuple[APIRouter, ...] = ()
