"""Hindsight: a self-hosted conversation store for contact centres."""

__version__ = "0.1.0"
