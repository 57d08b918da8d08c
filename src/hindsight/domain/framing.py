"""Whether a page lets another site show it in a frame: X-Frame-Options and CSP frame-ancestors.

Used to decide, before an `Embedded` item is framed, whether to frame it or offer a link: a
browser refusing the frame shows an error page inside it, which no script can detect.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _ancestors(csp: str) -> list[str] | None:
    for directive in csp.split(";"):
        name, _, value = directive.strip().partition(" ")
        if name.lower() == "frame-ancestors":
            return value.split()
    return None


def _source_matches(source: str, own_origin: str) -> bool:
    if source == "*":
        return True
    if source.startswith("'"):
        # 'none' admits nobody; 'self' is the framed page's own origin, never ours.
        return False
    scheme, netloc = _origin(own_origin)
    if "://" not in source:
        return source.lower() in (netloc, f"{scheme}:")
    their_scheme, their_host = _origin(source)
    if their_host.startswith("*."):
        return their_scheme == scheme and netloc.endswith(their_host[1:])
    return (their_scheme, their_host) == (scheme, netloc)


def allows_framing(headers: Mapping[str, str], own_origin: str) -> bool:
    """Whether a page answering with `headers` (lower-case names) may be framed by a page of
    `own_origin` (scheme://host[:port])."""
    ancestors = _ancestors(headers.get("content-security-policy", ""))
    if ancestors is not None:
        # frame-ancestors overrides X-Frame-Options in every current browser.
        return any(_source_matches(s, own_origin) for s in ancestors)
    option = headers.get("x-frame-options", "").strip().lower()
    return option not in ("deny", "sameorigin")
