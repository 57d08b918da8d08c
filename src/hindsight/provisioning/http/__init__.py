"""SCIM 2.0 over HTTP: `/scim/v2` (RFC 7644), a sub-application with SCIM's own errors."""
