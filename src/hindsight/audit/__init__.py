"""The audit trail: who read or changed what, when, and whether it was allowed."""
