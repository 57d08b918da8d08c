"""Saved searches and hidden list columns through the API, on both stores: each person's own,
audited, and every bad name or query refused with a clear 4xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.people import Person, last_audit, person
from tests.support.server import RunningServer

SAVED = "/api/v1/insights/saved-searches"
COLUMNS = "/api/v1/insights/list-columns"


@pytest.fixture(scope="module")
def account(server: RunningServer) -> Any:
    return server.new_account("saved")


@pytest.fixture
def ann(server: RunningServer, account: Any) -> Person:
    return person(server, account.sid, ("wfo.team_leader",), name="ann")


@pytest.fixture
def ben(server: RunningServer, account: Any) -> Person:
    return person(server, account.sid, ("wfo.team_leader",), name="ben")


def _patch(who: Person, path: str, document: Any) -> Any:
    return who.http.patch(path, json=document, headers={"X-CSRF-Token": who.csrf or ""})


def _put(who: Person, path: str, document: Any) -> Any:
    return who.http.put(path, json=document, headers={"X-CSRF-Token": who.csrf or ""})


def test_save_list_open_rename_and_delete(ann: Person, server: RunningServer) -> None:
    made = ann.post(
        SAVED, {"name": "  Late   parcels ", "query": "?q=parcel&queue=sales&page_token=x"}
    )
    assert made.status_code == 201, made.text
    saved = made.json()
    assert saved["name"] == "Late parcels"
    assert saved["query"] == "q=parcel&queue=sales"  # never a page token
    assert saved["url"] == "/conversations?q=parcel&queue=sales"
    assert last_audit(server, ann.sid, "saved_search.create")["object_id"] == saved["sid"]
    listed = ann.get(SAVED).json()["saved_searches"]
    assert [s["name"] for s in listed] == ["Late parcels"]
    renamed = _patch(ann, f"{SAVED}/{saved['sid']}", {"name": "Parcels"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Parcels"
    assert last_audit(server, ann.sid, "saved_search.rename")["object_id"] == saved["sid"]
    page = ann.get("/conversations", **{"q": "parcel", "queue": "sales"})
    assert page.status_code == 200
    assert ann.delete(f"{SAVED}/{saved['sid']}").status_code == 204
    assert last_audit(server, ann.sid, "saved_search.delete")["object_id"] == saved["sid"]
    assert ann.get(SAVED).json()["saved_searches"] == []
    assert ann.delete(f"{SAVED}/{saved['sid']}").status_code == 404


def test_another_person_never_sees_or_changes_them(ann: Person, ben: Person) -> None:
    saved = ann.post(SAVED, {"name": "Mine", "query": "agent=Ann"}).json()
    assert ben.get(SAVED).json()["saved_searches"] == []
    assert _patch(ben, f"{SAVED}/{saved['sid']}", {"name": "Stolen"}).status_code == 404
    assert ben.delete(f"{SAVED}/{saved['sid']}").status_code == 404
    # Ben may use the same name for his own.
    assert ben.post(SAVED, {"name": "Mine", "query": ""}).status_code == 201
    assert [s["name"] for s in ann.get(SAVED).json()["saved_searches"]] == ["Mine"]


@pytest.mark.parametrize(
    ("document", "status"),
    [
        ({"name": "", "query": ""}, 400),
        ({"name": "   ", "query": ""}, 400),
        ({"name": "x" * 81, "query": ""}, 400),
        ({"name": "tab\there", "query": ""}, 201),  # whitespace is folded to one space
        ({"name": "bell\x07", "query": ""}, 400),
        ({"name": "nul\x00", "query": ""}, 400),
        ({"name": 12, "query": ""}, 400),
        ({"name": None}, 400),
        ({"name": "ok", "query": ["q"]}, 400),
        ({"name": "ok", "query": "q=" + "a" * 2001}, 400),
        ({"name": "ok", "query": "q=a%00b"}, 400),
        ({"name": "ok", "query": "", "owner": "someone"}, 400),
    ],
)
def test_bad_names_and_queries_are_refused(ann: Person, document: Any, status: int) -> None:
    response = ann.post(SAVED, document)
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["status"] == 400


def test_duplicate_names_conflict_whatever_their_case(ann: Person) -> None:
    first = ann.post(SAVED, {"name": "Escalations", "query": "outcome=escalated"}).json()
    again = ann.post(SAVED, {"name": "ESCALATIONS", "query": ""})
    assert again.status_code == 409
    other = ann.post(SAVED, {"name": "Other", "query": ""}).json()
    assert _patch(ann, f"{SAVED}/{other['sid']}", {"name": "escalations"}).status_code == 409
    # Renaming to its own name in another case is not a conflict.
    assert _patch(ann, f"{SAVED}/{first['sid']}", {"name": "escalations"}).status_code == 200


def test_html_in_a_name_is_stored_as_text_and_shown_escaped(ann: Person) -> None:
    name = '<img src=x onerror="alert(1)">'
    assert ann.post(SAVED, {"name": name, "query": "q=x"}).json()["name"] == name
    page = ann.get("/conversations").text
    assert name not in page
    assert "&lt;img src=x onerror=" in page


def test_unknown_keys_of_a_query_are_dropped(ann: Person) -> None:
    saved = ann.post(
        SAVED, {"name": "Keys", "query": "q=a&evil=1&attribute.tier=gold&sort=talk_time"}
    ).json()
    assert saved["query"] == "q=a&attribute.tier=gold&sort=talk_time"


def test_writes_need_the_csrf_token_and_people_only(
    ann: Person, account: Any, server: RunningServer
) -> None:
    assert ann.post(SAVED, {"name": "No token", "query": ""}, csrf=False).status_code == 403
    machine = httpx.get(f"{server.base_url}{SAVED}", auth=(account.sid, account.auth_token))
    assert machine.status_code == 403
    assert httpx.get(f"{server.base_url}{SAVED}").status_code == 401
    assert _patch(ann, f"{SAVED}/not-a-sid", {"name": "x"}).status_code == 404
    assert (
        ann.http.post(
            SAVED,
            content=b"{",
            headers={"X-CSRF-Token": ann.csrf or "", "Content-Type": "application/json"},
        ).status_code
        == 400
    )


def test_hidden_columns_are_remembered_per_person(ann: Person, ben: Person) -> None:
    assert ann.get(COLUMNS).json() == {"hidden_columns": []}
    saved = _put(ann, COLUMNS, {"hidden_columns": ["media", "direction", "media"]})
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"hidden_columns": ["direction", "media"]}
    assert ann.get(COLUMNS).json() == {"hidden_columns": ["direction", "media"]}
    assert ben.get(COLUMNS).json() == {"hidden_columns": []}
    page = ann.get("/conversations").text
    assert 'data-column="direction"' in page and "hidden-column" in page
    for bad in (["start"], ["<b>"], "media", [1], None):
        assert _put(ann, COLUMNS, {"hidden_columns": bad}).status_code == 400
    assert _put(ann, COLUMNS, {"hidden_columns": []}).json() == {"hidden_columns": []}
