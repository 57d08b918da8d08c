"""Rendering pages: the Jinja2 environment (autoescaping everything), formatting helpers and the
Content-Security-Policy each page is sent with."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from hindsight import __version__
from hindsight.provisioning.pages import source_of

HERE = Path(__file__).parent
STATIC = HERE / "static"
# Shown where there is no value (an en dash, as in print).
NONE = "\u2013"


def duration(seconds: int | float | None) -> str:
    """Whole seconds as people read them: 45 s, 3:07, 1:02:09."""
    if seconds is None:
        return NONE
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    if minutes:
        return f"{minutes}:{secs:02d}"
    return f"{secs} s"


def instant(epoch_ms: int | None) -> str:
    """ISO 8601 UTC for a <time datetime=…> (pages show it in the browser's zone)."""
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).isoformat(timespec="seconds")


def readable(epoch_ms: int | None) -> str:
    """The text inside a <time>: UTC, until the page's script shows local time."""
    if epoch_ms is None:
        return NONE
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def day_label(epoch_ms: int) -> str:
    """A UTC day as the pages show dates ("Dec 4, 2026", the date of "Dec 4, 2026, 9:15 AM")."""
    return date_words(datetime.fromtimestamp(epoch_ms / 1000, tz=UTC))


def date_words(moment: datetime) -> str:
    """A date as the pages show it: "Dec 4, 2026" (the browser's medium date style)."""
    return f"{moment:%b} {moment.day}, {moment.year}"


def clock_words(moment: datetime) -> str:
    """A time of day as the pages show it: "9:15 AM" (the browser's short time style)."""
    return f"{moment.hour % 12 or 12}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def percent(part: float | None, whole: float | None) -> str:
    if not whole or part is None:
        return NONE
    return f"{100 * part / whole:.1f} %"


def query(params: Mapping[str, Any] | Iterable[tuple[str, Any]], **changes: Any) -> str:
    """A query string from `params` with `changes` applied (None removes a key)."""
    pairs = dict(params.items() if isinstance(params, Mapping) else params)
    for key, value in changes.items():
        if value is None:
            pairs.pop(key, None)
        else:
            pairs[key] = value
    kept = [(k, v) for k, v in pairs.items() if v not in (None, "")]
    return urlencode(kept)


def origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["duration"] = duration
environment.filters["instant"] = instant
environment.filters["readable"] = readable
environment.filters["source"] = source_of
environment.globals["percent"] = percent
environment.globals["query"] = query
environment.globals["version"] = __version__


def _import_map() -> str:
    """Every script of the pages at this version's URL: a module importing "./app.js" then
    gets the very module the page loaded as "/static/app.js?v=…", not a second copy (two
    copies would each run their start-up: two idle timers, two plug-in loaders)."""
    scripts = sorted(p.name for p in STATIC.glob("*.js"))
    imports = {f"/static/{name}": f"/static/{name}?v={__version__}" for name in scripts}
    return json.dumps({"imports": imports}, separators=(",", ":"))


IMPORT_MAP = _import_map()
# The page's CSP admits this one inline script by its hash (import maps cannot be a file).
_IMPORT_MAP_HASH = (
    "'sha256-" + base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode() + "'"
)
environment.globals["import_map"] = Markup(IMPORT_MAP)


def page_csp(frame_origins: Iterable[str] = ()) -> str:
    """Only this server's scripts, styles, media and connections; frames from this server
    (media links) and the named origins their redirects lead to (Embedded media)."""
    frames = " ".join(["'self'", *sorted(set(frame_origins))])
    return (
        f"default-src 'self'; script-src 'self' {_IMPORT_MAP_HASH}; style-src 'self'; "
        "img-src 'self' data:; "
        f"media-src 'self'; connect-src 'self'; font-src 'self'; frame-src {frames}; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def render(
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    frame_origins: Iterable[str] = (),
) -> HTMLResponse:
    """A page; `context["request"]`, when given, adds the deployment's configured frame
    origins to the page's CSP."""
    request = context.get("request")
    configured = getattr(request.app.state, "frame_origins", ()) if request is not None else ()
    frame_origins = [*frame_origins, *configured]
    html = environment.get_template(template).render(**context)
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Content-Security-Policy": page_csp(frame_origins),
            "Cache-Control": "no-store",
        },
    )
