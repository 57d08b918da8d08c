"""The OpenID Connect protocol as a relying party: discovery, the authorization request with
PKCE, exchanging the code, and checking the ID token.

Authlib's OAuth 2.0 helpers shape the authorization request and the code exchange
(client_secret_basic, PKCE S256); joserfc (Authlib's JOSE library) verifies the signature.
The ID token's checks are spelled out here, each with its own refusal reason for the audit
trail (OIDC Core §3.1.3.7): the algorithm is on the allow-list (never `none`, never HMAC
with a public key); the key id is one the provider publishes (its keys are read again once
when an unknown id appears, for key rotation); the issuer is the configured one; the audience
holds our client id (and `azp` is us when there are several); the token has not expired and
was not issued in the future; and the nonce is the one this sign-in sent.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx
import orjson
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hindsight.auth.sso.errors import ProviderUnavailable, SsoRefused

# Asymmetric signatures only: HS256 would let anyone holding the client secret mint tokens, and
# `none` is no signature at all.
ALLOWED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "EdDSA",
)
CLOCK_LEEWAY_SECONDS = 60
_METADATA_TTL_SECONDS = 600
_MAX_DOCUMENT_BYTES = 512 * 1024
_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class ClientConfig:
    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str
    redirect_uri: str


@dataclass
class _Cached:
    metadata: ProviderMetadata
    keys: dict[str, Any]
    fetched_at: float


def _b64_json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def token_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, unverified (to choose the key); SsoRefused if torn."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise SsoRefused("the ID token is not a signed JWT")
    try:
        header = _b64_json(parts[0])
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise SsoRefused("the ID token's header cannot be read") from None
    if not isinstance(header, dict):
        raise SsoRefused("the ID token's header cannot be read")
    return header


class OidcClient:
    """Talks to identity providers; caches each one's metadata and keys for ten minutes."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._cache: dict[str, _Cached] = {}
        self._transport = transport

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=_TIMEOUT, transport=self._transport, follow_redirects=False
        )

    async def _get_json(self, url: str, what: str) -> Any:
        try:
            async with self._http() as client:
                response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as failed:
            raise ProviderUnavailable(
                f"The identity provider cannot be reached ({what}: {type(failed).__name__})"
            ) from None
        if response.status_code != 200 or len(response.content) > _MAX_DOCUMENT_BYTES:
            raise ProviderUnavailable(
                f"The identity provider's {what} answered HTTP {response.status_code}"
            )
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise ProviderUnavailable(f"The identity provider's {what} is not JSON") from None

    async def metadata(self, issuer: str, *, fresh: bool = False) -> ProviderMetadata:
        return (await self._provider(issuer, fresh=fresh)).metadata

    async def _provider(self, issuer: str, *, fresh: bool = False) -> _Cached:
        cached = self._cache.get(issuer)
        if cached and not fresh and time.monotonic() - cached.fetched_at < _METADATA_TTL_SECONDS:
            return cached
        document = await self._get_json(
            issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery document"
        )
        metadata = _parse_metadata(document, issuer)
        keys = await self._keys(metadata.jwks_uri)
        cached = _Cached(metadata, keys, time.monotonic())
        self._cache[issuer] = cached
        return cached

    async def _keys(self, jwks_uri: str) -> dict[str, Any]:
        document = await self._get_json(jwks_uri, "key set")
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ProviderUnavailable("The identity provider's key set has no keys")
        usable = [
            k for k in document["keys"] if isinstance(k, dict) and k.get("use", "sig") == "sig"
        ]
        try:
            key_set = KeySet.import_key_set({"keys": usable})
        except (JoseError, ValueError, TypeError):
            raise ProviderUnavailable("The identity provider's key set cannot be read") from None
        return {key.kid: key for key in key_set.keys if key.kid}

    def authorization_url(
        self,
        metadata: ProviderMetadata,
        client: ClientConfig,
        state: str,
        nonce: str,
        verifier: str,
    ) -> str:
        return prepare_grant_uri(
            metadata.authorization_endpoint,
            client.client_id,
            "code",
            redirect_uri=client.redirect_uri,
            scope=client.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )

    async def exchange(
        self, metadata: ProviderMetadata, client: ClientConfig, code: str, verifier: str
    ) -> str:
        """The ID token the provider gives for this code (not yet checked)."""
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=client.redirect_uri,
            code_verifier=verifier,
            # A public client names itself in the body; a confidential one authenticates.
            client_id=None if client.client_secret else client.client_id,
        )
        try:
            async with self._http() as http:
                response = await http.post(
                    metadata.token_endpoint,
                    content=body,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/json",
                    },
                    auth=_basic(client),
                )
        except httpx.HTTPError as failed:
            raise ProviderUnavailable(
                "The identity provider's token endpoint cannot be reached "
                f"({type(failed).__name__})"
            ) from None
        try:
            token = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            token = None
        if not isinstance(token, dict):
            raise ProviderUnavailable(
                f"The token endpoint answered HTTP {response.status_code} without JSON"
            )
        if response.status_code != 200:
            error = token.get("error")
            raise SsoRefused(f"the provider refused the code ({str(error)[:60]})")
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SsoRefused("the provider sent no ID token")
        return id_token

    async def verify(self, client: ClientConfig, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once every check passed; SsoRefused naming the one that failed."""
        header = token_header(id_token)
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise SsoRefused(f"the ID token's algorithm {str(algorithm)[:20]!r} is not allowed")
        provider = await self._provider(client.issuer)
        kid = header.get("kid")
        key = await self._key_for(client.issuer, provider, kid)
        try:
            claims = jwt.decode(id_token, key, algorithms=[algorithm]).claims
        except JoseError as bad:
            raise SsoRefused(f"the ID token's signature does not verify ({bad.error})") from None
        check_claims(claims, client, nonce, time.time())
        return claims

    async def _key_for(self, issuer: str, provider: _Cached, kid: Any) -> Any:
        if not isinstance(kid, str) and len(provider.keys) == 1:
            return next(iter(provider.keys.values()))
        if kid in provider.keys:
            return provider.keys[kid]
        # The provider may have rotated its keys since we read them: read them once more.
        refreshed = await self._provider(issuer, fresh=True)
        if kid in refreshed.keys:
            return refreshed.keys[kid]
        raise SsoRefused(
            f"the ID token's key id {str(kid)[:40]!r} is not one the provider publishes"
        )


def _basic(client: ClientConfig) -> httpx.BasicAuth | None:
    """client_secret_basic: id and secret form-encoded first (RFC 6749 §2.3.1)."""
    if not client.client_secret:
        return None
    return httpx.BasicAuth(quote_plus(client.client_id), quote_plus(client.client_secret))


def check_claims(claims: Mapping[str, Any], client: ClientConfig, nonce: str, now: float) -> None:
    if claims.get("iss") != client.issuer:
        raise SsoRefused("wrong issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client.client_id not in audiences:
        raise SsoRefused("wrong audience")
    if len(audiences) > 1 and claims.get("azp") != client.client_id:
        raise SsoRefused("wrong authorized party (azp)")
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise SsoRefused("the ID token has no expiry")
    if expires <= now - CLOCK_LEEWAY_SECONDS:
        raise SsoRefused("expired token")
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or issued > now + CLOCK_LEEWAY_SECONDS:
        raise SsoRefused("the ID token's issue time is missing or in the future")
    if claims.get("nonce") != nonce:
        raise SsoRefused("wrong or replayed nonce")


def _web_url(value: str) -> bool:
    return value.lower().startswith(("https://", "http://")) and len(value) <= 2000


def _parse_metadata(document: Any, issuer: str) -> ProviderMetadata:
    if not isinstance(document, dict):
        raise ProviderUnavailable("The identity provider's discovery document is not an object")
    # OpenID Connect Discovery §4.3: the document must name exactly the issuer we asked.
    if document.get("issuer") != issuer:
        raise ProviderUnavailable(
            f"The discovery document names issuer {str(document.get('issuer'))[:200]!r}, "
            f"not {issuer!r}"
        )
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [name for name in needed if not isinstance(document.get(name), str)]
    if missing:
        raise ProviderUnavailable(f"The discovery document has no {missing[0]}")
    bad = [name for name in needed if not _web_url(document[name])]
    if bad:
        raise ProviderUnavailable(f"The discovery document's {bad[0]} is not an http(s) URL")
    end_session = document.get("end_session_endpoint")
    # The browser is sent there at sign-out: never a javascript: or data: URL.
    if not (isinstance(end_session, str) and _web_url(end_session)):
        end_session = None
    algorithms = document.get("id_token_signing_alg_values_supported") or []
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        end_session_endpoint=end_session,
        algorithms=tuple(a for a in algorithms if isinstance(a, str)),
    )
