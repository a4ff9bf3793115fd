"""The deployed frontend: its server sends the page's own files only, and every email link lands on it."""

from __future__ import annotations

import httpx
import pytest

from harness.actions import emailed_link
from harness.client import Account, AuthClient, unique_email
from harness.services.mail.client import MailpitClient

from .flows import ClientFactory

NOT_SERVED = ("/app.py", "/.env", "/__pycache__/", "/../pyproject.toml", "/frontend/app.py", "/index.html.bak")


@pytest.mark.parametrize("path", NOT_SERVED)
def test_frontend_serves_only_its_page_files(frontend_url: str, path: str) -> None:
    response = httpx.get(f"{frontend_url}{path}", timeout=10)
    assert response.status_code == 404, f"GET {path} from the frontend answered {response.status_code}"
    assert "import " not in response.text and "AUTH_BASE_URL" not in response.text, f"GET {path} leaks source"


def test_frontend_page_is_served_with_a_content_security_policy(frontend_url: str, auth_base_url: str) -> None:
    page = httpx.get(f"{frontend_url}/", timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    policy = page.headers.get("content-security-policy", "")
    backend_origin = "/".join(auth_base_url.split("/", 3)[:3])
    assert "default-src 'self'" in policy and backend_origin in policy, f"content-security-policy: {policy!r}"


def _landing(client: AuthClient, link: str) -> str:
    response = client.http.get(link, follow_redirects=False)
    assert response.status_code == 302, f"{link} answered {response.status_code}, not a redirect: {response.text[:200]}"
    return response.headers["location"]


def _on_frontend(location: str, frontend_url: str) -> bool:
    return location == frontend_url or location.startswith((f"{frontend_url}/", f"{frontend_url}?"))


def _ask_for_a_link(client: AuthClient, route: str, body: dict[str, str], callback_field: str, evil: str) -> None:
    """Request an email with a callback on another origin: the backend either refuses that callback up front
    (then the plain request must work) or accepts the request, whose link must still land on the frontend."""
    asked = client.post(route, {**body, callback_field: evil})
    if asked.status_code == 400 and "callback" in asked.text.lower():
        asked = client.post(route, body)
    assert asked.status_code == 200, f"{route} answered {asked.status_code}: {asked.text[:200]}"


def test_every_email_link_lands_on_the_frontend_whatever_callback_was_asked(
    new_client: ClientFactory, mail: MailpitClient, frontend_url: str
) -> None:
    """Verification, magic-link and reset links redirect to the frontend with the result, also when the request
    asked for a callback on another origin, and also for a used token (never to an API answer)."""
    evil = "https://evil.example/steal"
    client = new_client()
    account = Account(unique_email("landing"))
    assert client.sign_up(account).status_code == 200
    _ask_for_a_link(client, "/send-verification-email", {"email": account.email}, "callback_url", evil)
    verify = emailed_link(mail, account.email, "verify", "verify-email")
    landings = {"verification": _landing(client, verify), "used verification": _landing(client, verify)}
    _ask_for_a_link(client, "/sign-in/magic-link", {"email": account.email}, "callbackURL", evil)
    magic = emailed_link(mail, account.email, "sign in", "magic-link")
    landings["magic link"] = _landing(client, magic)
    landings["used magic link"] = _landing(client, magic)
    _ask_for_a_link(client, "/forget-password", {"email": account.email}, "redirectTo", evil)
    reset = emailed_link(mail, account.email, "reset", "reset-password")
    landings["reset"] = _landing(client, reset)
    landings["unknown reset token"] = _landing(client, reset.replace("/reset-password/", "/reset-password/x"))
    away = {what: location for what, location in landings.items() if not _on_frontend(location, frontend_url)}
    assert not away, f"email links that do not land on the frontend {frontend_url}: {away}"
    assert "verified=1" in landings["verification"] and "token=" in landings["reset"], landings
    for what in ("used verification", "used magic link", "unknown reset token"):
        assert "error=" in landings[what], f"a {what} lands without saying what went wrong: {landings[what]}"
