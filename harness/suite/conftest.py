"""Fixtures over the deployed stack: HTTP clients, the mailbox, the backend's secrets, verified users, an admin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness import stack
from harness.actions import promote_admin, sign_up_verified
from harness.client import Account, AuthClient, unique_email
from harness.deploy.context import Context
from harness.project import Project
from harness.services.mail.client import MailpitClient
from harness.signals.runner import reports_the_phase
from harness.suite.flows import ClientFactory


@pytest.fixture(scope="session")
def running(pytestconfig: pytest.Config) -> stack.Running:
    """The stack the plugin started or loaded; the suite fails without one."""
    if not (pytestconfig.getoption("--harness-provider") or pytestconfig.getoption("--harness-running")):
        raise pytest.UsageError("the rehearsal suite needs --harness-provider P or --harness-running")
    project = Project.load(Path(pytestconfig.getoption("--harness-project")))
    try:
        return stack.load(project)
    except stack.StackError as exc:
        pytest.fail(f"no stack to check: {exc}", pytrace=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fault phase's checks last: the phase runs on a thread beside the other checks (harness.signals.runner)
    and its checks wait for its outcome, which by then is there (a stable sort: the same order on every worker)."""
    items.sort(key=reports_the_phase)


@pytest.fixture(scope="session")
def deployed(running: stack.Running) -> stack.Running:
    """The stack after a successful deployment; checks fail (not skip) when the deployment did not succeed."""
    failed = running.deployment.failed_steps
    if failed:
        pytest.fail(f"deployment failed at {failed[0].name}: {failed[0].detail}", pytrace=False)
    if not running.deployment.backend_url:
        pytest.fail("deployment failed at deploy: no deployment recorded", pytrace=False)
    return running


@pytest.fixture(scope="session")
def ctx(deployed: stack.Running) -> Context:
    return deployed.context()


@pytest.fixture(scope="session")
def auth_base_url(deployed: stack.Running, pytestconfig: pytest.Config) -> str:
    target = pytestconfig.getoption("--harness-target")
    return (
        f"{target.rstrip('/')}{deployed.project.auth_path}" if target else deployed.deployment.deployed().auth_base_url
    )


@pytest.fixture(scope="session")
def backend_url(deployed: stack.Running, pytestconfig: pytest.Config) -> str:
    """The backend under check: the deployed one, or ``--harness-target`` (e.g. a canary or a negative control)."""
    target = pytestconfig.getoption("--harness-target")
    return target.rstrip("/") if target else deployed.deployment.deployed().backend_url


@pytest.fixture(scope="session")
def frontend_url(deployed: stack.Running) -> str:
    return deployed.deployment.deployed().frontend_url


@pytest.fixture(scope="session")
def backend_secrets(ctx: Context) -> dict[str, str]:
    return ctx.vault.read()


@pytest.fixture(scope="session")
def mail(deployed: stack.Running) -> MailpitClient:
    return MailpitClient(deployed.handle.endpoints.mailpit_api_url)


@pytest.fixture
def new_client(auth_base_url: str, frontend_url: str) -> Iterator[ClientFactory]:
    """Factory for AuthClients from the frontend's origin; closes them after the test."""
    clients: list[AuthClient] = []

    def factory(**kwargs: object) -> AuthClient:
        client = AuthClient(auth_base_url, frontend_url, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def verified_account(new_client: ClientFactory, mail: MailpitClient) -> Callable[..., Account]:
    """Factory: a fresh user whose address is verified through the emailed link, signed up from its own client."""

    def make(label: str = "user", domain: str = "example.com") -> Account:
        return sign_up_verified(new_client(), mail, Account(unique_email(label, domain)))

    return make


@pytest.fixture(scope="session")
def admin_account(auth_base_url: str, frontend_url: str, mail: MailpitClient, ctx: Context) -> Account:
    """An instance admin, promoted with the project's own bootstrap command; one per worker (promotion costs a
    process start)."""
    with AuthClient(auth_base_url, frontend_url) as setup:
        account = sign_up_verified(setup, mail, Account(unique_email("admin")))
    promote_admin(ctx, account.email)
    return account


@pytest.fixture(scope="session")
def admin_client(auth_base_url: str, frontend_url: str, admin_account: Account) -> Iterator[AuthClient]:
    """A signed-in admin shared by the checks that only act as an admin (checks that may end the session sign
    the admin in on their own client)."""
    client = AuthClient(auth_base_url, frontend_url)
    response = client.sign_in(admin_account)
    assert response.status_code == 200, f"admin sign-in failed: {response.status_code} {response.text}"
    yield client
    client.close()


@pytest.fixture
def signed_in(new_client: ClientFactory, verified_account: Callable[[str], Account]) -> tuple[AuthClient, Account]:
    account = verified_account("member")
    client = new_client()
    response = client.sign_in(account)
    assert response.status_code == 200, f"sign-in failed: {response.status_code} {response.text}"
    return client, account
