"""Conversation search: keeping the search index current and reading it (issue 16)."""
