"""Media URLs that name this Hindsight server itself, whatever address it is reached at.

Data that Hindsight itself puts in place (the demo's recordings and stand-in pages) must not
name the address it happened to be served at when the data was written: a temporary port, or
a host name that later changes. Such URLs use the reserved host `hindsight.invalid` (RFC 2606:
it never resolves), which means "this server": a held recording is found by its path, and a
page is opened by a redirect to its path on whatever origin the person is using. Nothing with
this host is ever fetched over the network.
"""

from __future__ import annotations

from urllib.parse import urlsplit

OWN_SITE_HOST = "hindsight.invalid"
OWN_SITE_ORIGIN = f"https://{OWN_SITE_HOST}"


def own_site_url(path: str) -> str:
    """The URL naming `path` (absolute, starting with "/") on this server."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"an own-site path starts with one '/': {path!r}")
    return OWN_SITE_ORIGIN + path


def own_site_path(url: str | None) -> str | None:
    """The path (and query) an own-site URL names, or None for any other URL."""
    if not url:
        return None
    parts = urlsplit(url)
    if (parts.hostname or "").lower() != OWN_SITE_HOST or parts.port is not None:
        return None
    path = parts.path or "/"
    # "//host" and "/\\host" would lead a browser to another site (it reads "\\" as "/").
    if not path.startswith("/") or path.startswith("//") or "\\" in url:
        return None
    return path + (f"?{parts.query}" if parts.query else "")
