"""SCIM 2.0 provisioning: the organisation's identity provider creates, changes and removes
people and groups of one account, with a bearer token of that account (issue 19)."""
