"""Old import path, kept until the branches that still import it are merged: use ``harness.services.saml_idp``."""

from harness.services.saml_idp import authn_request_id, mock_saml_idp, signed_response

__all__ = ["authn_request_id", "mock_saml_idp", "signed_response"]
