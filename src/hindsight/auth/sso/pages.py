"""Single sign-on in the browser: off to the provider, back with its answer, and the Admin
page's test sign-in.

`/sso/{account}/start` sends the browser to the account's provider (a cookie binds the sign-in
to this browser); `/sso/callback` takes the answer, starts a Hindsight session and goes on to
where the person was going. Whatever goes wrong (a refused token, a provider that is down) is
the sign-in page with a plain sentence, never a stack or a 5xx.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from hindsight.api import identity
from hindsight.auth.sso.errors import ProviderUnavailable, SsoRefused
from hindsight.auth.sso.http import CALLBACK_PATH, own_url
from hindsight.auth.sso.signin import SIGN_IN, TEST
from hindsight.domain.errors import Forbidden, NotFound
from hindsight.domain.permissions import Permission
from hindsight.domain.sids import Prefix, is_sid
from hindsight.web.page_kit import page_context, safe_next, to_sign_in
from hindsight.web.pages import remember_sso_account, sso_choices
from hindsight.web.render import render

router = APIRouter(include_in_schema=False)
STATE_COOKIE = "hindsight_sso_state"
_STATE_SECONDS = 600


async def login_page(
    request: Request,
    next_path: str,
    error: str | None,
    status: int,
    account_sid: str | None = None,
) -> Response:
    context = {
        "next": next_path,
        "error": error,
        "username": "",
        **await sso_choices(request, account_sid),
    }
    return render("login.html", context, status=status)


def _with_state(response: Response, request: Request, state: str) -> Response:
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=_STATE_SECONDS,
        path="/sso",
        secure=identity.is_https(request),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/sso/{account_sid}/start")
async def start(request: Request, account_sid: str, next: str | None = None) -> Response:
    target = safe_next(next)
    try:
        if not is_sid(account_sid, Prefix.ACCOUNT):
            raise NotFound("No such single sign-on")
        started = await identity.services(request).sso.sign_in.begin(
            account_sid, target, SIGN_IN, own_url(request, CALLBACK_PATH)
        )
    except (SsoRefused, NotFound, ProviderUnavailable) as failed:
        return await login_page(request, target, _sentence(failed), failed.status, account_sid)
    return _with_state(RedirectResponse(started.url, status_code=303), request, started.state)


@router.get("/admin/sso/test")
async def test_start(request: Request) -> Response:
    """The Admin page's "test sign-in": the whole flow, but no one is changed or signed in."""
    session = await identity.current_session(request)
    if session is None:
        return to_sign_in(request)
    viewer = session.viewer
    try:
        if not viewer.can(Permission.MANAGE_USERS):
            raise Forbidden("Testing single sign-on is for admins")
        started = await identity.services(request).sso.sign_in.begin(
            viewer.account_sid, "/admin", TEST, own_url(request, CALLBACK_PATH)
        )
    except (Forbidden, NotFound, SsoRefused, ProviderUnavailable) as failed:
        return render(
            "sso_test.html",
            page_context(request, session, report=None, error=_sentence(failed)),
            status=failed.status,
        )
    return _with_state(RedirectResponse(started.url, status_code=303), request, started.state)


@router.get(CALLBACK_PATH)
async def callback(request: Request) -> Response:
    params = request.query_params
    services = identity.services(request)
    ip = identity.client_ip(request)
    try:
        finished = await services.sso.sign_in.finish(
            state=params.get("state"),
            browser_state=request.cookies.get(STATE_COOKIE),
            code=params.get("code"),
            error=params.get("error"),
            redirect_uri=own_url(request, CALLBACK_PATH),
            ip=ip,
        )
    except (SsoRefused, NotFound, ProviderUnavailable) as failed:
        session = await identity.current_session(request)
        if getattr(failed, "purpose", None) == TEST and session is not None:
            context = page_context(request, session, report=None, error=_sentence(failed))
            response = render("sso_test.html", context, status=failed.status)
        else:
            response = await login_page(request, "/conversations", _sentence(failed), failed.status)
        response.delete_cookie(STATE_COOKIE, path="/sso")
        return response
    if finished.purpose == TEST:
        response = await _test_report(request, finished.account_sid, finished.report)
    else:
        started = await services.sessions.start(
            finished.user, ip, request.headers.get("user-agent"), finished.id_token
        )
        response = RedirectResponse(safe_next(finished.next_path), status_code=303)
        identity.set_session_cookie(
            response, request, started.token, services.sessions.policy.absolute_ms // 1000
        )
        remember_sso_account(response, request, finished.account_sid)
    response.delete_cookie(STATE_COOKIE, path="/sso")
    return response


async def _test_report(request: Request, account_sid: str, report: dict) -> Response:
    session = await identity.current_session(request)
    if (
        session is None
        or session.viewer.account_sid != account_sid
        or not session.viewer.can(Permission.MANAGE_USERS)
    ):
        # The report shows a token's claims: only to an admin of the account that asked.
        return Response("Sign in as an admin of this account to see the test.", status_code=403)
    return render("sso_test.html", page_context(request, session, report=report, error=None))


def _sentence(failed: Exception) -> str:
    if isinstance(failed, ProviderUnavailable):
        return f"{failed.message}. Try again in a moment, or ask an administrator."
    if isinstance(failed, SsoRefused):
        return f"Single sign-on refused: {failed.reason}."
    return getattr(failed, "message", "Single sign-on is not available.")
