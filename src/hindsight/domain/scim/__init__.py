"""SCIM 2.0 (RFC 7643/7644) rules without I/O: attribute definitions, filters, PATCH paths."""
