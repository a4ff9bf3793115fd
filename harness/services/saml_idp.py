"""A SAML identity provider for the SAML checks: kernia-test-utils' MockSAMLIdP, in the checking process.

SAML's HTTP-POST binding carries the IdP's signed response through the browser, so the checks need no IdP
server: they start a sign-in at the backend (which redirects to the IdP with an AuthnRequest), read the
request's ID from that redirect, and post a response signed by this IdP to the backend's ACS, as the
browser would. The IdP's ``sso_url`` is only ever written into redirects; nothing connects to it.
"""

from __future__ import annotations

import base64
import re
import zlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness.services.stand_in import _load


def mock_saml_idp(entity_id: str, sso_url: str) -> Any:
    """A new kernia_test_utils.mock_saml_idp.MockSAMLIdP (its own signing key and certificate)."""
    return _load("mock_saml_idp").MockSAMLIdP(entity_id=entity_id, sso_url=sso_url)


def authn_request_id(location: str) -> str:
    """The ID of the AuthnRequest in an HTTP-Redirect binding URL (``SAMLRequest``: deflated, base64)."""
    encoded = parse_qs(urlsplit(location).query)["SAMLRequest"][0]
    xml = zlib.decompress(base64.b64decode(encoded), -15).decode()
    match = re.search(r'\bID="([^"]+)"', xml)
    if match is None:
        raise ValueError(f"no ID in the AuthnRequest: {xml[:200]}")
    return match.group(1)


def signed_response(idp: Any, auth_base_url: str, provider_id: str, email: str, request_id: str | None) -> str:
    """A base64 SAML Response from ``idp`` asserting ``email`` to the backend's SP for ``provider_id``."""
    return str(
        idp.create_assertion(
            email,
            {"email": email},
            audience=f"{auth_base_url}/sso/saml/metadata/{provider_id}",
            recipient=f"{auth_base_url}/sso/saml/acs/{provider_id}",
            in_response_to=request_id,
        )
    )
