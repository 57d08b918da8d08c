"""`/scim/v2`: Users, Groups and the discovery endpoints, for one account per bearer token.

Every request carries `Authorization: Bearer <token>` (a token an admin created on the Admin
page); it decides the account, so another account's people and groups are never seen ("not
found"). Every error, including unknown paths and methods, is a SCIM error body.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from hindsight.api.rate_limit import RateLimiter
from hindsight.domain.errors import HindsightError
from hindsight.domain.scim.errors import (
    ScimError,
    invalid_filter,
    invalid_syntax,
    invalid_value,
    not_found,
)
from hindsight.provisioning.collection import ScimCollection
from hindsight.provisioning.http import discovery
from hindsight.provisioning.http.wire import error_response, read_object, scim_response
from hindsight.provisioning.resources import (
    LIST_SCHEMA,
    MAX_COUNT,
    Page,
    project,
)
from hindsight.provisioning.service import Provisioning
from hindsight.provisioning.tokens import ScimToken

PREFIX = "/scim/v2"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
log = logging.getLogger(__name__)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _base(request: Request) -> str:
    public = request.app.state.public_url
    root = public or str(request.base_url).rstrip("/")
    if public is None:
        root = root.removesuffix(PREFIX)
    return root + PREFIX


async def _token(request: Request) -> ScimToken:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else None
    provisioning: Provisioning = request.app.state.provisioning
    limiter: RateLimiter | None = request.app.state.limiter
    if limiter is not None:
        # Per client first: a flood of wrong tokens is throttled before it is audited.
        limiter.hit(f"scim:{_client_ip(request)}")
    found = await provisioning.tokens.authenticate(token, _client_ip(request))
    if limiter is not None:
        limiter.hit(found.sid)
    return found


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_value(f"{name} must be an integer") from None


@dataclass(frozen=True)
class Query:
    """What a list (GET with parameters, or POST …/.search with a body) asks for."""

    filter: str | None
    start: int
    count: int
    attributes: list[str] | None
    excluded: list[str] | None


def _bounded(start: int, count: int) -> tuple[int, int]:
    return max(start, 1), min(max(count, 0), MAX_COUNT)


def _query(request: Request) -> Query:
    start, count = _bounded(
        _int_param(request, "startIndex", 1), _int_param(request, "count", MAX_COUNT)
    )
    return Query(
        request.query_params.get("filter"),
        start,
        count,
        request.query_params.getlist("attributes") or None,
        request.query_params.getlist("excludedAttributes") or None,
    )


def _names(document: dict[str, Any], key: str) -> list[str] | None:
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_value(f"{key} is a list of attribute names")
    return value or None


async def _search_query(request: Request) -> Query:
    """RFC 7644 §3.4.3: the same query, in a SearchRequest body."""
    document = await read_object(request)
    if SEARCH_SCHEMA not in (document.get("schemas") or []):
        raise invalid_syntax(f"A search request names the schema {SEARCH_SCHEMA}")
    filter_text = document.get("filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise invalid_filter("filter is a string")
    numbers = []
    for key, default in (("startIndex", 1), ("count", MAX_COUNT)):
        value = document.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid_value(f"{key} must be an integer")
        numbers.append(value)
    start, count = _bounded(*numbers)
    return Query(
        filter_text,
        start,
        count,
        _names(document, "attributes"),
        _names(document, "excludedAttributes"),
    )


def _projection(request: Request) -> tuple[list[str] | None, list[str] | None]:
    attributes = request.query_params.getlist("attributes") or None
    excluded = request.query_params.getlist("excludedAttributes") or None
    return attributes, excluded


def _listing(page: Page, query: Query, schema: str) -> Response:
    attributes, excluded = query.attributes, query.excluded
    resources = [project(r, attributes, excluded, schema) for r in page.resources]
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": page.total,
            "itemsPerPage": len(resources),
            "startIndex": page.start_index,
            "Resources": resources,
        }
    )


def _one(request: Request, document: dict[str, Any], schema: str, status: int = 200) -> Response:
    attributes, excluded = _projection(request)
    headers = {"ETag": document["meta"]["version"]}
    if status == 201:
        headers["Location"] = document["meta"]["location"]
    return scim_response(project(document, attributes, excluded, schema), status, headers)


def _services(request: Request) -> Provisioning:
    return request.app.state.provisioning


# --- Users and Groups ---------------------------------------------------------------------------


def _resources(
    path: str, collection_of: Callable[[Provisioning], ScimCollection[Any]]
) -> list[Route]:
    """The routes of one kind of resource (RFC 7644 §3): the same for Users and Groups."""

    def collection(request: Request) -> ScimCollection[Any]:
        return collection_of(_services(request))

    def one(request: Request, record: Any, status: int = 200) -> Response:
        resources = collection(request)
        document = resources.resource(record, _base(request))
        return _one(request, document, resources.kind.schema, status)

    async def page(request: Request, token: ScimToken, query: Query) -> Response:
        resources = collection(request)
        base = _base(request)
        found = await resources.list(token, base, query.filter, query.start, query.count)
        return _listing(found, query, resources.kind.schema)

    async def listing(request: Request) -> Response:
        token = await _token(request)
        return await page(request, token, _query(request))

    async def search(request: Request) -> Response:
        token = await _token(request)
        return await page(request, token, await _search_query(request))

    async def create(request: Request) -> Response:
        token = await _token(request)
        document = await read_object(request)
        record = await collection(request).create(token, document, _client_ip(request))
        return one(request, record, 201)

    async def get(request: Request) -> Response:
        token = await _token(request)
        return one(request, await collection(request).get(token, request.path_params["id"]))

    async def replace(request: Request) -> Response:
        token = await _token(request)
        document = await read_object(request)
        record = await collection(request).replace(
            token,
            request.path_params["id"],
            document,
            _client_ip(request),
            request.headers.get("if-match"),
        )
        return one(request, record)

    async def patch(request: Request) -> Response:
        token = await _token(request)
        document = await read_object(request)
        record = await collection(request).patch(
            token,
            request.path_params["id"],
            document,
            _base(request),
            _client_ip(request),
            request.headers.get("if-match"),
        )
        return one(request, record)

    async def delete(request: Request) -> Response:
        token = await _token(request)
        await collection(request).delete(
            token, request.path_params["id"], _client_ip(request), request.headers.get("if-match")
        )
        return Response(status_code=204)

    return [
        Route(path, listing, methods=["GET"]),
        Route(path, create, methods=["POST"]),
        Route(f"{path}/.search", search, methods=["POST"]),
        Route(f"{path}/{{id}}", get, methods=["GET"]),
        Route(f"{path}/{{id}}", replace, methods=["PUT"]),
        Route(f"{path}/{{id}}", patch, methods=["PATCH"]),
        Route(f"{path}/{{id}}", delete, methods=["DELETE"]),
    ]


async def search_everything(request: Request) -> Response:
    await _token(request)
    # One filter over Users and Groups at once would mean different attributes per type.
    raise ScimError(501, "Search Users or Groups: POST /Users/.search or /Groups/.search")


# --- discovery --------------------------------------------------------------------------------


async def service_provider_config(request: Request) -> Response:
    await _token(request)
    return scim_response(discovery.service_provider_config(_base(request)))


def _discovered(
    documents: Callable[[str], list[dict[str, Any]]], what: str
) -> tuple[Callable[[Request], Awaitable[Response]], Callable[[Request], Awaitable[Response]]]:
    async def listing(request: Request) -> Response:
        await _token(request)
        return scim_response(discovery.list_of(documents(_base(request))))

    async def one(request: Request) -> Response:
        await _token(request)
        wanted = request.path_params["id"]
        found = next((d for d in documents(_base(request)) if d["id"] == wanted), None)
        if found is None:
            raise not_found(f"No {what} {wanted[:80]}")
        return scim_response(found)

    return listing, one


list_schemas, get_schema = _discovered(discovery.schemas, "schema")
list_resource_types, get_resource_type = _discovered(discovery.resource_types, "resource type")


# --- errors -----------------------------------------------------------------------------------


async def _domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HindsightError)
    scim_type = exc.scim_type if isinstance(exc, ScimError) else None
    if exc.status == 400 and scim_type is None:
        scim_type = "invalidValue"
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return error_response(exc.status, exc.message, scim_type, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, f"No SCIM endpoint {request.url.path[:200]}")
    if exc.status_code == 405:
        return error_response(
            405, f"{request.method} is not allowed on {request.url.path[:200]}", None, exc.headers
        )
    return error_response(exc.status_code, str(exc.detail))


async def _gone(_request: Request, _exc: Exception) -> Response:
    return Response(status_code=400)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    reference = secrets.token_hex(6)
    log.exception("unhandled SCIM error (reference %s)", reference, exc_info=exc)
    return error_response(500, f"Internal server error (reference {reference})")


def build_scim_app(
    provisioning: Provisioning, public_url: str | None, limiter: RateLimiter | None
) -> Starlette:
    app = Starlette(
        routes=[
            *_resources("/Users", lambda services: services.people),
            *_resources("/Groups", lambda services: services.groups),
            Route("/.search", search_everything, methods=["POST"]),
            Route("/ServiceProviderConfig", service_provider_config, methods=["GET"]),
            Route("/Schemas", list_schemas, methods=["GET"]),
            Route("/Schemas/{id:path}", get_schema, methods=["GET"]),
            Route("/ResourceTypes", list_resource_types, methods=["GET"]),
            Route("/ResourceTypes/{id}", get_resource_type, methods=["GET"]),
        ],
        exception_handlers={
            HindsightError: _domain_error,
            HTTPException: _http_error,
            ClientDisconnect: _gone,
            Exception: _unexpected,
        },
    )
    app.state.provisioning = provisioning
    app.state.public_url = (public_url or "").rstrip("/") or None
    app.state.limiter = limiter
    return app
