"""Signing in and out: cookies, CSRF, lock-out, idle and absolute expiry, rate limits, security
headers. A server with short timeouts runs on each store; its clock is moved forward where a
limit must run out, rather than waited for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hindsight.audit.trail import operator
from hindsight.auth.users import UserChanges
from tests.conftest import BACKENDS, database_url_for
from tests.support.people import PASSWORD, Person, audit_of, change_user, last_audit, person
from tests.support.server import OffsetClock, RunningServer, clock_of, start_server

IDLE_SECONDS = 60
ABSOLUTE_SECONDS = 300
LOCKOUT_SECONDS = 120


@pytest.fixture(scope="module", params=BACKENDS)
def tight(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A server whose sessions and locks last minutes, and whose links one second."""
    data_dir = tmp_path_factory.mktemp(f"tight-{request.param}")
    running = start_server(
        data_dir,
        database_url_for(request.param, data_dir, request),
        clock=OffsetClock(),
        session_idle_minutes=IDLE_SECONDS / 60,
        session_absolute_hours=ABSOLUTE_SECONDS / 3600,
        login_max_failures=3,
        login_lockout_minutes=LOCKOUT_SECONDS / 60,
        rate_limit_login_per_minute=0,
        media_link_seconds=1,
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def admin_account(tight: RunningServer):
    return tight.new_account("sessions")


def _someone(tight: RunningServer, account, roles=("wfo.full_access",), login=True) -> Person:
    return person(tight, account.sid, roles, name="someone", login=login)


# --- signing in ---------------------------------------------------------------------------------


def test_sign_in_sets_an_httponly_samesite_cookie_and_answers_who(tight, admin_account) -> None:
    who = _someone(tight, admin_account, login=False)
    response = who.login()
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("hindsight_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on localhost: the browser would drop it
    body = response.json()
    assert body["user"]["username"] == who.username and "password_hash" not in str(body)
    assert body["can"]["play"] is True and body["can"]["manage_users"] is False
    assert response.headers["cache-control"] == "no-store"
    me = who.get("/api/v1/session")
    assert me.status_code == 200 and me.json()["csrf_token"] == who.csrf
    assert last_audit(tight, who.sid, "auth.login")["outcome"] == "allowed"


def test_over_https_the_cookie_is_secure_and_host_prefixed(tmp_path: Path) -> None:
    running = start_server(tmp_path, None, public_url="https://hindsight.example.org")
    try:
        account = running.new_account("https")
        who = person(running, account.sid, ("wfo.full_access",), login=False)
        response = who.http.post(
            "/api/v1/session",
            json={"username": who.username, "password": PASSWORD},
            headers={"Origin": "https://hindsight.example.org"},
        )
        assert response.status_code == 200, response.text
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-hindsight_session=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "Domain" not in cookie
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        wrong_origin = who.http.post(
            "/api/v1/session",
            json={"username": who.username, "password": PASSWORD},
            headers={"Origin": "http://hindsight.example.org"},
        )
        assert wrong_origin.status_code == 403
    finally:
        running.stop()


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody-here", "password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": "x" * 5000, "password": "y"},
        {"username": ["a"], "password": "b"},
        "not an object",
    ],
)
def test_bad_sign_ins_are_refused_without_saying_why(tight, body) -> None:
    response = httpx.post(f"{tight.base_url}/api/v1/session", json=body, timeout=30)
    assert response.status_code in (400, 401)
    assert "www-authenticate" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_wrong_password_then_lock_then_the_lock_lifts(tight, admin_account) -> None:
    who = _someone(tight, admin_account, login=False)
    for _ in range(3):
        refused = who.login("wrong password, wrong password")
        assert refused.status_code == 401
        assert refused.json()["message"].startswith("The user name or password is not correct")
    # Locked: even the right password is refused, with the same answer.
    locked = who.login()
    assert locked.status_code == 401
    assert locked.json()["message"] == refused.json()["message"]
    reasons = [r["reason"] for r in audit_of(tight, who.sid) if r["action"] == "auth.login"]
    assert reasons == ["wrong password"] * 3 + ["user locked after repeated failures"]
    # The server's clock moves past the lockout.
    clock_of(tight).advance_seconds(LOCKOUT_SECONDS + 1)
    assert who.login().status_code == 200


def test_unknown_user_is_audited_as_denied(tight) -> None:
    response = httpx.post(
        f"{tight.base_url}/api/v1/session",
        json={"username": "ghost-user", "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 401
    records = tight.runtime.db.read_sync(
        lambda conn: conn.exec_driver_sql(
            "select outcome, reason from audit_records where actor_name = 'ghost-user'"
        ).all()
    )
    assert [tuple(r) for r in records] == [("denied", "unknown user")]


def test_disabled_user_cannot_sign_in_and_loses_open_sessions(tight, admin_account) -> None:
    who = _someone(tight, admin_account)
    change_user(tight, who.username, UserChanges(status="disabled"))
    assert who.get("/api/v1/insights/conversations").status_code == 401
    assert who.login().status_code == 401
    change_user(tight, who.username, UserChanges(status="active"))
    assert who.login().status_code == 200


def test_changing_roles_ends_sessions_so_new_rights_apply_at_once(tight, admin_account) -> None:
    who = _someone(tight, admin_account)
    assert who.get("/api/v1/insights/conversations").status_code == 200
    change_user(tight, who.username, UserChanges(roles=("agent",)))
    assert who.get("/api/v1/insights/conversations").status_code == 401
    assert who.login().status_code == 200
    assert who.get("/api/v1/insights/conversations").status_code == 403


# --- signing out and expiry ---------------------------------------------------------------------


def test_sign_out_ends_the_session_even_for_a_copied_cookie(tight, admin_account) -> None:
    who = _someone(tight, admin_account)
    stolen = dict(who.http.cookies)
    assert who.delete("/api/v1/session").status_code == 204
    copy = httpx.Client(base_url=tight.base_url, cookies=stolen, timeout=30)
    assert copy.get("/api/v1/insights/conversations").status_code == 401
    assert who.get("/api/v1/session").status_code == 401
    assert last_audit(tight, who.sid, "auth.logout")["outcome"] == "allowed"


def test_sign_out_needs_the_csrf_token(tight, admin_account) -> None:
    who = _someone(tight, admin_account)
    assert who.delete("/api/v1/session", csrf=False).status_code == 403
    assert who.get("/api/v1/session").status_code == 200


def test_idle_sessions_end(tight, admin_account) -> None:
    who = _someone(tight, admin_account)
    # The server's clock moves past the idle limit.
    clock_of(tight).advance_seconds(IDLE_SECONDS + 1)
    assert who.get("/api/v1/insights/conversations").status_code == 401


def test_busy_sessions_still_end_at_the_absolute_limit(tight, admin_account) -> None:
    who = _someone(tight, admin_account)
    clock = clock_of(tight)
    # Requests more often than the idle limit keep the session alive... (a session is marked
    # as seen at most every 15 s: each step is longer than that and shorter than the idle limit)
    step, elapsed = 20, 0
    while elapsed + step < ABSOLUTE_SECONDS:
        clock.advance_seconds(step)
        elapsed += step
        assert who.get("/api/v1/session").status_code == 200
    # ...until the absolute limit, reached well within the idle limit of the last request.
    clock.advance_seconds(ABSOLUTE_SECONDS - elapsed + 1)
    assert who.get("/api/v1/session").status_code == 401


# --- CSRF ------------------------------------------------------------------------------------


def test_state_changes_need_the_csrf_token_and_a_same_site_origin(tight, admin_account) -> None:
    admin = person(tight, admin_account.sid, ("admin",), name="admin")
    body = {"username": "new-person", "roles": ["wfo.team_leader"]}
    assert admin.post("/api/v1/users", body, csrf=False).status_code == 403
    wrong = admin.http.post("/api/v1/users", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    cross_site = admin.http.post(
        "/api/v1/users",
        json=body,
        headers={"X-CSRF-Token": admin.csrf or "", "Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    listed = tight.call(tight.runtime.services.users.list(operator(admin_account.sid)))
    assert listed[-1].username != "new-person"
    created = admin.post("/api/v1/users", body)
    assert created.status_code == 201, created.text
    assert len(created.json()["generated_password"]) >= 20


# --- rate limits ---------------------------------------------------------------------------------


def test_sign_in_attempts_are_rate_limited_per_address(tmp_path: Path) -> None:
    running = start_server(tmp_path, None, rate_limit_login_per_minute=3)
    try:
        url = f"{running.base_url}/api/v1/session"
        answers = [
            httpx.post(url, json={"username": "x", "password": "y"}, timeout=30) for _ in range(5)
        ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
        assert int(answers[-1].headers["retry-after"]) >= 1
        assert answers[-1].json()["code"] == 20429
    finally:
        running.stop()


def test_api_requests_are_rate_limited_per_credential(tmp_path: Path) -> None:
    running = start_server(
        tmp_path, None, rate_limit_api_per_second=0.2, rate_limit_twilio_api_per_second=0.2
    )
    try:
        account = running.new_account("limited")
        auth = (account.sid, account.auth_token)
        for path in ("/api/v1/insights/conversations", "/v1/Workspaces"):
            codes = [
                httpx.get(f"{running.base_url}{path}", auth=auth, timeout=30).status_code
                for _ in range(3)
            ]
            assert codes[0] == 200 and codes[-1] == 429, (path, codes)
            limited = httpx.get(f"{running.base_url}{path}", auth=auth, timeout=30)
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    finally:
        running.stop()


# --- security headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "auth"),
    [
        ("GET", "/healthz", False),
        ("GET", "/api/v1/session", False),
        ("GET", "/api/v1/insights/conversations", True),
        ("GET", "/api/v1/insights/conversations/none", True),
        ("GET", "/v1/Workspaces", True),
        ("GET", "/v1/Workspaces", False),
        ("GET", "/no/such/page", False),
        ("POST", "/api/v1/session", False),
        ("GET", "/media/not-a-token", False),
    ],
)
def test_every_response_carries_the_security_headers(tight, admin_account, method, path, auth):
    credentials = (admin_account.sid, admin_account.auth_token) if auth else None
    response = httpx.request(method, tight.base_url + path, auth=credentials, timeout=30)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "strict-transport-security" not in headers  # plain HTTP here
