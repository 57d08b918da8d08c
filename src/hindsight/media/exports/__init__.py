"""Bulk export of conversations' media as one ZIP: the service and background build
(service) and its HTTP routes (http)."""
