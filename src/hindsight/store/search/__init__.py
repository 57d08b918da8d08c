"""Conversation search's tables: the search index, the pick lists, saved searches."""
