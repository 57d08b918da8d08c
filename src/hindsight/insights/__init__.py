"""Flex-Insights-style conversations and segments, projected from the event log."""
