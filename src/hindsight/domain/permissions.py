"""Who may do what with conversations: Flex Insights' roles, plus Hindsight's `admin`.

Twilio's matrix (Play / Export / Assess / Questionnaires / Dashboards) is kept, with the
operations Hindsight adds made explicit (searching, viewing a conversation, managing users,
reading the audit trail). Plain agents get nothing. Roles combine: a user holds the union of
their roles' permissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from hindsight.domain.errors import InvalidParameter


class Permission(StrEnum):
    SEARCH = "search"  # list and search conversations, see aggregates
    VIEW = "view"  # open one conversation: segments, attributes, media list
    PLAY = "play"  # play recordings, open transcripts and embedded/linked media
    EXPORT = "export"  # CSV export, downloads
    ASSESS = "assess"  # comments and assessments
    QUESTIONNAIRES = "questionnaires"  # create/edit questionnaires
    DASHBOARDS = "dashboards"  # reports and charts
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"
    MANAGE_PLUGINS = "manage_plugins"
    # Retention policy, legal holds, running the retention job (deletes conversation data).
    MANAGE_RETENTION = "manage_retention"


P = Permission
_VIEWING = {P.SEARCH, P.VIEW, P.DASHBOARDS}

ROLES: dict[str, frozenset[Permission]] = {
    "wfo.full_access": frozenset({*_VIEWING, P.PLAY, P.EXPORT, P.ASSESS, P.QUESTIONNAIRES}),
    "wfo.team_leader": frozenset({*_VIEWING, P.PLAY, P.ASSESS}),
    "wfo.data_analyst": frozenset({*_VIEWING, P.PLAY, P.EXPORT}),
    "wfo.data_auditor": frozenset({*_VIEWING, P.PLAY, P.EXPORT}),
    "wfo.quality_manager": frozenset({*_VIEWING, P.PLAY, P.EXPORT, P.ASSESS}),
    # Builds questionnaires; cannot open conversations or play calls (Twilio's matrix).
    "wfo.quality_process_manager": frozenset({P.QUESTIONNAIRES}),
    "wfo.dashboard_viewer": frozenset({*_VIEWING, P.PLAY}),
    "admin": frozenset(Permission),
    "agent": frozenset(),
}


def parse_roles(values: Iterable[str]) -> tuple[str, ...]:
    roles = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidParameter(f"Unknown role {unknown[0]!r}; roles are {', '.join(sorted(ROLES))}")
    return roles


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLES.get(role, frozenset())
    return frozenset(granted)
