"""The provisioning services, built together: they share the group mapping's rules."""

from __future__ import annotations

from dataclasses import dataclass

from hindsight.audit.trail import AuditTrail
from hindsight.domain.clock import Clock
from hindsight.provisioning.groups import ProvisionedGroups
from hindsight.provisioning.mapping import MappingRules
from hindsight.provisioning.people import ProvisionedPeople
from hindsight.provisioning.tokens import ScimTokens
from hindsight.store.database import Database


@dataclass(frozen=True)
class Provisioning:
    """Behind /scim/v2 and the Admin page's "Provisioning (SCIM)" section."""

    tokens: ScimTokens
    people: ProvisionedPeople
    groups: ProvisionedGroups
    mapping: MappingRules

    @classmethod
    def build(cls, db: Database, clock: Clock, audit: AuditTrail) -> Provisioning:
        mapping = MappingRules(db, clock, audit)
        return cls(
            tokens=ScimTokens(db, clock, audit),
            people=ProvisionedPeople(db, clock, audit, mapping),
            groups=ProvisionedGroups(db, clock, audit, mapping),
            mapping=mapping,
        )
