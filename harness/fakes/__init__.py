"""Stand-ins run as their own processes when the real program is not installed (Mailpit, stripe-mock),
and the OIDC identity provider the SSO checks sign in against."""
