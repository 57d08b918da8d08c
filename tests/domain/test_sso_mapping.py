"""The claims mapping: which groups give which roles, which claims give scope, and which
tokens give no way in."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain.access import Scope
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.group_mapping import Grant, parse_mapping
from hindsight.domain.sso_mapping import ClaimsMapping, MappingRefused, map_claims

MAPPING = ClaimsMapping.from_json(
    {
        "groups_claim": "groups",
        "group_roles": {
            "cc-supervisors": ["wfo.team_leader"],
            "cc-qa": ["wfo.quality_manager", "wfo.team_leader"],
            "it": "admin",
        },
        "scope_claims": {"teams": "team", "departments": "dept"},
    }
)


def claims(**extra: object) -> dict[str, object]:
    return {"sub": "00u1", "preferred_username": "Ana.Lopez", **extra}


def test_groups_give_the_union_of_their_roles_once_each() -> None:
    mapped = map_claims(MAPPING, claims(groups=["cc-supervisors", "cc-qa", "everyone"]))
    assert mapped.roles == ("wfo.team_leader", "wfo.quality_manager")
    assert mapped.groups == ("cc-supervisors", "cc-qa", "everyone")
    assert mapped.username == "ana.lopez"


def test_a_single_group_string_counts_as_a_list() -> None:
    assert map_claims(MAPPING, claims(groups="it")).roles == ("admin",)


def test_scope_comes_from_its_claims_as_string_or_list() -> None:
    mapped = map_claims(MAPPING, claims(groups=["it"], team="North", dept=["Sales", " ", 7]))
    assert mapped.scope.teams == ("North",)
    assert mapped.scope.departments == ("Sales",)
    assert mapped.scope.queues == ()


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (claims(groups=["sales"]), "no group maps to a role (groups: sales)"),
        (claims(), "no group maps to a role (groups: none)"),
        (claims(groups={"it": True}), "no group maps to a role"),
        ({"preferred_username": "x", "groups": ["it"]}, "no usable subject"),
        ({"sub": "", "groups": ["it"]}, "no usable subject"),
        ({"sub": "s", "groups": ["it"]}, "neither 'preferred_username' nor 'email'"),
        (claims(groups=["it"], team=["x" * 500]), "scope claims are not usable"),
    ],
)
def test_tokens_that_give_no_way_in(token: dict, reason: str) -> None:
    with pytest.raises(MappingRefused) as refused:
        map_claims(MAPPING, token)
    assert reason in refused.value.reason


def test_email_stands_in_for_a_missing_user_name() -> None:
    mapped = map_claims(MAPPING, {"sub": "s", "email": "Ana@Example.com", "groups": ["it"]})
    assert mapped.username == "ana@example.com" and mapped.email == "Ana@Example.com"


def test_a_mapping_round_trips_through_json() -> None:
    assert ClaimsMapping.from_json(MAPPING.to_json()) == MAPPING


@pytest.mark.parametrize(
    "document",
    [
        "groups",
        {"group_roles": {"g": ["emperor"]}},
        {"group_roles": {"": ["admin"]}},
        {"group_roles": {"g": [1]}},
        {"scope_claims": {"teams": 5}},
        {"scope_claims": {"planets": "p"}},
        {"username_claim": "x" * 101},
        {"extra": 1},
    ],
)
def test_bad_mappings_are_refused(document: object) -> None:
    with pytest.raises(InvalidParameter):
        ClaimsMapping.from_json(document)


@given(st.dictionaries(st.text(max_size=20), st.recursive(st.none() | st.text(), st.lists)))
def test_any_claims_either_map_or_are_refused_never_crash(extra: dict) -> None:
    try:
        mapped = map_claims(MAPPING, {**extra, "sub": "s", "preferred_username": "u"})
    except MappingRefused:
        return
    assert mapped.roles


def test_group_roles_are_the_group_mapping_format_scim_uses() -> None:
    # Written as SCIM's mapping writes a group's grant; one parser reads both.
    assert MAPPING.to_json()["group_roles"]["cc-supervisors"] == {"roles": ["wfo.team_leader"]}
    scim = parse_mapping({"groups": MAPPING.to_json()["group_roles"]})
    assert scim == MAPPING.group_roles


def test_mappings_stored_before_the_one_format_still_read() -> None:
    # As auth/sso/config.py stored a claims mapping before group_roles took SCIM's format.
    stored = (
        '{"username_claim": "preferred_username", "groups_claim": "groups",'
        ' "group_roles": {"supervisors": ["wfo.team_leader"], "it": ["admin"]},'
        ' "scope_claims": {}}'
    )
    mapping = ClaimsMapping.from_json(json.loads(stored))
    assert mapping.group_roles.groups["supervisors"] == Grant(("wfo.team_leader",), Scope())
    assert map_claims(mapping, claims(groups=["it"])).roles == ("admin",)
    assert ClaimsMapping.from_json(mapping.to_json()) == mapping


def test_groups_give_scope_when_no_claim_does() -> None:
    mapping = ClaimsMapping.from_json(
        {"group_roles": {"north": {"roles": ["wfo.team_leader"], "teams": ["North"]}}}
    )
    assert map_claims(mapping, claims(groups=["north"])).scope == Scope(teams=("North",))
    # Scope claims, where the mapping names them, decide instead of the groups.
    assert map_claims(MAPPING, claims(groups=["it"])).scope == Scope()
