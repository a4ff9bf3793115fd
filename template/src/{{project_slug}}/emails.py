"""Email templates and delivery for every Kernia flow that mails a user.

Links are built from KERNIA_BASE_URL (the production auth base URL, mount path included) so verification,
magic-link and reset links point at the real backend, never at localhost defaults. Each link carries a
``callbackURL`` on the frontend (``email_links.landing_url``): the backend checks the token, then sends the
person there with the result (``email_links.EmailLinkLanding``, ``password_reset.reset_redirect_target``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .email_links import landing_url
from .mailer import Email, Mailer
from .project import PROJECT_NAME
from .telemetry import Telemetry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailLinks:
    auth_base_url: str
    frontend_url: str

    def verification(self, token: str, callback_url: str | None = None) -> str:
        query = {"token": token, "callbackURL": landing_url(callback_url, self.frontend_url)}
        return f"{self.auth_base_url}/verify-email?{urlencode(query)}"

    def password_reset(self, token: str, callback_url: str | None = None) -> str:
        """Better Auth's link shape: the backend checks the token, then redirects to the frontend form."""
        query = urlencode({"callbackURL": landing_url(callback_url, self.frontend_url)})
        return f"{self.auth_base_url}/reset-password/{token}?{query}"

    def magic_link(self, url: str) -> str:
        """Kernia's magic link with its ``callbackURL`` (``/`` by default) moved onto the frontend."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        for key in ("callbackURL", "newUserCallbackURL"):
            if key in query or key == "callbackURL":
                query[key] = landing_url(query.get(key), self.frontend_url)
        return urlunsplit(parts._replace(query=urlencode(query)))

    def invitation(self, invitation_id: str) -> str:
        return f"{self.frontend_url}/?{urlencode({'invitation': invitation_id})}"


def verification_email(links: EmailLinks, to: str, token: str, callback_url: str | None) -> Email:
    url = links.verification(token, callback_url)
    return Email(to, f"Verify your email for {PROJECT_NAME}", f"Confirm your address:\n\n{url}\n")


def password_reset_email(links: EmailLinks, to: str, token: str, callback_url: str | None) -> Email:
    url = links.password_reset(token, callback_url)
    body = f"Reset your password (valid for one hour):\n\n{url}\n\nIgnore this email if you did not ask."
    return Email(to, f"Reset your {PROJECT_NAME} password", body)


def magic_link_email(links: EmailLinks, to: str, url: str) -> Email:
    url = links.magic_link(url)
    return Email(to, f"Sign in to {PROJECT_NAME}", f"Sign in with this link:\n\n{url}\n")


def otp_email(to: str, otp: str, purpose: str) -> Email:
    what = {"sign-in": "sign-in", "forget-password": "password reset"}.get(purpose, "verification")
    return Email(to, f"Your {PROJECT_NAME} {what} code", f"Your {what} code is {otp}\n")


def invitation_email(links: EmailLinks, invitation: Mapping[str, Any]) -> Email:
    org = invitation.get("organization") or {}
    invite = invitation.get("invitation") or {}
    url = links.invitation(str(invite.get("id", "")))
    body = f"You are invited to join {org.get('name', 'an organization')} on {PROJECT_NAME}:\n\n{url}\n"
    return Email(str(invitation["email"]), f"Invitation to {org.get('name', PROJECT_NAME)}", body)


@dataclass(frozen=True)
class EmailDelivery:
    """Hands mail to the mailer (SMTP, or the email queue when there is one); counts and raises failures."""

    mailer: Mailer
    links: EmailLinks
    telemetry: Telemetry

    async def deliver(self, email: Email, kind: str) -> None:
        try:
            await self.mailer.send(email)
        except Exception as exc:
            self.telemetry.email_failed(kind)
            log.warning("%s email delivery failed: %s", kind, type(exc).__name__)
            raise

    # Kernia callbacks (signatures dictated by Kernia 0.1.0).
    async def send_verification_email(self, email: str, token: str, callback_url: str | None = None) -> None:
        await self.deliver(verification_email(self.links, email, token, callback_url), "verification")

    async def send_password_reset(self, email: str, token: str, callback_url: str | None = None) -> None:
        await self.deliver(password_reset_email(self.links, email, token, callback_url), "password_reset")

    async def send_magic_link(self, email: str, url: str, token: str) -> None:
        await self.deliver(magic_link_email(self.links, email, url), "magic_link")

    async def send_otp(self, email: str, otp: str, purpose: str) -> None:
        await self.deliver(otp_email(email, otp, purpose), "email_otp")

    async def send_invitation(self, invitation: Mapping[str, Any]) -> None:
        await self.deliver(invitation_email(self.links, invitation), "invitation")
