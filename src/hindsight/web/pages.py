"""The historical-reporting pages: sign-in, conversations, one conversation, reports, admin.

Pages are rendered on the server from the same services as the JSON API (the same permission
checks, scope and audit), so a table or chart needs no script; scripts add the drill-down and
player actions, media and plug-ins. People only: a page without a session sends to sign-in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from hindsight.api import identity, kit
from hindsight.api.rate_limit import RateLimiter, TooManyRequests
from hindsight.app_services import Services
from hindsight.auth.sessions import ActiveSession
from hindsight.auth.sso.http import SIGNED_OUT_PATH, described, own_url
from hindsight.auth.users import SignInBusy, user_json
from hindsight.domain.access import Viewer
from hindsight.domain.errors import (
    Forbidden,
    InvalidParameter,
    NotFound,
    Unauthenticated,
)
from hindsight.domain.paging import PageRequest
from hindsight.domain.permissions import ROLES, Permission
from hindsight.domain.search import filter_keys
from hindsight.domain.search.snippet import Snippet
from hindsight.domain.segments import main_segment
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.timefmt import parse_iso8601
from hindsight.insights import hour_profile
from hindsight.insights.filters import DAY_MS, GROUPINGS, ConversationFilters
from hindsight.insights.queries import ConversationSort, conversation_record
from hindsight.provisioning.pages import provisioning_view
from hindsight.quality.http.search_params import quality_pairs
from hindsight.retention.service import hold_json
from hindsight.search.annotations import Annotation
from hindsight.web import audit_view, chips, plugins, reports, timeline
from hindsight.web.page_kit import page_context, safe_next, signed_in_page
from hindsight.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
PRESETS = {"today": 0, "7d": 7, "30d": 30, "90d": 90, "all": None}
# The list form's fields (a subset of the API's filters: domain/search/filter_keys.py).
FILTER_FIELDS = (*filter_keys.DIMENSIONS, "abandoned", "has_media", "q")
# The conversation list's columns after "Started": (key, heading, sort field, numeric).
LIST_COLUMNS = (
    ("customer", "Customer", None, False),
    ("channel", "Channel", None, False),
    ("direction", "Direction", None, False),
    ("queue", "Queue", None, False),
    ("agent", "Agent", None, False),
    ("outcome", "Outcome", None, False),
    ("queue_time", "Queue", "queue_time", True),  # time in queue (its chooser says so)
    ("talk_time", "Talk", "talk_time", True),
    ("handling_time", "Handling", "handling_time", True),
    ("segments", "Segments", None, True),
    ("media", "Media", None, False),
)
_BOOLEANS = ("abandoned", "has_media", "handled", "in_progress")
_HOLDS_SHOWN = 200
_RUNS_SHOWN = 5


# --- who is looking ---------------------------------------------------------------------------


# --- signing in and out -------------------------------------------------------------------------


@router.get("/")
async def home(request: Request) -> Response:
    session = await identity.current_session(request)
    return RedirectResponse("/conversations" if session else "/login", status_code=303)


@router.get("/login")
async def login_page(
    request: Request, next: str | None = None, account: str | None = None
) -> Response:
    if await identity.current_session(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        "login.html",
        {
            "next": safe_next(next),
            "error": None,
            "username": "",
            **await sso_choices(request, account),
        },
    )


SSO_ACCOUNT_COOKIE = "hindsight_sso_account"


async def sso_choices(request: Request, asked: str | None = None) -> dict[str, Any]:
    """The single sign-on buttons of the sign-in page, and the account they are for: the one
    the browser asked for (`?account=` of an organisation's sign-in link), else the one it last
    signed in through; with neither, every account's only when the deployment holds one."""
    candidates = (asked, request.cookies.get(SSO_ACCOUNT_COOKIE))
    account = next((sid for sid in candidates if sid and is_sid(sid, Prefix.ACCOUNT)), None)
    records = await identity.services(request).sso.config.sign_in_choices(account)
    return {
        "account": account or "",
        "sso": [{"account_sid": r.account_sid, "name": r.display_name} for r in records],
    }


def remember_sso_account(response: Response, request: Request, account_sid: str) -> None:
    """After a single sign-on, the sign-in page of this browser offers that account's button
    again (not a secret: the browser's own person's account)."""
    response.set_cookie(
        SSO_ACCOUNT_COOKIE,
        account_sid,
        max_age=180 * 86400,
        path="/login",
        secure=identity.is_https(request),
        httponly=True,
        samesite="lax",
    )


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    target = safe_next(_text(form, "next"))
    username = _text(form, "username")[:256]
    try:
        if not identity.same_origin(request):
            raise Forbidden("Cross-site sign-in refused")
        limiter: RateLimiter | None = getattr(request.app.state, "login_limiter", None)
        if limiter is not None:
            limiter.hit(identity.client_ip(request) or "?")
        services = identity.services(request)
        ip = identity.client_ip(request)
        user = await services.users.authenticate(username, _text(form, "password")[:1024], ip)
        started = await services.sessions.start(user, ip, request.headers.get("user-agent"))
    except (Unauthenticated, Forbidden, TooManyRequests, SignInBusy) as refused:
        message = (
            "Too many sign-in attempts; wait a minute."
            if isinstance(refused, TooManyRequests | SignInBusy)
            else "The user name or password is not correct, or the user is locked."
        )
        return render(
            "login.html",
            {
                "next": target,
                "error": message,
                "username": username,
                **await sso_choices(request, _text(form, "account") or None),
            },
            status=refused.status,
        )
    response = RedirectResponse(target, status_code=303)
    identity.set_session_cookie(
        response, request, started.token, services.sessions.policy.absolute_ms // 1000
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = await identity.current_session(request)
    form = await request.form()
    if session is not None:
        if _text(form, "csrf") != session.csrf_token or not identity.same_origin(request):
            return Response("Sign-out refused: reload the page and try again.", status_code=403)
        services = identity.services(request)
        token = identity.session_token(request)
        id_token = await services.sessions.id_token_of(token)
        await services.sessions.end(token, session.viewer)
        if session.user.external_subject:
            # Signed in through the provider: end its session too (RP-initiated logout).
            ending = await services.sso.sign_in.end_session_url(
                session.viewer.account_sid, own_url(request, SIGNED_OUT_PATH), id_token
            )
            if ending:
                response = render("sso_signed_out.html", {"provider_logout": ending})
                identity.clear_session_cookies(response)
                return response
    response = RedirectResponse("/login", status_code=303)
    identity.clear_session_cookies(response)
    return response


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value if isinstance(value, str) else ""


# --- filters from a page's query ------------------------------------------------------------


def _day_start(epoch_ms: int) -> int:
    return epoch_ms - epoch_ms % DAY_MS


def _date_ms(value: str, name: str) -> int:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidParameter(f"{name} must be a date such as 2024-05-14") from None
    return int(day.timestamp() * 1000)


def page_filters(request: Request) -> tuple[ConversationFilters, dict[str, str]]:
    """The filters of a page's query string (empty fields ignored), and the values to show.

    The form's period presets and yes/no fields are read here; the rest is the API's parser.
    """
    params = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    shown = dict(params)
    preset = params.get("range", "7d" if "from" not in params else "custom")
    shown["range"] = preset
    start_ms = end_ms = None
    now = kit.services(request).clock.now_ms()
    if preset == "custom":
        if "from" in params:
            start_ms = _date_ms(params["from"], "from")
        if "to" in params:
            end_ms = _date_ms(params["to"], "to") + DAY_MS
    elif preset in PRESETS:
        days = PRESETS[preset]
        if days is not None:
            start_ms = _day_start(now) - days * DAY_MS if days else _day_start(now)
    else:
        raise InvalidParameter(f"range must be one of {', '.join([*PRESETS, 'custom'])}")
    # Exact instants (report drill-downs) narrow the period further.
    if "start" in params:
        start_ms = parse_iso8601(params["start"], "start")
    if "end" in params:
        end_ms = parse_iso8601(params["end"], "end")
    flags = {}
    for name in _BOOLEANS:
        if name in params:
            if params[name] not in ("true", "false"):
                raise InvalidParameter(f"{name} must be true or false")
            flags[name] = params[name] == "true"
    attributes = kit.attribute_filters(request)
    key, value = params.get("attr_key"), params.get("attr_value")
    if key and value:
        attributes = tuple(sorted({*attributes, (kit.attribute_key(key, "attr_key"), value)}))
    filters = kit.conversation_filters(
        params,
        start_ms=start_ms,
        end_ms=end_ms,
        attributes=attributes,
        flags=flags,
        workspace_sid=params.get("workspace"),
    )
    return filters, shown


def _page_token(params: dict[str, str], sort: ConversationSort) -> PageRequest:
    return kit.page_request(params.get("page_token"), PAGE_SIZE, sort.keys, sort.ordering)


# --- conversations ---------------------------------------------------------------------------


@router.get("/conversations")
async def conversations_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        filters, shown = page_filters(request)
        sort_field = shown.get("sort", "start")
        sort = ConversationSort(field=sort_field, descending=shown.get("order", "desc") == "desc")
        page = _page_token(shown, sort)
        services = identity.services(request)
        if filters.text and "page_token" not in shown:
            named = await services.insights.lookup(session.viewer, filters.text)
            if named is not None:
                return RedirectResponse(f"/conversations/{quote(named, safe='')}", 303)
        result = await services.insights.search(session.viewer, filters, sort, page)
        notes = await services.insights.annotations(session.viewer, filters, result.rows)
        total = await services.insights.count(session.viewer, filters)
        meta = kit.page_meta(request, result, sort.keys, sort.ordering, PAGE_SIZE)
        rows = [_listed(conversation_record(r), notes.get(r.conversation_id)) for r in result.rows]
        return render(
            "conversations.html",
            page_context(
                request,
                session,
                rows=rows,
                total=total,
                shown=shown,
                sort=sort,
                meta=meta,
                presets=list(PRESETS),
                export_query=_export_query(request),
                workspaces=await services.insights.workspaces(session.viewer)
                if session.viewer.can(Permission.DASHBOARDS)
                else [],
                **await _form_context(request, session, shown),
                **await _list_context(request, session),
            ),
        )

    return await signed_in_page(request, build)


async def _list_context(request: Request, session: ActiveSession) -> dict[str, Any]:
    """The person's own: saved searches and the columns they hide."""
    saved = identity.services(request).saved_searches
    hidden = set(await saved.hidden_columns(session.viewer))
    return {
        "saved_searches": await saved.list(session.viewer),
        "columns": [
            {
                "key": key,
                "label": label,
                "choice": "Queue time" if key == "queue_time" else label,
                "sort": sort,
                "num": num,
                "hidden": key in hidden,
            }
            for key, label, sort, num in LIST_COLUMNS
        ],
    }


async def _form_context(
    request: Request, session: ActiveSession, shown: dict[str, str]
) -> dict[str, Any]:
    """What the filter form shows besides the values typed: pick lists and filter chips."""
    services = identity.services(request)
    return {
        "pick": await services.insights.pick_lists(session.viewer),
        "chips": chips.build(request.url.path, shown),
        "period": chips.period_text(shown),
    }


def _listed(record: dict[str, Any], note: Annotation | None) -> dict[str, Any]:
    """A row of the list: the conversation, its customer and where the search matched (as
    text parts, marked or not, that the template escapes)."""
    record["customer"] = note.customer if note else None
    record["snippet"] = _snippet_parts(note.snippet) if note and note.snippet else None
    return record


def _snippet_parts(found: Snippet) -> dict[str, Any]:
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in found.highlights:
        if start > at:
            parts.append((found.text[at:start], False))
        parts.append((found.text[start:end], True))
        at = end
    if at < len(found.text):
        parts.append((found.text[at:], False))
    return {"source": found.source, "parts": parts}


def _export_query(request: Request) -> str:
    """The page's filters as the CSV export API takes them (instants, not presets)."""
    filters, _shown = page_filters(request)
    pairs: list[tuple[str, str]] = []
    for name, ms in (("start", filters.start_ms), ("end", filters.end_ms)):
        if ms is not None:
            pairs.append((name, datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()))
    for name in ("queue", "agent", "team", "channel", "direction", "outcome"):
        value = getattr(filters, name)
        if value is not None:
            pairs.append((name, value))
    for name in ("abandoned", "has_media"):
        flag = getattr(filters, name)
        if flag is not None:
            pairs.append((name, "true" if flag else "false"))
    if filters.text:
        pairs.append(("q", filters.text))
    if filters.customer:
        pairs.append(("customer", filters.customer))
    pairs += [(f"{bound}_{measure}", str(seconds)) for measure, bound, seconds in filters.durations]
    pairs += [(f"attribute.{k}", v) for k, v in filters.attributes]
    pairs += quality_pairs(filters.quality)
    return urlencode(pairs)


@router.get("/conversations/{conversation_id:path}")
async def conversation_page(request: Request, conversation_id: str) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        services = identity.services(request)
        detail = await services.insights.conversation(session.viewer, conversation_id)
        segments = detail.segments
        wanted = request.query_params.get("segment")
        selected = next((s for s in segments if s["segment_id"] == wanted), None)
        if selected is None and segments:
            selected = segments[main_segment([s["kind"] for s in segments])]
        state = {
            "conversation_id": conversation_id,
            "selected": selected["segment_id"] if selected else None,
            "segments": [_segment_state(s) for s in segments],
            "play": request.query_params.get("play") == "1",
            "t": _seconds(request.query_params.get("t")),
            "can_play": session.viewer.can(Permission.PLAY),
        }
        hold = None
        if session.viewer.can(Permission.MANAGE_RETENTION):
            hold = await _hold_of(services, session.viewer, conversation_id)
        origins = {
            m["origin"]
            for s in segments
            for m in s["media"]
            if m.get("type") == "Embedded" and m.get("origin")
        }
        return render(
            "conversation.html",
            page_context(
                request,
                session,
                conversation=detail.conversation,
                segments=segments,
                selected=selected,
                state=state,
                hold=hold,
                timeline=timeline.build(segments),
            ),
            frame_origins=origins,
        )

    return await signed_in_page(request, build)


async def _hold_of(services: Services, viewer: Viewer, conversation_id: str) -> Any | None:
    try:
        return hold_json(await services.retention.hold(viewer, conversation_id))
    except NotFound:
        return None


def _segment_state(record: dict[str, Any]) -> dict[str, Any]:
    """What the page's script needs of a segment (no URLs: people never get them)."""
    return {
        "segment_id": record["segment_id"],
        "kind": record["kind"],
        "agent": record["agent_name"],
        "task_sid": record["task_sid"],
        "start_ms": record["start_ms"],
        "end_ms": record["end_ms"],
        "talk_time": record["talk_time"],
        "media": [
            {
                k: item.get(k)
                for k in (
                    "type",
                    "index",
                    "title",
                    "display",
                    "playable",
                    "start_time",
                    "channels",
                    "duration",
                    "transcript",
                    "origin",
                    "recording_sid",
                )
            }
            for item in record["media"]
        ],
    }


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 86_400 else None


@router.get("/segments/{segment_id}")
async def segment_link(request: Request, segment_id: str) -> Response:
    """A shareable link to one segment: its conversation screen, that segment selected."""
    return await signed_in_page(request, lambda r, s: _drill(r, s, segment_id=segment_id))


@router.get("/tasks/{task_sid}")
async def task_link(request: Request, task_sid: str) -> Response:
    """A shareable link by task SID (as Flex's segment look-ups take them)."""
    return await signed_in_page(request, lambda r, s: _drill(r, s, task_sid=task_sid))


async def _drill(request: Request, session: ActiveSession, **named: str) -> Response:
    (value,) = named.values()
    if not value.isascii() or not value.isalnum() or len(value) != 34:
        raise InvalidParameter(f"{value[:40]!r} is not a segment id or task SID")
    found = await identity.services(request).insights.drilldown(session.viewer, **named)
    conversation = quote(found.detail.conversation["conversation_id"], safe="")
    target = f"/conversations/{conversation}?segment={found.selected['segment_id']}"
    if request.query_params.get("t"):
        target += f"&t={quote(request.query_params['t'], safe='')}"
    return RedirectResponse(target, status_code=303)


# --- reports ----------------------------------------------------------------------------------


@router.get("/reports")
async def reports_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        filters, shown = page_filters(request)
        group_by = shown.get("group_by", "day")
        if group_by == "hour":  # links from before the hour-of-day profile
            group_by = shown["group_by"] = reports.HOUR_OF_DAY
        if group_by not in (*GROUPINGS, reports.HOUR_OF_DAY):
            raise InvalidParameter(f"group_by must be one of {', '.join(REPORT_GROUPINGS)}")
        threshold = _threshold(shown.get("sl"))
        zone = hour_profile.zone(shown.get("tz"))
        services = identity.services(request)
        result = await services.insights.aggregates(
            session.viewer, filters, group_by, service_level_seconds=threshold, time_zone=zone
        )
        view = reports.build(result, shown, filters, threshold, time_zone=zone.key)
        spaces = await services.insights.workspaces(session.viewer)
        return render(
            "reports.html",
            page_context(
                request,
                session,
                shown=shown,
                report=view,
                presets=list(PRESETS),
                workspaces=spaces,
                zones=ZONES,
                **await _form_context(request, session, shown),
            ),
        )

    return await signed_in_page(request, build)


REPORT_GROUPINGS = ("day", reports.HOUR_OF_DAY, "queue", "agent", "channel")
# Offered in the time-zone field (any IANA name may be typed).
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def _threshold(value: str | None) -> int:
    if value is None:
        return 20
    if not value.isdigit() or not 1 <= int(value) <= 3600:
        raise InvalidParameter("The service level threshold is 1 to 3600 seconds")
    return int(value)


# --- admin --------------------------------------------------------------------------------------


@router.get("/admin")
async def admin_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        viewer = session.viewer
        admin = (Permission.MANAGE_USERS, Permission.READ_AUDIT, Permission.MANAGE_RETENTION)
        if not any(viewer.can(p) for p in admin):
            raise Forbidden("Administration is for admins")
        services = identity.services(request)
        users, provisioning, sso = [], None, None
        if viewer.can(Permission.MANAGE_USERS):
            users = [_admin_user(r) for r in await services.users.list(viewer)]
            provisioning = await provisioning_view(request, services, viewer)
            sso = described(request, await services.sso.config.settings(viewer))
        retention = None
        if viewer.can(Permission.MANAGE_RETENTION):
            retention = await _retention(services, viewer)
        return render(
            "admin.html",
            page_context(
                request,
                session,
                users=users,
                roles=sorted(ROLES),
                retention=retention,
                provisioning=provisioning,
                sso=sso,
            ),
        )

    return await signed_in_page(request, build)


def _admin_user(row: Any) -> dict[str, Any]:
    # Roles of people who sign in through the provider are its to set (auth/sso/signin.py).
    return {**user_json(row), "sso_managed": bool(row.external_subject)}


async def _retention(services: Services, viewer: Viewer) -> dict[str, Any]:
    view = await services.retention.policy(viewer)
    holds = await services.retention.holds(viewer, PageRequest(size=_HOLDS_SHOWN))
    runs = await services.retention.runs(viewer, _RUNS_SHOWN)
    return {
        "policy": view.policy,
        "holds": [hold_json(r) for r in holds.rows],
        "runs": runs,
    }


@router.get("/admin/audit")
async def audit_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        services = identity.services(request)
        found = await audit_view.audit_context(
            services.audit, session.viewer, dict(request.query_params)
        )
        return render("audit.html", page_context(request, session, **found))

    return await signed_in_page(request, build)


@router.get("/plugins/{name}")
async def plugin_module(request: Request, name: str) -> Response:
    """A plug-in module from the configured directory, for signed-in people only."""
    session = await identity.current_session(request)
    if session is None:
        return Response(status_code=401)
    source = plugins.read(request.app.state.plugins_dir, name)
    if source is None:
        return Response(status_code=404)
    return Response(
        source,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
