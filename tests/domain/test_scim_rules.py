"""SCIM's pure rules: filters, PATCH paths and operations, resource checking, group mapping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain.access import Scope
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.group_mapping import parse_mapping
from hindsight.domain.scim import filter as scim_filter
from hindsight.domain.scim import patch as scim_patch
from hindsight.domain.scim.attributes import (
    GROUP_ATTRS,
    GROUP_SCHEMA,
    USER_ATTRS,
    USER_SCHEMA,
    clean,
)
from hindsight.domain.scim.errors import ScimError

ADA = {
    "id": "US1",
    "userName": "ada",
    "externalId": "X-1",
    "displayName": "Ada Lovelace",
    "emails": [
        {"value": "ada@work.example", "type": "work", "primary": True},
        {"value": "ada@home.example", "type": "home"},
    ],
    "name": {"givenName": "Ada"},
    "active": True,
}


def _match(text: str, resource: dict = ADA) -> bool:
    return scim_filter.matches(scim_filter.parse(text, USER_ATTRS, USER_SCHEMA), resource)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "ADA"', True),
        ('userName ne "ada"', False),
        ('externalId eq "x-1"', False),
        ('displayName co "love"', True),
        ('displayName sw "ada "', True),
        ('displayName ew "LACE"', True),
        ('emails.value eq "ada@home.example"', True),
        ('emails eq "ada@home.example"', True),
        ('emails[type eq "work" and value ew "@work.example"]', True),
        ('emails[type eq "home" and primary eq true]', False),
        ("name.givenName pr", True),
        ("name.familyName pr", False),
        ("title pr", False),
        ("active eq true and not (title pr)", True),
        ('userName eq "bob" or (active eq true and displayName sw "A")', True),
        ('userName eq "bob" or userName eq "eve" and active eq true', False),
        ("title eq null", True),
        ('USERNAME EQ "ada"', True),
        ('userName gt "aaa"', True),
        ('userName lt "aaa"', False),
    ],
)
def test_filters(text: str, expected: bool) -> None:
    assert _match(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "userName",
        'userName eq "x" )',
        'userName ~ "x"',
        'emails[type eq "work"',
        "userName eq 'single'",
        'members.value eq "x"',
        'userName eq "x" or',
        'not userName eq "x"',
        '"ada" eq userName',
    ],
)
def test_bad_filters_are_invalid_filter(text: str) -> None:
    with pytest.raises(ScimError) as raised:
        scim_filter.parse(text, USER_ATTRS, USER_SCHEMA)
    assert raised.value.status == 400 and raised.value.scim_type == "invalidFilter"


@given(st.text(max_size=80))
def test_any_text_parses_or_is_refused_as_invalid_filter(text: str) -> None:
    try:
        node = scim_filter.parse(text, USER_ATTRS, USER_SCHEMA)
    except ScimError as refused:
        assert refused.scim_type == "invalidFilter"
    else:
        scim_filter.matches(node, ADA)


def _patch(resource: dict, *operations: dict, attrs=USER_ATTRS, schema=USER_SCHEMA) -> dict:
    body = {"schemas": [scim_patch.PATCH_SCHEMA], "Operations": list(operations)}
    parsed = scim_patch.parse_operations(body, attrs, schema)
    return scim_patch.apply(resource, parsed, attrs, schema)


def test_patch_paths_reach_values_inside_lists_and_leave_the_original_alone() -> None:
    changed = _patch(
        ADA,
        {"op": "replace", "path": 'emails[type eq "home"].value', "value": "a@new.example"},
        {"op": "remove", "path": 'emails[type eq "work"]'},
        {"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:title", "value": "QA"},
        {"op": "replace", "path": "name", "value": {"familyName": "King"}},
    )
    assert changed["emails"] == [{"value": "a@new.example", "type": "home"}]
    assert changed["title"] == "QA" and changed["name"] == {"familyName": "King"}
    assert ADA["emails"][1]["value"] == "ada@home.example"


def test_patch_add_merges_lists_and_creates_a_value_a_filter_describes() -> None:
    changed = _patch(
        {"userName": "x"},
        {"op": "add", "path": 'emails[type eq "work"].value', "value": "w@example.org"},
        {"op": "add", "path": "emails", "value": {"value": "h@example.org", "type": "home"}},
    )
    assert changed["emails"] == [
        {"type": "work", "value": "w@example.org"},
        {"value": "h@example.org", "type": "home"},
    ]


def test_patch_members_by_filter_and_by_value() -> None:
    group = {"displayName": "QA", "members": [{"value": "US1"}, {"value": "US2"}, {"value": "US3"}]}
    kwargs = {"attrs": GROUP_ATTRS, "schema": GROUP_SCHEMA}
    one_less = _patch(group, {"op": "remove", "path": 'members[value eq "US2"]'}, **kwargs)
    assert [m["value"] for m in one_less["members"]] == ["US1", "US3"]
    by_value = _patch(
        group, {"op": "remove", "path": "members", "value": [{"value": "US1"}]}, **kwargs
    )
    assert [m["value"] for m in by_value["members"]] == ["US2", "US3"]
    assert "members" not in _patch(group, {"op": "remove", "path": "members"}, **kwargs)


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ({"op": "remove"}, "noTarget"),
        ({"op": "remove", "path": "userName"}, "mutability"),
        ({"op": "remove", "path": "active"}, "mutability"),
        ({"op": "replace", "path": "meta.created", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "emails[", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "emails[type zz 1]", "value": "x"}, "invalidFilter"),
        ({"op": "replace", "path": 'emails[type eq "none"].value', "value": "x"}, "noTarget"),
        ({"op": "add", "path": "displayName"}, "invalidValue"),
        ({"op": "add", "path": "active", "value": "yes"}, "invalidValue"),
        ({"op": "copy", "path": "title", "value": "x"}, "invalidSyntax"),
        ({"op": "replace", "value": ["not", "an", "object"]}, "invalidValue"),
    ],
)
def test_bad_patches(operation: dict, kind: str) -> None:
    with pytest.raises(ScimError) as raised:
        _patch(ADA, operation)
    assert raised.value.scim_type == kind


def test_clean_ignores_read_only_and_extension_attributes_and_refuses_unknown_ones() -> None:
    cleaned = clean(
        USER_ATTRS,
        USER_SCHEMA,
        {
            "schemas": [USER_SCHEMA],
            "id": "ignored",
            "meta": {"created": "x"},
            "USERNAME": "ada",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "QA"},
            "emails": [{"value": "a@b", "primary": "True"}],
            "title": "",
        },
    )
    assert cleaned == {"userName": "ada", "emails": [{"value": "a@b", "primary": True}]}
    with pytest.raises(ScimError):
        clean(USER_ATTRS, USER_SCHEMA, {"userName": "ada", "password": "secret"})
    with pytest.raises(ScimError):
        clean(USER_ATTRS, USER_SCHEMA, {"userName": "a" * 2000})


def test_group_mapping_unions_roles_and_scopes() -> None:
    mapping = parse_mapping(
        {
            "groups": {
                "QA": {"roles": ["wfo.quality_manager"], "teams": ["Sales"]},
                "Leads": {"roles": ["wfo.team_leader"], "queues": ["Support"]},
                "Admins": {"roles": ["admin"]},
            }
        }
    )
    assert mapping.grant_for([]).roles == ("agent",)
    both = mapping.grant_for(["QA", "Leads", "Unmapped"])
    assert both.roles == ("wfo.quality_manager", "wfo.team_leader")
    assert both.scope == Scope(teams=("Sales",), queues=("Support",))
    assert mapping.grant_for(["QA", "Admins"]).scope.unrestricted
    assert parse_mapping(mapping.to_json()) == mapping


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"groups": []},
        {"groups": {"QA": []}},
        {"groups": {"QA": {"roles": "admin"}}},
        {"groups": {"QA": {"roles": ["nobody"]}}},
        {"groups": {"": {"roles": ["admin"]}}},
        {"groups": {"QA": {"roles": ["admin"], "teams": "Sales"}}},
        {"groups": {}, "claims": {}},
    ],
)
def test_bad_mappings(document: object) -> None:
    with pytest.raises(InvalidParameter):
        parse_mapping(document)


def test_a_grant_written_as_just_its_roles_reads_as_roles_only() -> None:
    # The claims mapping's older form, read by the one parser for both features.
    short = parse_mapping({"groups": {"Admins": "admin", "QA": ["wfo.quality_manager"]}})
    assert short == parse_mapping(
        {"groups": {"Admins": {"roles": ["admin"]}, "QA": {"roles": ["wfo.quality_manager"]}}}
    )
