"""SCIM Groups and the group mapping: members by PATCH as Okta and Entra ID send them, roles
and scope following memberships, members only from the token's account."""

from __future__ import annotations

import orjson

from tests.scim.conftest import ERROR, GROUP, Scim, unique
from tests.support.people import person

MAPPING = {
    "groups": {
        "QA Team": {"roles": ["wfo.quality_manager"], "teams": ["Sales"]},
        "Support Leads": {"roles": ["wfo.team_leader"], "queues": ["Support"]},
        "Hindsight Admins": {"roles": ["admin"]},
    }
}


def _grant(scim: Scim, sid: str) -> tuple[list[str], dict]:
    row = scim.server.call(scim.server.runtime.services.users.find(sid))
    return sorted(orjson.loads(row.roles)), orjson.loads(row.scope)


def _members(scim: Scim, group_id: str) -> set[str]:
    return {m["value"] for m in scim.get(f"/Groups/{group_id}").json().get("members", [])}


def test_groups_are_created_listed_filtered_and_deleted(scim: Scim) -> None:
    ada = scim.user(unique("ada"))
    group = scim.group("QA Team", [ada["id"]])
    assert group["displayName"] == "QA Team" and group["meta"]["version"] == 'W/"1"'
    ref = f"{scim.server.base_url}/scim/v2/Users/{ada['id']}"
    assert group["members"] == [{"value": ada["id"], "$ref": ref, "type": "User"}]
    scim.group("Support Leads")
    listed = scim.get("/Groups", filter='displayName eq "qa team"').json()
    assert [g["id"] for g in listed["Resources"]] == [group["id"]]
    by_member = scim.get("/Groups", filter=f'members[value eq "{ada["id"]}"]').json()
    assert [g["id"] for g in by_member["Resources"]] == [group["id"]]
    by_member = scim.get("/Groups", filter=f'members.value eq "{ada["id"]}"').json()
    assert [g["id"] for g in by_member["Resources"]] == [group["id"]]
    assert scim.get("/Groups", excludedAttributes="members").json()["totalResults"] == 2
    assert scim.delete(f"/Groups/{group['id']}").status_code == 204
    assert scim.get(f"/Groups/{group['id']}").status_code == 404


def test_members_change_by_patch_as_providers_send_it(scim: Scim) -> None:
    people = [scim.user(unique(f"m{i}"))["id"] for i in range(3)]
    group = scim.group(unique("team"))
    path = f"/Groups/{group['id']}"
    added = scim.patch(
        path, {"op": "add", "path": "members", "value": [{"value": p} for p in people]}
    )
    assert added.status_code == 200, added.text
    assert _members(scim, group["id"]) == set(people)
    # Okta: remove one member by a value filter in the path.
    gone = scim.patch(path, {"op": "remove", "path": f'members[value eq "{people[0]}"]'})
    assert gone.status_code == 200 and _members(scim, group["id"]) == set(people[1:])
    # Entra ID: remove by value in the operation's value.
    gone = scim.patch(path, {"op": "Remove", "path": "members", "value": [{"value": people[1]}]})
    assert _members(scim, group["id"]) == {people[2]}
    # Rename and replace all members in one request, without a path.
    replaced = scim.patch(
        path,
        {"op": "replace", "value": {"displayName": "Renamed", "members": [{"value": people[0]}]}},
    )
    assert replaced.json()["displayName"] == "Renamed"
    assert _members(scim, group["id"]) == {people[0]}
    # A deleted person leaves every group.
    scim.delete(f"/Users/{people[0]}")
    assert _members(scim, group["id"]) == set()


def test_the_mapping_gives_roles_and_scope_from_groups(scim: Scim) -> None:
    saved = scim.admin.http.put(
        "/api/v1/scim/mapping", json=MAPPING, headers={"X-CSRF-Token": scim.admin.csrf}
    )
    assert saved.status_code == 200, saved.text
    ada = scim.user(unique("ada"))["id"]
    assert _grant(scim, ada) == (["agent"], {"teams": [], "queues": [], "departments": []})
    qa = scim.group("QA Team", [ada])
    assert _grant(scim, ada) == (
        ["wfo.quality_manager"],
        {"teams": ["Sales"], "queues": [], "departments": []},
    )
    leads = scim.group("Support Leads")
    scim.patch(
        f"/Groups/{leads['id']}", {"op": "add", "path": "members", "value": [{"value": ada}]}
    )
    assert _grant(scim, ada) == (
        ["wfo.quality_manager", "wfo.team_leader"],
        {"teams": ["Sales"], "queues": ["Support"], "departments": []},
    )
    # A group named in no mapping changes nothing; renaming a group into one does.
    other = scim.group("Nobody maps this", [ada])
    scim.patch(f"/Groups/{qa['id']}", {"op": "remove", "path": "members"})
    assert _grant(scim, ada)[0] == ["wfo.team_leader"]
    scim.patch(
        f"/Groups/{other['id']}",
        {"op": "replace", "path": "displayName", "value": "Hindsight Admins"},
    )
    assert _grant(scim, ada) == (
        ["admin", "wfo.team_leader"],
        {"teams": [], "queues": [], "departments": []},
    )
    scim.delete(f"/Groups/{other['id']}")
    scim.delete(f"/Groups/{leads['id']}")
    assert _grant(scim, ada)[0] == ["agent"]


def test_saving_the_mapping_applies_it_to_everyone_and_is_audited(scim: Scim) -> None:
    ada = scim.user(unique("ada"))["id"]
    scim.group("QA Team", [ada])
    assert _grant(scim, ada)[0] == ["agent"]  # no mapping yet: roles are the admin's to give
    headers = {"X-CSRF-Token": scim.admin.csrf}
    saved = scim.admin.http.put("/api/v1/scim/mapping", json=MAPPING, headers=headers)
    assert saved.json()["people_changed"] == 1
    # A person created locally keeps the roles an admin gave, in a mapped group or not.
    local = person(scim.server, scim.account_sid, ["wfo.data_analyst"], name="local", login=False)
    scim.group("QA Team", [local.sid])
    assert (
        scim.admin.http.put("/api/v1/scim/mapping", json=MAPPING, headers=headers).json()[
            "people_changed"
        ]
        == 0
    )
    assert _grant(scim, local.sid)[0] == ["wfo.data_analyst"]
    assert _grant(scim, ada)[0] == ["wfo.quality_manager"]
    assert scim.admin.get("/api/v1/scim/mapping").json() == MAPPING
    for bad in (
        {"groups": {"QA": {"roles": ["emperor"]}}},
        {"groups": {"QA": {"roles": []}}},
        {"groups": {"QA": {"roles": ["admin"], "floors": ["3"]}}},
        {"groups": ["QA"]},
        {"teams": []},
    ):
        refused = scim.admin.http.put("/api/v1/scim/mapping", json=bad, headers=headers)
        assert refused.status_code == 400, refused.text
    assert scim.admin.get("/api/v1/scim/mapping").json() == MAPPING
    lead = person(scim.server, scim.account_sid, ["wfo.team_leader"], name="lead", login=False)
    assert lead.login().status_code == 200
    assert lead.get("/api/v1/scim/mapping").status_code == 403
    assert (
        lead.http.put(
            "/api/v1/scim/mapping", json=MAPPING, headers={"X-CSRF-Token": lead.csrf}
        ).status_code
        == 403
    )
    lead.close()


def test_members_come_from_this_account_only(scim: Scim, other: Scim) -> None:
    theirs = other.user(unique("theirs"))["id"]
    refused = scim.post(
        "/Groups", {"schemas": [GROUP], "displayName": "Steal", "members": [{"value": theirs}]}
    )
    assert refused.status_code == 400 and refused.json()["scimType"] == "invalidValue"
    group = scim.group(unique("mine"))
    patched = scim.patch(
        f"/Groups/{group['id']}", {"op": "add", "path": "members", "value": [{"value": theirs}]}
    )
    assert patched.status_code == 400 and patched.json()["schemas"] == [ERROR]
    assert _members(scim, group["id"]) == set()
    their_group = other.group(unique("theirs"), [theirs])
    for answer in (
        scim.get(f"/Groups/{their_group['id']}"),
        scim.patch(f"/Groups/{their_group['id']}", {"op": "remove", "path": "members"}),
        scim.delete(f"/Groups/{their_group['id']}"),
    ):
        assert answer.status_code == 404
    assert _members(other, their_group["id"]) == {theirs}
    assert scim.get("/Groups").json()["totalResults"] == 1


def test_bad_groups_are_refused(scim: Scim) -> None:
    for body in (
        {"schemas": [GROUP]},
        {"displayName": "<b>x</b>", "members": "everyone"},
        {"displayName": "x", "members": [{"display": "no value"}]},
        {"displayName": "x", "members": [{"value": 7}]},
        {"displayName": ["x"]},
    ):
        answer = scim.post("/Groups", body)
        assert answer.status_code == 400, (body, answer.text)
    assert scim.get("/Groups").json()["totalResults"] == 0
