"""Tenant boundaries Kernia 0.1.0 leaves open: SCIM tokens and provisioning, SAML sign-in, org invitations.

- SCIM (review F02, F04, N2): a token is always bound to an organization, and a provider id belongs to the
  first organization that claims it, so nobody re-mints another tenant's token. A token only acts on
  addresses in a domain verified (DNS TXT, by an instance admin) for an SSO provider of its organization:
  any user can make an organization and a token, and a row provisioned for a stranger's address is the one
  that stranger's first sign-in lands in, still editable by the token. Provisioning only creates *new*
  users: Kernia links any existing user whose email matches ``userName`` (an admin included), after which the
  token could rewrite that user's email and take the account over. Edits never touch instance admins and
  never move an email onto an address another user holds. An address SCIM sets is unproven (N3): the user's
  email is unverified again and their sessions end, so nobody holds a verified session for a mailbox they
  never opened, and invitations are honoured only for a verified address.
- SAML (F03, F10): the ACS gets the verified-domain veto the OIDC callback has, only answers a response to an
  AuthnRequest this backend issued for that provider, and accepts each signed assertion once (its ID is kept
  until the assertion expires). Provider configs never leave the backend with their secrets.
- Organizations (F08, N7): nobody invites, assigns or removes a role above their own, so only owners make
  owners and only owners remove them.
- SSO domains (F09): verification needs the DNS TXT record ``_better-auth-token.<domain>`` holding the
  token, looked up at the resolver SSO_DNS_RESOLVER names (unset: no domain verifies), not the caller
  echoing the token it was just given; a domain verified for one provider is not re-registered for another.
- OIDC fetches (F17): discovery, token, key and userinfo requests go only to the issuer origins the
  deployment lists in SSO_ALLOWED_ISSUERS (without a list: https hosts with public addresses only); anything
  else is refused before a connection is made.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import ipaddress
import json
import re
import secrets
import socket
import struct
import time
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from kernia.error import APIError
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext
from kernia.types.hooks import AfterHook, BeforeHook
from kernia.types.plugin import KerniaPlugin
from kernia_scim import SCIMOptions
from kernia_scim.mappings import get_user_primary_email
from kernia_scim.patch_operations import build_user_patch
from kernia_scim.plugin import _authenticate as scim_authenticate
from kernia_scim.scim_error import SCIMAPIError
from lxml import etree

from ..plugin import body_dict, hooks_plugin
from ..roles import is_admin_user
from .deps import SecurityDeps
from .kernia_defects import mark_sso_callback_start, sso_email_in_verified_domain

SAML_ACS = "/sso/saml/acs/*"
ORG_ROLE_RANK: Mapping[str, int] = {"member": 1, "admin": 2, "owner": 3}
UNKNOWN_ROLE_RANK = 3  # a custom role may carry any permission: only owners grant it
SAML_CLOCK_SKEW = 300  # seconds an assertion's ID outlives its NotOnOrAfter in the replay store
SAML_MAX_TTL = 24 * 3600
SAML_DEFAULT_TTL = 3600  # assertions without NotOnOrAfter
SECRET_KEYS = frozenset({"clientsecret", "privatekey", "decryptionpvk", "secret", "password"})

_scim_email_change: ContextVar[str | None] = ContextVar("scim_email_change", default=None)

_NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}


def scim_options() -> SCIMOptions:
    """Hashed tokens at rest. Provider ownership is enforced by ``scim_token_bound_to_organization`` (every
    token names its organization, and a provider id stays with the organization that first claimed it):
    Kernia's ``provider_ownership`` would need a ``scimProvider.userId`` column the schema does not have."""
    return SCIMOptions(store_scim_token="hashed")


def sso_callbacks() -> dict[str, Any]:
    """Kernia's SSO plugin makes its server-side OIDC requests through this transport (the allow-list)."""
    return {"http_transport": GuardedTransport(FETCH_POLICY)}


# --- SCIM -----------------------------------------------------------------------------------------


async def scim_token_bound_to_organization(ctx: EndpointContext) -> None:
    """``/scim/generate-token`` must name an organization, and the provider id must not be another's.

    Without ``organizationId`` Kernia issues an unscoped token (provisioning outside any tenant) and replaces
    the existing provider row of that id whoever owns it (F04). The caller's role in the named organization is
    checked by the gateway and again by Kernia.
    """
    body = await _json_object(ctx)
    organization_id = body.get("organizationId")
    provider_id = body.get("providerId")
    if not isinstance(organization_id, str) or not organization_id.strip():
        raise APIError(400, "ORGANIZATION_REQUIRED", message="SCIM tokens must name their organizationId.")
    if not isinstance(provider_id, str) or not provider_id:
        return  # Kernia answers 400 providerId is required
    adapter = ctx.auth.adapter
    rows = await adapter.find_many(
        model="scimProvider", where=(Where(field="providerId", value=provider_id),)
    )
    if any(row.get("organizationId") != organization_id for row in rows):
        raise APIError(403, "SCIM_PROVIDER_TAKEN", message="This SCIM provider id belongs to another tenant.")
    if not rows:
        used = await adapter.find_one(model="account", where=(Where(field="providerId", value=provider_id),))
        if used is not None:
            raise APIError(
                409,
                "PROVIDER_ID_IN_USE",
                message="This provider id already names sign-in accounts.",
            )


async def _scim_provider(ctx: EndpointContext) -> dict[str, Any] | None:
    """The provider row behind the request's SCIM token (None when invalid: Kernia's handler answers 401)."""
    try:
        provider = await scim_authenticate(ctx, scim_options())
    except APIError:
        return None
    if not provider.get("organizationId"):
        raise SCIMAPIError(
            "FORBIDDEN",
            detail="This SCIM token is not bound to an organization; generate a new one.",
        )
    return provider


async def organization_domains(ctx: EndpointContext, organization_id: str) -> frozenset[str]:
    """The email domains verified (DNS TXT) for the organization's SSO providers: its addresses."""
    adapter = ctx.auth.adapter
    providers = await adapter.find_many(
        model="ssoProvider", where=(Where(field="organizationId", value=organization_id),)
    )
    if not providers:
        return frozenset()
    rows = await adapter.find_many(
        model="ssoDomain",
        where=(
            Where(field="ssoProviderId", value=[p["id"] for p in providers], operator="in"),
            Where(field="verified", value=True),
        ),
    )
    return frozenset(str(row["domain"]).lower() for row in rows)


async def _require_organization_domain(
    ctx: EndpointContext, provider: Mapping[str, Any], email: object
) -> None:
    """Refuse an address outside the SCIM token's organization's verified domains (N2)."""
    domain = email.strip().rpartition("@")[2].lower() if isinstance(email, str) and "@" in email else ""
    if not domain or domain not in await organization_domains(ctx, str(provider["organizationId"])):
        raise SCIMAPIError(
            "FORBIDDEN",
            detail="SCIM only manages addresses in a domain verified for this organization's SSO provider.",
        )


async def scim_create_never_links(ctx: EndpointContext) -> None:
    """``POST /scim/v2/Users`` only creates new users (Kernia links an existing user with that email, F02),
    and only in the organization's verified domains (N2)."""
    provider = await _scim_provider(ctx)
    if provider is None or ctx.request.method != "POST":
        return
    body = await _json_object(ctx)
    email = get_user_primary_email(body.get("userName"), body.get("emails"))  # type: ignore[arg-type]
    await _require_organization_domain(ctx, provider, email)
    if isinstance(email, str) and await _user_with_email(ctx, email) is not None:
        raise SCIMAPIError(
            "CONFLICT",
            detail="A user with this email already exists outside SCIM.",
            scimType="uniqueness",
        )


async def scim_edits_stay_in_tenant(ctx: EndpointContext) -> None:
    """PUT/PATCH/DELETE of ``/scim/v2/Users/:id`` never touch an instance admin nor take another's email, and
    act only on addresses (the current one and a new one) in the organization's verified domains (N2).

    Kernia already limits the target to users with an account of the token's provider in its organization.
    """
    _scim_email_change.set(None)
    provider = await _scim_provider(ctx)
    if provider is None or ctx.request.method not in ("PUT", "PATCH", "DELETE"):
        return
    user_id = ctx.path_params.get("userId", "")
    user = await ctx.auth.adapter.find_one(model="user", where=(Where(field="id", value=user_id),))
    if user is None:
        return  # Kernia answers 404
    if is_admin_user(user):
        raise SCIMAPIError("FORBIDDEN", detail="SCIM cannot change an instance administrator.")
    await _require_organization_domain(ctx, provider, user.get("email"))
    if ctx.request.method == "DELETE":
        return
    body = await _json_object(ctx)
    if ctx.request.method == "PUT":
        email = get_user_primary_email(body.get("userName"), body.get("emails"))  # type: ignore[arg-type]
    else:
        ops = [op for op in body.get("Operations") or [] if isinstance(op, Mapping)]
        normalized = [
            {
                "op": str(o.get("op", "replace")).lower(),
                "path": o.get("path"),
                "value": o.get("value"),
            }
            for o in ops
        ]
        try:
            email = build_user_patch(user, normalized)["user"].get("email")
        except Exception:  # malformed operations: Kernia's handler answers them
            return
    if isinstance(email, str) and email.lower() != str(user.get("email") or "").lower():
        await _require_organization_domain(ctx, provider, email)
        holder = await _user_with_email(ctx, email)
        if holder is not None and holder.get("id") != user_id:
            raise SCIMAPIError(
                "CONFLICT", detail="Another user already has this email.", scimType="uniqueness"
            )
        _scim_email_change.set(user_id)


def scim_email_change_needs_proof(deps: SecurityDeps) -> Any:
    async def revoke(ctx: EndpointContext, result: object) -> None:
        """After a SCIM PUT/PATCH that changed a user's email: the new address is unverified and every session
        of the user ends (N3). Kernia keeps ``emailVerified`` and the sessions that proved the *old* mailbox,
        so whoever held one became a verified holder of the new address (invitations to it included)."""
        user_id = _scim_email_change.get()
        _scim_email_change.set(None)
        if user_id is None:
            return
        where = (Where(field="userId", value=user_id),)
        await ctx.auth.adapter.update(
            model="user", where=(Where(field="id", value=user_id),), update={"emailVerified": False}
        )
        sessions = await ctx.auth.adapter.delete_many(model="session", where=where)
        await deps.audit.record(
            "session.revoked",
            subject_type="user",
            subject_id=user_id,
            metadata={"reason": "SCIM email change", "sessions": sessions},
        )

    return revoke


async def _user_with_email(ctx: EndpointContext, email: str) -> dict[str, Any] | None:
    for candidate in dict.fromkeys((email, email.strip(), email.strip().lower())):
        user = await ctx.auth.adapter.find_one(model="user", where=(Where(field="email", value=candidate),))
        if user is not None:
            return user
    return None


async def _json_object(ctx: EndpointContext) -> dict[str, Any]:
    if ctx.body is not None:
        return body_dict(ctx.body)
    try:
        document = await ctx.request.json()
    except Exception:
        return {}
    return document if isinstance(document, dict) else {}


# --- SAML -----------------------------------------------------------------------------------------


class ReplayStore:
    """Assertion IDs already consumed, kept until they expire: Redis ``SET NX`` when configured, else the
    ``verification`` table (guarded by a process lock; a single-process deployment)."""

    def __init__(self, redis: Any | None) -> None:
        self.redis = redis
        self._lock = asyncio.Lock()

    async def claim(self, ctx: EndpointContext, key: str, ttl: int) -> bool:
        """True the first time ``key`` is claimed before it expires."""
        if self.redis is not None:
            return bool(await self.redis.set(f"tenancy:saml-assertion:{key}", "1", nx=True, ex=max(ttl, 1)))
        identifier = f"tenancy:saml-assertion:{key}"
        now = int(time.time())
        async with self._lock:
            where = (Where(field="identifier", value=identifier),)
            row = await ctx.auth.adapter.find_one(model="verification", where=where)
            if row is not None and int(row.get("expiresAt") or 0) > now:
                return False
            if row is not None:
                await ctx.auth.adapter.delete_many(model="verification", where=where)
            await ctx.auth.adapter.create(
                model="verification",
                data={
                    "identifier": identifier,
                    "value": "consumed",
                    "expiresAt": now + ttl,
                    "createdAt": now,
                    "updatedAt": now,
                },
            )
            return True


def saml_acs_guard(store: ReplayStore) -> Any:
    async def guard(ctx: EndpointContext) -> None:
        """Refuse an unsolicited or replayed SAML response before Kernia signs anyone in (F10).

        The response must answer an AuthnRequest this backend issued for this provider (Kernia ignores a
        missing or unknown ``InResponseTo``), and its signed assertion's ID is claimed once, until the
        assertion expires. Kernia's signature check still decides whether the response is genuine.
        """
        await mark_sso_callback_start(ctx)
        body = await _json_object(ctx)
        raw = body.get("SAMLResponse") or body.get("saml_response")
        if not raw:  # Kernia falls back to the query string
            query = ctx.request.query.get("SAMLResponse")
            raw = query[0] if isinstance(query, list) and query else query
        if not isinstance(raw, str) or not raw:
            return  # Kernia answers 400 missing SAMLResponse
        response = _parse_saml_response(raw)
        assertion = response.find("saml:Assertion", _NS)
        if assertion is None or not assertion.get("ID"):
            raise APIError(400, "SSO_SAML_RESPONSE_INVALID", message="The response carries no assertion.")
        answered = {response.get("InResponseTo")} | {
            node.get("InResponseTo") for node in assertion.iterfind(".//saml:SubjectConfirmationData", _NS)
        }
        answered.discard(None)
        if len(answered) != 1:
            raise APIError(400, "SSO_SAML_UNSOLICITED", message="Only responses to this backend's requests.")
        request_id = answered.pop()
        rec = await ctx.auth.adapter.find_one(
            model="verification",
            where=(Where(field="identifier", value=f"sso:saml-request:{request_id}"),),
        )
        provider_id = ctx.path_params.get("provider_id", "")
        if (
            rec is None
            or int(rec.get("expiresAt") or 0) < int(time.time())
            or _stored_provider(rec) != provider_id
        ):
            raise APIError(400, "SSO_SAML_UNSOLICITED", message="The response answers no pending request.")
        if not await store.claim(ctx, f"{provider_id}:{assertion.get('ID')}", _assertion_ttl(assertion)):
            raise APIError(400, "SSO_SAML_REPLAYED", message="This SAML assertion was already used.")

    return guard


def _parse_saml_response(raw: str) -> Any:
    try:
        document = base64.b64decode(raw, validate=False)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        root = etree.fromstring(document, parser=parser)
    except (binascii.Error, ValueError, etree.XMLSyntaxError):
        raise APIError(
            400, "SSO_SAML_RESPONSE_INVALID", message="SAMLResponse is not a SAML document."
        ) from None
    if root.getroottree().docinfo.doctype or root.tag != f"{{{_NS['samlp']}}}Response":
        raise APIError(400, "SSO_SAML_RESPONSE_INVALID", message="SAMLResponse is not a SAML Response.")
    return root


def _stored_provider(rec: Mapping[str, Any]) -> str | None:
    try:
        return str(json.loads(rec.get("value") or "{}").get("provider_id"))
    except (ValueError, AttributeError):
        return None


def _assertion_ttl(assertion: Any) -> int:
    expiries = [
        node.get("NotOnOrAfter")
        for node in (
            assertion.find("saml:Conditions", _NS),
            *assertion.iterfind(".//saml:SubjectConfirmationData", _NS),
        )
        if node is not None and node.get("NotOnOrAfter")
    ]
    if not expiries:
        return SAML_DEFAULT_TTL
    try:
        latest = max(datetime.fromisoformat(value.replace("Z", "+00:00")) for value in expiries)
    except ValueError:
        return SAML_DEFAULT_TTL
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)
    remaining = int(latest.timestamp() - time.time()) + SAML_CLOCK_SKEW
    return min(max(remaining, SAML_CLOCK_SKEW), SAML_MAX_TTL)


async def strip_provider_secrets(ctx: EndpointContext, result: object) -> object:
    """Provider configs in answers lose client secrets and private keys (list-providers gave them, F03)."""
    if not isinstance(result, dict):
        return None
    return _redact(result)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


# --- OIDC fetches ------------------------------------------------------------------------------------


class FetchPolicy:
    """Where server-side OIDC requests may go (F17): the deployment's issuer origins, when it lists any;
    otherwise https origins whose host is public (no loopback, private, link-local or reserved address).

    Configured by ``plugin(deps)`` from ``SSO_ALLOWED_ISSUERS``; ``sso_callbacks`` has no settings to read.
    """

    def __init__(self) -> None:
        self.origins: frozenset[str] = frozenset()

    def configure(self, allowed: str) -> None:
        self.origins = frozenset(_origin(item) for item in allowed.split(",") if item.strip())

    def allows(self, url: str) -> bool:
        """The check without DNS: a listed origin, or (no list) https to a host that is no private literal."""
        try:
            parts = urlsplit(url)
            origin = _origin(url)
        except ValueError:
            return False
        if self.origins:
            return origin in self.origins
        host = (parts.hostname or "").rstrip(".").lower()
        if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
            return False
        try:
            return _public(ipaddress.ip_address(host))
        except ValueError:
            return True  # a name: the transport checks what it resolves to

    async def permits(self, url: str) -> bool:
        """``allows``, and (no list) every address the host resolves to is public."""
        if not self.allows(url):
            return False
        if self.origins:
            return True
        host, port = urlsplit(url).hostname or "", urlsplit(url).port or 443
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return False
        return bool(infos) and all(_public(ipaddress.ip_address(info[4][0])) for info in infos)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme, 0)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


FETCH_POLICY = FetchPolicy()


class GuardedTransport(httpx.AsyncBaseTransport):
    """Kernia's SSO HTTP client transport: refuses requests the policy does not permit, before connecting,
    and bounds every request's time (Kernia's client waits 30 s per anonymous sign-in otherwise)."""

    TIMEOUT: ClassVar[dict[str, float]] = {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 5.0}

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self._inner: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not await self.policy.permits(str(request.url)):
            raise httpx.ConnectError(f"SSO fetch to {request.url.host} is not allowed", request=request)
        request.extensions["timeout"] = dict(self.TIMEOUT)
        if self._inner is None:
            self._inner = httpx.AsyncHTTPTransport()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Kernia closes its client after every flow; the connection pool outlives it."""


_OIDC_URL_KEYS = ("issuer", "discoveryEndpoint", "tokenEndpoint", "userInfoEndpoint", "jwksEndpoint")


def _refused_oidc_urls(config: Mapping[str, Any] | None) -> list[str]:
    urls = [str(config[key]) for key in _OIDC_URL_KEYS if config and config.get(key)]
    return [url for url in urls if not FETCH_POLICY.allows(url)]


async def oidc_provider_fetches_allowed(ctx: EndpointContext) -> None:
    """Refuse an OIDC sign-in or callback whose provider would make the backend fetch outside the
    allow-list, before any request (the transport is the backstop for URLs found in discovery)."""
    provider = await ctx.auth.adapter.find_one(
        model="ssoProvider", where=(Where(field="id", value=ctx.path_params.get("provider_id", "")),)
    )
    if provider is None or not provider.get("oidcConfig"):
        return
    try:
        config = json.loads(provider["oidcConfig"])
    except (TypeError, ValueError):
        return
    if not isinstance(config, dict) or _refused_oidc_urls(config) or not config.get("issuer"):
        raise APIError(403, "SSO_ISSUER_NOT_ALLOWED", message="This identity provider is not allowed.")


async def registered_issuer_allowed(ctx: EndpointContext) -> None:
    """Registering or updating an OIDC provider only with issuer and endpoints the allow-list permits."""
    body = body_dict(ctx.body)
    config = body.get("oidc_config") or body.get("oidcConfig")
    refused = _refused_oidc_urls(config if isinstance(config, Mapping) else None)
    if refused:
        raise APIError(
            400, "SSO_ISSUER_NOT_ALLOWED", message=f"Not an allowed identity provider: {refused[0]}"
        )


# --- SSO domain verification -------------------------------------------------------------------------

TXT_PREFIX = "_better-auth-token."
DNS_TIMEOUT = 3.0
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def dns_resolver(configured: str) -> tuple[str, int] | None:
    """The (host, port) verification queries go to (SSO_DNS_RESOLVER; port 53 by default); None when unset,
    and then no domain can be verified: the deployment names the resolver it trusts."""
    value = configured.strip()
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    return (host.strip("[]"), int(port)) if sep and host and port.isdigit() else (value.strip("[]"), 53)


def _qname(name: str) -> bytes:
    labels = name.rstrip(".").split(".")
    if not all(_LABEL.match(label) for label in labels[1:]) or labels[0] != TXT_PREFIX[:-1]:
        raise ValueError(f"not a domain name: {name!r}")
    return b"".join(bytes([len(label)]) + label.encode("ascii") for label in labels) + b"\0"


async def txt_records(name: str, resolver: tuple[str, int], timeout: float = DNS_TIMEOUT) -> list[str]:
    """The TXT strings of ``name`` (one per record, its character-strings joined), over UDP; [] when none."""
    query_id = secrets.randbits(16)
    query = struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + _qname(name) + struct.pack("!HH", 16, 1)
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[bytes] = loop.create_future()

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            if not answer.done() and len(data) >= 12 and struct.unpack("!H", data[:2])[0] == query_id:
                answer.set_result(data)

        def error_received(self, exc: Exception) -> None:
            if not answer.done():
                answer.set_exception(exc)

    transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=resolver)
    try:
        transport.sendto(query)
        data = await asyncio.wait_for(answer, timeout)
    finally:
        transport.close()
    return _parse_txt_answer(data)


def _parse_txt_answer(data: bytes) -> list[str]:
    flags, questions, answers = struct.unpack("!HHH", data[2:8])
    if not flags & 0x8000 or flags & 0x000F:  # not a response, or an error (NXDOMAIN...)
        return []
    offset = 12
    for _ in range(questions):
        offset = _skip_name(data, offset) + 4
    records = []
    for _ in range(answers):
        offset = _skip_name(data, offset)
        rtype, _class, _ttl, length = struct.unpack("!HHIH", data[offset : offset + 10])
        offset += 10
        rdata, offset = data[offset : offset + length], offset + length
        if rtype == 16:
            strings, i = [], 0
            while i < len(rdata):
                strings.append(rdata[i + 1 : i + 1 + rdata[i]])
                i += 1 + rdata[i]
            records.append(b"".join(strings).decode("utf-8", "replace"))
    return records


def _skip_name(data: bytes, offset: int) -> int:
    while True:
        length = data[offset]
        if length & 0xC0 == 0xC0:  # compression pointer: the name ends here
            return offset + 2
        if length == 0:
            return offset + 1
        offset += 1 + length


def domain_proven_by_dns(resolver: tuple[str, int] | None) -> Any:
    async def guard(ctx: EndpointContext) -> None:
        """``/sso/verify-domain`` succeeds only when DNS publishes the domain's token (F09).

        Kernia compares the token in the body with the one it just handed the same caller, which proves
        nothing about the domain. This looks up ``_better-auth-token.<domain>`` and requires the token there.
        """
        body = body_dict(ctx.body)
        domain = str(body.get("domain") or "").strip().lower().rstrip(".")
        row = await ctx.auth.adapter.find_one(model="ssoDomain", where=(Where(field="domain", value=domain),))
        if row is None:
            return  # Kernia answers 404
        token = str(row.get("verificationToken") or "")
        try:
            if resolver is None:
                raise OSError("SSO_DNS_RESOLVER is not set")
            records = await txt_records(f"{TXT_PREFIX}{domain}", resolver)
        except (OSError, TimeoutError, ValueError, struct.error, IndexError):
            records = []
        if not token or not any(hmac.compare_digest(record.encode(), token.encode()) for record in records):
            raise APIError(
                400,
                "SSO_DOMAIN_NOT_PROVEN",
                message=f"Publish a DNS TXT record {TXT_PREFIX}{domain} holding the token, then retry.",
            )

    return guard


async def domain_not_verified_elsewhere(ctx: EndpointContext) -> None:
    """Re-registering a domain verified for another provider would move it (and its sign-ins) there."""
    body = body_dict(ctx.body)
    domain = str(body.get("domain") or "").strip().lower()
    provider_id = body.get("provider_id") or body.get("ssoProviderId")
    row = await ctx.auth.adapter.find_one(model="ssoDomain", where=(Where(field="domain", value=domain),))
    if row is not None and row.get("verified") and row.get("ssoProviderId") != provider_id:
        raise APIError(409, "SSO_DOMAIN_TAKEN", message="This domain is verified for another provider.")


# --- Organizations --------------------------------------------------------------------------------


def _rank(roles: object, *, unknown: int = UNKNOWN_ROLE_RANK) -> int:
    """The highest rank among comma-separated roles; ``unknown`` for a role outside ``ORG_ROLE_RANK``
    (granting one needs an owner; holding one counts for nothing)."""
    names = [r.strip() for r in str(roles or "").split(",") if r.strip()]
    return max((ORG_ROLE_RANK.get(name, unknown) for name in names), default=0)


async def _caller_rank(ctx: EndpointContext, organization_id: object) -> int:
    if ctx.session is None or not isinstance(organization_id, str):
        return 0
    member = await ctx.auth.adapter.find_one(
        model="member",
        where=(
            Where(field="organizationId", value=organization_id),
            Where(field="userId", value=ctx.session.user_id),
        ),
    )
    return _rank(member.get("role") if member else "", unknown=0)


async def role_within_caller(ctx: EndpointContext) -> None:
    """Invitations and role changes grant at most the caller's own role: only owners make owners (F08)."""
    body = body_dict(ctx.body)
    if _rank(body.get("role") or "member") > await _caller_rank(ctx, body.get("organizationId")):
        raise APIError(403, "ROLE_ABOVE_YOUR_OWN", message="You cannot grant a role above your own.")


async def removal_within_caller(ctx: EndpointContext) -> None:
    """Removing a member whose role outranks the caller's is refused: Kernia lets anyone holding
    ``member:delete`` (admins) remove owners (N7). The target is resolved as Kernia does: member id, or a
    user's email, in the named organization."""
    body = body_dict(ctx.body)
    organization_id, target = body.get("organizationId"), body.get("memberIdOrEmail")
    if not isinstance(organization_id, str) or not isinstance(target, str):
        return  # Kernia answers 400
    where = (Where(field="organizationId", value=organization_id),)
    if "@" in target:
        user = await ctx.auth.adapter.find_one(model="user", where=(Where(field="email", value=target),))
        where += (Where(field="userId", value=user["id"] if user else ""),)
    else:
        where += (Where(field="id", value=target),)
    member = await ctx.auth.adapter.find_one(model="member", where=where)
    if member is not None and _rank(member.get("role")) > await _caller_rank(ctx, organization_id):
        raise APIError(
            403, "ROLE_ABOVE_YOUR_OWN", message="You cannot remove a member whose role is above your own."
        )


async def invitation_still_grantable(ctx: EndpointContext) -> None:
    """An invitation is honoured only for a verified address (the invitation is for whoever owns that
    mailbox, N3), and not when its role outranks its inviter's current role (made before this check, or the
    inviter was demoted since)."""
    if ctx.session is None:
        return  # Kernia answers 401
    user = await ctx.auth.adapter.find_one(
        model="user", where=(Where(field="id", value=ctx.session.user_id),)
    )
    if user is None or not user.get("emailVerified"):
        raise APIError(
            403, "EMAIL_NOT_VERIFIED", message="Verify your email address before accepting an invitation."
        )
    body = body_dict(ctx.body)
    invitation = await ctx.auth.adapter.find_one(
        model="invitation", where=(Where(field="id", value=str(body.get("invitationId") or "")),)
    )
    if invitation is None:
        return
    inviter = await ctx.auth.adapter.find_one(
        model="member",
        where=(
            Where(field="organizationId", value=invitation.get("organizationId")),
            Where(field="userId", value=invitation.get("inviterId")),
        ),
    )
    if _rank(invitation.get("role") or "member") > _rank(inviter.get("role") if inviter else "", unknown=0):
        raise APIError(
            403, "ROLE_ABOVE_INVITER", message="This invitation grants more than its inviter holds."
        )


def _scim_user_path(ctx: EndpointContext) -> bool:
    return ctx.request.path.startswith("/scim/v2/Users/")


def plugin(deps: SecurityDeps) -> KerniaPlugin:
    FETCH_POLICY.configure(deps.settings.sso_allowed_issuers)
    replay = ReplayStore(deps.redis)
    resolver = dns_resolver(deps.settings.sso_dns_resolver)
    return hooks_plugin(
        "project-tenancy",
        before=(
            BeforeHook(match="/scim/generate-token", handler=scim_token_bound_to_organization),
            BeforeHook(match="/scim/v2/Users", handler=scim_create_never_links),
            BeforeHook(match=_scim_user_path, handler=scim_edits_stay_in_tenant),
            BeforeHook(match=SAML_ACS, handler=saml_acs_guard(replay)),
            BeforeHook(match="/sso/oidc/sign-in/*", handler=oidc_provider_fetches_allowed),
            BeforeHook(match="/sso/oidc/callback/*", handler=oidc_provider_fetches_allowed),
            BeforeHook(match="/sso/register-provider", handler=registered_issuer_allowed),
            BeforeHook(match="/sso/verify-domain", handler=domain_proven_by_dns(resolver)),
            BeforeHook(match="/sso/register-domain", handler=domain_not_verified_elsewhere),
            BeforeHook(match="/sso/update-provider", handler=registered_issuer_allowed),
            BeforeHook(match="/organization/invite-member", handler=role_within_caller),
            BeforeHook(match="/organization/update-member-role", handler=role_within_caller),
            BeforeHook(match="/organization/remove-member", handler=removal_within_caller),
            BeforeHook(match="/organization/accept-invitation", handler=invitation_still_grantable),
        ),
        after=(
            AfterHook(match=_scim_user_path, handler=scim_email_change_needs_proof(deps)),
            AfterHook(match=SAML_ACS, handler=sso_email_in_verified_domain),
            *(
                AfterHook(match=path, handler=strip_provider_secrets)
                for path in (
                    "/sso/list-providers",
                    "/sso/register-provider",
                    "/sso/update-provider",
                    "/sso/get-provider",
                )
            ),
        ),
    )
