"""SCIM Users against a real server on both stores: create, read, filter, page, replace, patch,
deactivate, delete; every change audited; bad input answered with SCIM errors."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from hindsight.store.schema import audit_records
from tests.scim.conftest import ERROR, SCIM_JSON, USER, Scim, unique
from tests.support.people import person


def _ids(listing: dict) -> set[str]:
    return {r["id"] for r in listing["Resources"]}


def _user(scim: Scim, sid: str):
    return scim.server.call(scim.server.runtime.services.users.find(sid))


def _audit_actions(scim: Scim, sid: str) -> list[str]:
    def read(conn):
        rows = conn.execute(select(audit_records.c.action).where(audit_records.c.object_id == sid))
        return [r.action for r in rows]

    return scim.server.runtime.db.read_sync(read)


def test_a_created_person_is_a_scim_user_of_the_account_without_a_password(scim: Scim) -> None:
    name = unique("ada")
    created = scim.post(
        "/Users",
        {
            "schemas": [USER],
            "userName": name.upper(),
            "externalId": "okta-00u1",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [
                {"value": "ada@home.example", "type": "home"},
                {"value": "ada@example.org", "type": "work", "primary": True},
            ],
            "active": True,
        },
    )
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith(SCIM_JSON)
    body = created.json()
    assert body["userName"] == name  # user names are kept in lower case
    assert body["externalId"] == "okta-00u1" and body["active"] is True
    assert created.headers["location"] == body["meta"]["location"]
    assert created.headers["etag"] == body["meta"]["version"] == 'W/"1"'
    row = _user(scim, body["id"])
    assert row.account_sid == scim.account_sid and row.auth_provider == "scim"
    assert row.password_hash is None and row.full_name == "Ada Lovelace"
    assert row.email == "ada@example.org"
    assert scim.get(f"/Users/{body['id']}").json() == body
    assert "scim.user_create" in _audit_actions(scim, body["id"])
    # Such a person cannot sign in with a password, whatever they send.
    refused = scim.admin.http.post(
        "/api/v1/session", json={"username": name, "password": "anything at all 123"}
    )
    assert refused.status_code == 401


def test_filters_find_people_by_the_attributes_providers_use(scim: Scim) -> None:
    first = scim.user(
        unique("grace"),
        externalId="ext-grace",
        displayName="Grace Hopper",
        emails=[{"value": "grace@navy.example", "primary": True}],
    )
    second = scim.user(unique("alan"), displayName="Alan Turing", active=False)
    both = {first["id"], second["id"]}

    def found(expression: str) -> set[str]:
        answer = scim.get("/Users", filter=expression)
        assert answer.status_code == 200, answer.text
        return _ids(answer.json()) & both

    assert found(f'userName eq "{first["userName"].upper()}"') == {first["id"]}
    assert found('externalId eq "ext-grace"') == {first["id"]}
    assert found('externalId eq "EXT-GRACE"') == set()  # externalId is case-exact
    assert found('emails.value co "@navy."') == {first["id"]}
    assert found('emails[value sw "grace@"]') == {first["id"]}
    assert found('displayName sw "alan"') == {second["id"]}
    assert found("active eq false") == {second["id"]}
    assert found("externalId pr") == {first["id"]}
    assert found('displayName ew "Hopper" or displayName ew "Turing"') == both
    assert found("displayName pr and not (active eq false)") == {first["id"]}
    assert found(f'urn:ietf:params:scim:schemas:core:2.0:User:id eq "{second["id"]}"') == {
        second["id"]
    }


def test_paging_with_start_index_and_count(scim: Scim) -> None:
    made = [scim.user(unique(f"page{i}")) for i in range(5)]
    everything = scim.get("/Users").json()
    assert everything["totalResults"] == 5 and _ids(everything) == {u["id"] for u in made}
    page = scim.get("/Users", startIndex=2, count=2).json()
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2 and page["totalResults"] == 5
    assert [r["id"] for r in page["Resources"]] == [u["id"] for u in made[1:3]]
    assert scim.get("/Users", count=0).json()["Resources"] == []
    assert scim.get("/Users", startIndex=-4, count=1).json()["startIndex"] == 1
    only = scim.get("/Users", attributes="userName", count=1).json()["Resources"][0]
    assert set(only) == {"id", "schemas", "userName"}
    without = scim.get("/Users", excludedAttributes="emails,meta", count=1).json()
    assert "meta" not in without["Resources"][0]
    searched = scim.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": f'userName eq "{made[3]["userName"]}"',
            "attributes": ["userName"],
        },
    )
    assert searched.status_code == 200, searched.text
    assert [r["id"] for r in searched.json()["Resources"]] == [made[3]["id"]]


def test_put_replaces_and_patch_changes_what_it_names(scim: Scim) -> None:
    created = scim.user(unique("kat"), name={"givenName": "Kat"}, title="Agent")
    path = f"/Users/{created['id']}"
    new_name = unique("katherine")
    replaced = scim.put(
        path,
        {"schemas": [USER], "userName": new_name, "displayName": "Katherine Johnson"},
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["userName"] == new_name and "title" not in body and "name" not in body
    assert body["meta"]["version"] == 'W/"2"'
    assert _user(scim, created["id"]).full_name == "Katherine Johnson"
    patched = scim.patch(
        path,
        {"op": "add", "path": "emails", "value": [{"value": "kj@nasa.example", "type": "work"}]},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "k@nasa.example"},
        {"op": "add", "path": "name.familyName", "value": "Johnson"},
        {"op": "replace", "value": {"title": "Supervisor", "name.givenName": None}},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["emails"] == [{"value": "k@nasa.example", "type": "work"}]
    assert body["name"] == {"familyName": "Johnson"} and body["title"] == "Supervisor"
    assert _user(scim, created["id"]).email == "k@nasa.example"
    removed = scim.patch(path, {"op": "remove", "path": 'emails[type eq "work"]'})
    assert "emails" not in removed.json()
    stale = scim.patch(path, {"op": "add", "path": "title", "value": "x"}, **{"If-Match": 'W/"1"'})
    assert stale.status_code == 412 and stale.json()["schemas"] == [ERROR]
    assert {"scim.user_replace", "scim.user_patch"} <= set(_audit_actions(scim, created["id"]))


def test_entra_style_patch_of_active_as_a_string(scim: Scim) -> None:
    created = scim.user(unique("entra"))
    answer = scim.patch(
        f"/Users/{created['id']}", {"op": "Replace", "path": "active", "value": "False"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is False
    assert _user(scim, created["id"]).status == "disabled"


def test_delete_removes_the_person(scim: Scim) -> None:
    created = scim.user(unique("gone"))
    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    assert scim.get(f"/Users/{created['id']}").status_code == 404
    assert scim.delete(f"/Users/{created['id']}").status_code == 404
    assert "scim.user_delete" in _audit_actions(scim, created["id"])
    # The name is free again: the provider can provision the person anew.
    again = scim.user(created["userName"])
    assert again["id"] != created["id"]


def _error(answer, status: int, scim_type: str | None = None) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert body.get("scimType") == scim_type


def test_a_duplicate_user_name_is_409_uniqueness_even_across_accounts(
    scim: Scim, other: Scim
) -> None:
    name = unique("dup")
    scim.user(name)
    _error(scim.post("/Users", {"schemas": [USER], "userName": name}), 409, "uniqueness")
    _error(other.post("/Users", {"schemas": [USER], "userName": name}), 409, "uniqueness")
    local = person(scim.server, scim.account_sid, ["agent"], name="local", login=False)
    taken = scim.post("/Users", {"schemas": [USER], "userName": local.username})
    _error(taken, 409, "uniqueness")
    renamed = scim.user(unique("ren"))
    _error(
        scim.put(f"/Users/{renamed['id']}", {"schemas": [USER], "userName": name}),
        409,
        "uniqueness",
    )


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ('userName eq "unterminated', "unterminated string"),
        ("userName eq", "no value"),
        ('userName zz "x"', "unknown operator"),
        ('nickName eq "x"', "unknown attribute"),
        ('emails.colour eq "x"', "unknown sub-attribute"),
        ('(userName eq "x"', "unbalanced parenthesis"),
        ('userName eq "x" and', "dangling and"),
        ('userName eq "x" userName eq "y"', "two expressions without and/or"),
        ("userName eq bareword", "unquoted string"),
        ('emails[value eq "x"', "unclosed value path"),
        ("(" * 50 + 'userName eq "x"' + ")" * 50, "nested too deeply"),
        ('userName eq "x" \u0000', "control character"),
    ],
)
def test_a_bad_filter_is_400_invalid_filter(scim: Scim, expression: str, why: str) -> None:
    _error(scim.get("/Users", filter=expression), 400, "invalidFilter")


def test_bad_bodies_are_refused_and_change_nothing(scim: Scim) -> None:
    post = scim.http.post
    malformed = post("/Users", content=b'{"userName": ', headers={"Content-Type": SCIM_JSON})
    _error(malformed, 400, "invalidSyntax")
    _error(
        post("/Users", content=b"[1, 2]", headers={"Content-Type": SCIM_JSON}), 400, "invalidSyntax"
    )
    wrong_type = post("/Users", content=b"userName=x", headers={"Content-Type": "text/plain"})
    _error(wrong_type, 415)
    huge = b'{"userName": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    _error(post("/Users", content=huge, headers={"Content-Type": SCIM_JSON}), 413)
    _error(scim.post("/Users", {"schemas": [USER]}), 400, "invalidValue")
    _error(scim.post("/Users", {"userName": "Has Spaces"}), 400, "invalidValue")
    _error(scim.post("/Users", {"userName": unique("x"), "shoeSize": 44}), 400, "invalidSyntax")
    _error(scim.post("/Users", {"userName": unique("x"), "active": "maybe"}), 400, "invalidValue")
    _error(scim.post("/Users", {"userName": unique("x"), "emails": "a@b"}), 400, "invalidValue")
    _error(
        scim.post("/Users", {"userName": unique("x"), "name": {"nick": "x"}}), 400, "invalidSyntax"
    )
    _error(scim.post("/Users", {"userName": 42}), 400, "invalidValue")
    _error(scim.get("/Users", startIndex="one"), 400, "invalidValue")
    # An extension schema Hindsight does not keep (Entra ID's enterprise one) is ignored.
    entra = scim.post(
        "/Users",
        {
            "userName": unique("entra"),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "QA"},
        },
    )
    assert entra.status_code == 201, entra.text
    assert scim.get("/Users").json()["totalResults"] == 1


def test_bad_patches_are_refused_and_change_nothing(scim: Scim) -> None:
    created = scim.user(unique("pat"), title="Agent")
    path = f"/Users/{created['id']}"
    cases = [
        (
            {"schemas": ["wrong"], "Operations": [{"op": "add", "path": "title", "value": "x"}]},
            "invalidSyntax",
        ),
        (
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []},
            "invalidSyntax",
        ),
    ]
    for body, kind in cases:
        _error(scim.http.patch(path, json=body, headers={"Content-Type": SCIM_JSON}), 400, kind)
    _error(scim.patch(path, {"op": "move", "path": "title"}), 400, "invalidSyntax")
    _error(scim.patch(path, {"op": "remove"}), 400, "noTarget")
    _error(scim.patch(path, {"op": "add", "path": "shoeSize", "value": 1}), 400, "invalidPath")
    _error(scim.patch(path, {"op": "add", "path": "title[x eq 1]", "value": 1}), 400, "invalidPath")
    _error(
        scim.patch(path, {"op": "replace", "path": "userName", "value": None}), 400, "invalidValue"
    )
    _error(scim.patch(path, {"op": "remove", "path": "active"}), 400, "mutability")
    _error(scim.patch(path, {"op": "replace", "path": "id", "value": "US0"}), 400, "mutability")
    _error(
        scim.patch(path, {"op": "replace", "path": 'emails[type eq "work"].value', "value": "x"}),
        400,
        "noTarget",
    )
    after = scim.get(path).json()
    assert after["meta"]["version"] == 'W/"1"' and after["title"] == "Agent"


def test_tokens_decide_the_account_and_nothing_crosses(scim: Scim, other: Scim) -> None:
    mine = scim.user(unique("mine"))
    theirs = other.user(unique("theirs"))
    assert _ids(scim.get("/Users").json()) == {mine["id"]}
    for answer in (
        scim.get(f"/Users/{theirs['id']}"),
        scim.put(f"/Users/{theirs['id']}", {"userName": unique("steal")}),
        scim.patch(f"/Users/{theirs['id']}", {"op": "replace", "path": "active", "value": False}),
        scim.delete(f"/Users/{theirs['id']}"),
    ):
        _error(answer, 404)
    assert other.get(f"/Users/{theirs['id']}").json()["active"] is True
    # A local person of the same account is not a SCIM resource either.
    assert scim.get(f"/Users/{scim.admin.sid}").status_code == 404
    assert scim.get("/Users/not-a-sid").status_code == 404


def test_a_missing_or_wrong_token_is_401(scim: Scim) -> None:
    for authorization in (
        None,
        "Bearer",
        "Bearer wrong",
        "Bearer hscim_" + "x" * 43,
        "Basic dXNlcjpwYXNz",
        "Bearer " + "y" * 5000,
    ):
        headers = {} if authorization is None else {"Authorization": authorization}
        for path in ("/Users", "/Groups", "/ServiceProviderConfig", "/Schemas"):
            answer = httpx.get(f"{scim.server.base_url}/scim/v2{path}", headers=headers, timeout=30)
            _error(answer, 401)
            assert answer.headers["www-authenticate"].startswith("Bearer")


def test_unknown_paths_and_methods_answer_scim_errors(scim: Scim) -> None:
    _error(scim.get("/Widgets"), 404)
    _error(scim.http.put("/Users", json={}), 405)
    _error(scim.get("/Schemas/urn:nothing"), 404)
    _error(
        scim.post("/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}),
        501,
    )
