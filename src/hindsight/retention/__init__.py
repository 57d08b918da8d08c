"""Retention policies, legal holds and the job that deletes expired conversation data."""
