"""OpenID Connect single sign-on: each account's provider (config), the protocol (oidc), and
signing people in with what the provider says of them (signin)."""
