"""Step 5 as a person meets it: the deployed frontend in headless Chromium, email links followed from Mailpit.

httpx enforces neither CORS nor cookie rules nor redirects the way a browser does; these checks do. Each check is
its own browser context (a fresh profile) and leaves a screenshot per step beside the report
(``<report>-browser/<check>/``); a failing step also leaves its console log and network requests. Without a
Chromium the checks are "not run" with the install command (``--harness-require-browser`` makes that fatal).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.actions import emailed_link, sign_up_verified
from harness.browser import (
    LAUNCH_FLAGS,
    Evidence,
    ForeignSite,
    find_chromium,
    missing_browser_reason,
    origin_of,
)
from harness.client import PASSWORD, Account, unique_email
from harness.services.mail.client import MailpitClient

from .flows import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

TIMEOUT_MS = 15_000
NAME = "Rehearsal User"  # AuthClient.sign_up's name for accounts made through the API
# What a page must not show: a raw API answer instead of a page a person can read.
RAW_JSON = ('{"', '"code":', '"session":')
SHOWN_OR_ERROR = (
    "(id) => !document.getElementById(id).hidden || document.getElementById('status').dataset.kind === 'error'"
)
FETCH_SESSION = """async (url) => {
  try {
    const response = await fetch(url, { credentials: "include" });
    return { read: true, status: response.status, body: await response.text() };
  } catch (error) {
    return { read: false, error: String(error) };
  }
}"""


@pytest.fixture(scope="session")
def chromium(pytestconfig: pytest.Config) -> Iterator[Any]:
    """The system Chromium under Playwright, one per worker; "not run" (or fatal, when required) without one."""
    reason = missing_browser_reason()
    if reason is not None:
        if pytestconfig.getoption("--harness-require-browser"):
            pytest.fail(
                f"browser required (--harness-require-browser) but {reason.removeprefix('not run: ')}", pytrace=False
            )
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=list(LAUNCH_FLAGS))
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def evidence_root(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Beside the report (``<report stem>-browser/``), else under pytest's temporary directory."""
    report = pytestconfig.getoption("--harness-report")
    if report:
        path = Path(report).resolve()
        return path.with_name(f"{path.stem}-browser")
    return tmp_path_factory.getbasetemp() / "browser"


@pytest.fixture
def evidence(chromium: Any, evidence_root: Path, request: pytest.FixtureRequest) -> Iterator[Evidence]:
    """A fresh browser profile for one check, and the record of what it saw."""
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    check = request.node.name
    record = Evidence(evidence_root / check, check, context)
    request.node.user_properties.append(("evidence", record.files))  # filled in as the steps run
    record.page = context.new_page()
    try:
        yield record
    finally:
        context.close()


def verified_via_api(new_client: ClientFactory, mail: MailpitClient, label: str) -> Account:
    """A verified user made through the API (its own client address), for checks that start at sign-in."""
    return sign_up_verified(new_client(), mail, Account(unique_email(f"browser-{label}")))


def status_text(page: Any) -> str:
    return page.locator("#status").inner_text()


def wait_for_status(page: Any, *fragments: str) -> str:
    """Wait until the page's status line contains one of ``fragments`` (case-insensitive) or reports an error;
    return it (the caller's assertion then quotes what the page said)."""
    lowered = [f.lower() for f in fragments]
    page.wait_for_function(
        "(fragments) => { const s = document.getElementById('status'); if (!s) return false;"
        " return s.dataset.kind === 'error' || fragments.some((f) => s.textContent.toLowerCase().includes(f)); }",
        arg=lowered,
    )
    return status_text(page)


def shown_or_error(page: Any, section: str, what: str) -> None:
    """Wait until the page shows ``#section`` or reports an error; fail quoting the page if it is the error."""
    page.wait_for_function(SHOWN_OR_ERROR, arg=section)
    assert page.locator(f"#{section}").is_visible(), f"{what}: the page says {status_text(page)!r}"


def assert_on_frontend(page: Any, frontend_url: str, what: str) -> None:
    assert origin_of(page.url) == origin_of(frontend_url), f"{what} landed on {page.url}, not on the frontend"
    body = page.locator("body").inner_text().strip()
    assert not body.startswith(RAW_JSON) and '"code":' not in body, f"{what} shows a raw API answer: {body[:200]}"


def open_page(evidence: Evidence, frontend_url: str) -> Any:
    page = evidence.page
    with evidence.step("open the page"):
        page.goto(frontend_url)
        wait_for_status(page, "signed out", "signed in")
    return page


def submit_for_mail(evidence: Evidence, step: str, form_id: str, fields: dict[str, str], sent: str) -> None:
    """Fill ``#form_id`` with ``fields``, submit it, and wait until the status line says ``sent`` (a mail is on
    its way)."""
    page = evidence.page
    with evidence.step(step):
        form = page.locator(f"#{form_id}")
        for name, value in fields.items():
            form.locator(f"input[name={name}]").fill(value)
        form.locator("button").click()
        said = wait_for_status(page, sent)
        assert sent in said.lower(), f"{step}: the page says {said!r}"


def sign_in_through_form(evidence: Evidence, email: str, password: str = PASSWORD) -> Any:
    page = evidence.page
    with evidence.step("sign in through the form"):
        form = page.locator("#sign-in")
        form.locator("input[name=email]").fill(email)
        form.locator("input[name=password]").fill(password)
        form.locator("button").click()
        shown_or_error(page, "signed-in", "sign-in through the form")
        assert page.locator("#user-email").inner_text() == email
    return page


def assert_no_console_errors(evidence: Evidence, frontend_url: str) -> None:
    errors = evidence.errors(origin_of(frontend_url))
    assert not errors, f"the page logged {len(errors)} console error(s): {errors[:3]}"


def test_browser_sign_up_and_verification_link_lands_verified(
    evidence: Evidence, frontend_url: str, mail: MailpitClient
) -> None:
    email = unique_email("browser-signup")
    page = open_page(evidence, frontend_url)
    fields = {"name": "Browser Person", "email": email, "password": PASSWORD}
    submit_for_mail(evidence, "sign up through the form", "sign-up", fields, "we sent a link")
    link = emailed_link(mail, email, "verify", "verify-email")
    with evidence.step("follow the emailed verification link"):
        page.goto(link)
        text = wait_for_status(page, "verified")
        assert_on_frontend(page, frontend_url, "the verification link")
        assert "verified" in text.lower() and "not verified" not in text.lower(), f"after the link: {text!r}"
        assert "token" not in page.url, f"the token stays in the address bar: {page.url}"
    sign_in_through_form(evidence, email)
    with evidence.step("open the used verification link again"):
        page.goto(link)
        text = wait_for_status(page, "already used", "verified")
        assert_on_frontend(page, frontend_url, "a used verification link")
        assert "already used" in text.lower(), f"a used verification link reads {text!r}"
    assert_no_console_errors(evidence, frontend_url)


def test_browser_sign_in_shows_name_email_and_session_expiry(
    evidence: Evidence, frontend_url: str, new_client: ClientFactory, mail: MailpitClient
) -> None:
    account = verified_via_api(new_client, mail, "signin")
    open_page(evidence, frontend_url)
    page = sign_in_through_form(evidence, account.email)
    with evidence.step("read the signed-in view"):
        assert page.locator("#user-name").inner_text() == NAME
        expiry = page.locator("#session-expires").inner_text()
        assert expiry and expiry != "unknown", f"the session expiry reads {expiry!r}"
        assert page.locator("pre").count() == 0, "the signed-in view dumps JSON"
        assert_on_frontend(page, frontend_url, "the signed-in view")
    assert_no_console_errors(evidence, frontend_url)


def test_browser_session_survives_a_reload(
    evidence: Evidence, frontend_url: str, new_client: ClientFactory, mail: MailpitClient
) -> None:
    account = verified_via_api(new_client, mail, "reload")
    open_page(evidence, frontend_url)
    page = sign_in_through_form(evidence, account.email)
    with evidence.step("reload the page"):
        page.reload()
        wait_for_status(page, "signed in", "signed out")
        assert page.locator("#signed-in").is_visible(), f"signed out by a reload: {status_text(page)!r}"
        assert page.locator("#user-email").inner_text() == account.email
    assert_no_console_errors(evidence, frontend_url)


def test_browser_sign_out_survives_a_reload(
    evidence: Evidence, frontend_url: str, new_client: ClientFactory, mail: MailpitClient
) -> None:
    account = verified_via_api(new_client, mail, "signout")
    open_page(evidence, frontend_url)
    page = sign_in_through_form(evidence, account.email)
    with evidence.step("sign out through the page"):
        page.locator("#sign-out").click()
        page.locator("#signed-out").wait_for(state="visible")
    with evidence.step("reload after signing out"):
        page.reload()
        wait_for_status(page, "signed in", "signed out")
        assert page.locator("#signed-out").is_visible(), "signed in again after sign-out and a reload"
        assert not page.locator("#signed-in").is_visible()
    assert_no_console_errors(evidence, frontend_url)


def test_browser_password_reset_through_the_emailed_link(
    evidence: Evidence, frontend_url: str, new_client: ClientFactory, mail: MailpitClient
) -> None:
    account = verified_via_api(new_client, mail, "reset")
    page = open_page(evidence, frontend_url)
    fields = {"email": account.email}
    submit_for_mail(evidence, "ask for a password reset", "forgot-password", fields, "we sent it a link")
    link = emailed_link(mail, account.email, "reset", "reset-password")
    with evidence.step("follow the emailed reset link"):
        page.goto(link)
        shown_or_error(page, "reset", "the reset link")
        assert_on_frontend(page, frontend_url, "the reset link")
        assert "token" not in page.url, f"the reset token stays in the address bar: {page.url}"
    new_password = "another-Horse-battery-7"
    with evidence.step("choose a new password"):
        page.locator("#reset-password input[name=password]").fill(new_password)
        page.locator("#reset-password button").click()
        text = wait_for_status(page, "password is changed")
        assert "password is changed" in text, f"setting the new password: {text!r}"
    sign_in_through_form(evidence, account.email, new_password)
    assert_no_console_errors(evidence, frontend_url)


def test_browser_magic_link_lands_on_the_frontend_signed_in(
    evidence: Evidence, frontend_url: str, new_client: ClientFactory, mail: MailpitClient
) -> None:
    account = verified_via_api(new_client, mail, "magic")
    page = open_page(evidence, frontend_url)
    fields = {"email": account.email}
    submit_for_mail(evidence, "ask for a sign-in link", "magic-link", fields, "we sent a sign-in link")
    link = emailed_link(mail, account.email, "sign in", "magic-link/verify")
    with evidence.step("follow the emailed sign-in link"):
        page.goto(link)
        shown_or_error(page, "signed-in", "the magic link")
        assert_on_frontend(page, frontend_url, "the magic link")
        assert page.locator("#user-email").inner_text() == account.email
    assert_no_console_errors(evidence, frontend_url)


def test_browser_foreign_origin_cannot_read_the_session(
    evidence: Evidence, frontend_url: str, auth_base_url: str, new_client: ClientFactory, mail: MailpitClient
) -> None:
    account = verified_via_api(new_client, mail, "foreign")
    open_page(evidence, frontend_url)
    page = sign_in_through_form(evidence, account.email)
    session_url = f"{auth_base_url}/get-session"
    with evidence.step("the frontend reads its session (control)"):
        own = page.evaluate(FETCH_SESSION, session_url)
        assert own.get("read") and account.email in own.get("body", ""), f"the frontend's own fetch: {own}"
    with ForeignSite() as site, evidence.step("another site fetches the session with credentials"):
        foreign = evidence.context.new_page()
        evidence.page = foreign
        foreign.goto(site.url)
        answer = foreign.evaluate(FETCH_SESSION, session_url)
        assert not answer.get("read") or account.email not in answer.get("body", ""), (
            f"a page on {site.url} read the session of {account.email}: {json.dumps(answer)[:300]}"
        )
    evidence.page = page
    assert_no_console_errors(evidence, frontend_url)


def test_browser_session_cookie_is_httponly_with_samesite(
    evidence: Evidence, frontend_url: str, auth_base_url: str, new_client: ClientFactory, mail: MailpitClient
) -> None:
    account = verified_via_api(new_client, mail, "cookie")
    page = open_page(evidence, frontend_url)
    with page.expect_response(lambda r: r.url.endswith("/sign-in/email")) as signed_in:
        sign_in_through_form(evidence, account.email)
    https = auth_base_url.startswith("https://")
    with evidence.step("inspect the session cookie"):
        headers = signed_in.value.headers_array()
        set_cookies = [h["value"] for h in headers if h["name"].lower() == "set-cookie"]
        session_lines = [line for line in set_cookies if "session_token=" in line.split(";", 1)[0]]
        assert session_lines, f"sign-in set no session cookie: {set_cookies}"
        attributes = {part.strip().split("=", 1)[0].lower(): part for part in session_lines[0].split(";")[1:]}
        assert "httponly" in attributes, f"the session cookie is not HttpOnly: {session_lines[0]}"
        samesite = attributes.get("samesite", "").split("=", 1)[-1].strip().lower()
        assert samesite in ("lax", "strict"), f"the session cookie has no SameSite=Lax/Strict: {session_lines[0]}"
        if https:
            assert "secure" in attributes, f"the session cookie on https is not Secure: {session_lines[0]}"
        stored = [c for c in evidence.context.cookies() if "session_token" in c["name"]]
        assert stored, "the browser did not keep the session cookie"
        assert all(c["httpOnly"] for c in stored), f"the browser holds a script-readable session cookie: {stored}"
        readable = page.evaluate("document.cookie")
        assert "session_token" not in readable, f"the page's script reads the session cookie: {readable}"
    assert_no_console_errors(evidence, frontend_url)


def test_browser_pages_log_no_console_errors(
    evidence: Evidence, frontend_url: str, new_client: ClientFactory, mail: MailpitClient
) -> None:
    account = verified_via_api(new_client, mail, "console")
    page = open_page(evidence, frontend_url)
    sign_in_through_form(evidence, account.email)
    with evidence.step("reload signed in, sign out, reload signed out"):
        page.reload()
        page.locator("#signed-in").wait_for(state="visible")
        page.locator("#sign-out").click()
        page.locator("#signed-out").wait_for(state="visible")
        page.reload()
        wait_for_status(page, "signed out")
    with evidence.step("open the page's error landings"):
        for error in ("INVALID_TOKEN", "VERIFICATION_LINK_INVALID", "MAGIC_LINK_INVALID"):
            page.goto(f"{frontend_url}/?error={error}")
            text = wait_for_status(page, "invalid")
            assert text.endswith("."), f"?error={error} reads {text!r}, not a sentence"
    errors = evidence.errors(origin_of(frontend_url))
    assert not errors, f"the page logged {len(errors)} console error(s): {errors}"
