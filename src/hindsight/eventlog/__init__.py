"""The event log: appending TaskRouter events and following them (callbacks, projections)."""
