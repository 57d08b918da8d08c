"""Checking `X-Twilio-Signature` on requests Twilio sends us, as Twilio's helper libraries do.

Two forms (twilio-python's `RequestValidator`):

* form posts (TaskRouter's EventCallbackUrl): the signature covers the full URL, query included,
  followed by the sorted form parameters (see `signature.compute_signature`);
* JSON posts (Event Streams webhook sinks): Twilio appends `bodySHA256=<sha256 hex of the body>`
  to the URL and signs that URL alone; the body must hash to the value in the query.

Twilio is inconsistent about default ports when it signs, so a URL is accepted signed with the
port removed or with the scheme's default port added, exactly as the helper library accepts it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit, urlunsplit

from hindsight.domain.signature import compute_signature

BODY_HASH_PARAMETER = "bodySHA256"
_DEFAULT_PORTS = {"https": 443, "http": 80}


def url_variants(url: str) -> list[str]:
    """The URL without its port, and with the scheme's default port added (if it had none)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.hostname and ":" in parts.hostname:  # an IPv6 literal keeps its brackets
        host = f"[{parts.hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    without = urlunsplit(parts._replace(netloc=prefix + host))
    if parts.port is not None:
        with_port = url
    else:
        port = _DEFAULT_PORTS.get(parts.scheme, 80)
        with_port = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))
    return [without] if without == with_port else [without, with_port]


def _matches(token: str, url: str, params: Iterable[tuple[str, str]], signature: str) -> bool:
    pairs = list(params)
    return any(
        hmac.compare_digest(compute_signature(token, variant, pairs), signature)
        for variant in url_variants(url)
    )


def form_request_is_signed(
    token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None
) -> bool:
    """A form post: `signature` covers `url` (as Twilio requested it) and every parameter."""
    if not signature:
        return False
    return _matches(token, url, params, signature.strip())


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def json_request_is_signed(token: str, url: str, body: bytes, signature: str | None) -> bool:
    """A JSON post: the URL carries the body's SHA-256, and the signature covers that URL."""
    if not signature:
        return False
    declared = parse_qs(urlsplit(url).query).get(BODY_HASH_PARAMETER)
    if not declared:
        return False
    body_ok = hmac.compare_digest(body_sha256(body), declared[0].strip().lower())
    return _matches(token, url, (), signature.strip()) and body_ok
