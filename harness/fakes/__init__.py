"""Old import paths, kept until the branches that still import them are merged: the stand-ins live in
harness.services (dns.fake, saml_idp, mail.sink, stripe.fake, oidc.fake)."""
