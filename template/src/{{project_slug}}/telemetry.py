"""Operational signals the app emits; this base records nothing (observability "none").

``metrics.PrometheusTelemetry`` overrides every method when the project has metrics enabled.
"""

from __future__ import annotations


class Telemetry:
    def auth_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One request through the Kernia mount, labelled by route template."""

    def sign_in(self, seconds: float, succeeded: bool) -> None:
        """Latency of a sign-in attempt (argon2 dominates)."""

    def email_failed(self, kind: str) -> None:
        """An email could not be handed to the SMTP server."""

    def webhook_signature_failed(self, provider: str) -> None:
        """A webhook arrived with a missing, stale or wrong signature."""

    def oauth_callback_failed(self, route: str) -> None:
        """An OAuth/OIDC callback did not sign anyone in."""

    def rate_limited(self, route: str) -> None:
        """Kernia answered 429."""

    def admin_change(self, action: str) -> None:
        """An administrative change went through (role, ban, provider, ...)."""
