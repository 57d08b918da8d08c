"""Who may read and change quality data; refusals are audited before they are raised."""

from __future__ import annotations

from hindsight.audit.trail import DENIED, AuditTrail
from hindsight.domain.access import PermissionDenied, Viewer
from hindsight.domain.permissions import Permission

# Reading the catalogue: those who build questionnaires, those who assess with them, and
# those who read assessments (a data analyst's "Assess: view only").
CATALOGUE_READERS = (Permission.QUESTIONNAIRES, Permission.ASSESS, Permission.VIEW)


async def require_any(
    audit: AuditTrail, viewer: Viewer, permissions: tuple[Permission, ...], action: str
) -> None:
    if any(viewer.can(p) for p in permissions):
        return
    denied = PermissionDenied(permissions[0])
    await audit.record(viewer, action, outcome=DENIED, reason=denied.message)
    raise denied
