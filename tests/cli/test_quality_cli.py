"""`hindsight quality rebuild-totals` on both stores: assessments written behind the services'
back (a restored or hand-edited database) are counted in the report's daily totals again."""

from __future__ import annotations

import sqlalchemy as sa

from tests.cli.test_people_cli import run, sql, store  # noqa: F401 - `store` is a fixture
from tests.cli.test_retention_cli import _account

DAY = 1_700_006_400_000  # a UTC midnight


def _totals(env: dict[str, str]) -> list[tuple]:
    url = env["HINDSIGHT_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.exec_driver_sql(
                    "SELECT account_sid, day_ms, agent_id, assessments, scored, score_sum "
                    "FROM qm_daily_totals ORDER BY day_ms"
                )
            ]
    finally:
        engine.dispose()


def test_rebuild_counts_assessments_written_behind_the_services_back(
    store: dict[str, str],  # noqa: F811
) -> None:
    account = _account(store)
    execute = sql(store)
    questionnaire = "GM" + "3" * 32
    execute(
        "INSERT INTO qm_questionnaires (sid, account_sid, name, description, active, "
        f"date_created, date_updated) VALUES ('{questionnaire}', '{account}', 'Q', '', true, "
        f"{DAY}, {DAY})"
    )
    for n, (score, status) in enumerate(((80.0, "submitted"), (40.0, "submitted"), (9.0, "draft"))):
        execute(
            "INSERT INTO qm_reviews (sid, account_sid, segment_id, conversation_id, agent_id, "
            "agent_name, queue_name, questionnaire_sid, author_type, author_sid, status, score, "
            "submitted_ms, version, date_created, date_updated) VALUES "
            f"('QR{n:032x}', '{account}', 'SG{n:032x}', 'c{n}', 'WK{'a' * 32}', 'Alice', "
            f"'Sales', '{questionnaire}', 'user', 'US{'4' * 32}', '{status}', {score}, "
            f"{DAY + 3_600_000 * n}, 1, {DAY}, {DAY})"
        )
    assert _totals(store) == []  # written around the upkeep: not counted yet

    rebuilt = run(store, "quality", "rebuild-totals")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "2 submitted assessments" in rebuilt.stdout
    assert _totals(store) == [(account, DAY, "WK" + "a" * 32, 2, 2, 120.0)]

    other = run(store, "quality", "rebuild-totals", "--account", "AC" + "f" * 32)
    assert other.returncode == 0 and "0 submitted assessments" in other.stdout
    assert _totals(store) == [(account, DAY, "WK" + "a" * 32, 2, 2, 120.0)]
