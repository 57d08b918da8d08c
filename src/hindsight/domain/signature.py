"""`X-Twilio-Signature`: how Twilio signs the requests it sends, and how we check them.

The signature is base64(HMAC-SHA1(auth_token, url + concatenated sorted form params)), where
each parameter contributes its name followed by its value (a repeated name contributes each
distinct value, in sorted order). This is the algorithm Twilio's helper libraries verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping


def _payload(url: str, params: Mapping[str, str] | Iterable[tuple[str, str]]) -> bytes:
    pairs = params.items() if isinstance(params, Mapping) else params
    values_by_name: dict[str, set[str]] = {}
    for name, value in pairs:
        values_by_name.setdefault(name, set()).add(value)
    parts = [url]
    for name in sorted(values_by_name):
        for value in sorted(values_by_name[name]):
            parts.append(name)
            parts.append(value)
    return "".join(parts).encode("utf-8")


def compute_signature(
    auth_token: str, url: str, params: Mapping[str, str] | Iterable[tuple[str, str]]
) -> str:
    digest = hmac.new(auth_token.encode("utf-8"), _payload(url, params), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(
    auth_token: str,
    url: str,
    params: Mapping[str, str] | Iterable[tuple[str, str]],
    signature: str,
) -> bool:
    expected = compute_signature(auth_token, url, params)
    return hmac.compare_digest(expected, signature)
