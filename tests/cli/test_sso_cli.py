"""`hindsight sso`: the status of an account's single sign-on, and the break-glass from the
server that turns local passwords back on (audited), on both stores."""

from __future__ import annotations

import sqlalchemy as sa

from tests.cli.test_people_cli import run, sql, store  # noqa: F401 - `store` is a fixture


def _account_sid(env: dict[str, str]) -> str:
    url = env["HINDSIGHT_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.exec_driver_sql("SELECT sid FROM accounts").scalar_one()
    finally:
        engine.dispose()


def _audit_actions(env: dict[str, str]) -> list[tuple[str, str | None]]:
    url = env["HINDSIGHT_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT action, reason FROM audit_records ORDER BY seq")
            return [(r[0], r[1]) for r in rows]
    finally:
        engine.dispose()


def test_passwords_on_is_the_servers_break_glass(store: dict[str, str]) -> None:  # noqa: F811
    assert run(store, "accounts", "create", "Clinic").returncode == 0
    assert "not configured" in run(store, "sso", "status").stdout
    refused = run(store, "sso", "passwords-on")
    assert refused.returncode == 1 and "not configured" in refused.stdout
    account = _account_sid(store)
    sql(store)(
        "INSERT INTO sso_providers (account_sid, enabled, display_name, issuer, client_id,"
        " client_secret_sealed, scopes, claims_mapping, create_people, local_passwords,"
        " break_glass_user_sid, date_created, date_updated) VALUES"
        f" ('{account}', true, 'Okta', 'https://idp.example.com', 'c', NULL, 'openid', '{{}}',"
        " false, false, NULL, 1, 1)"
    )
    status = run(store, "sso", "status").stdout
    assert "Okta (https://idp.example.com)" in status and "Local passwords: off" in status
    turned = run(store, "sso", "passwords-on")
    assert turned.returncode == 0 and "on again" in turned.stdout
    assert "Local passwords: on" in run(store, "sso", "status").stdout
    assert "already on" in run(store, "sso", "passwords-on").stdout
    uses = [a for a in _audit_actions(store) if a[0] == "auth.break_glass"]
    assert len(uses) == 2
    assert uses[0][1] == "local passwords turned back on from the server"
