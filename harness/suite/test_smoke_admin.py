"""Step 6, admin rejection: anonymous and non-admin callers are refused on admin routes; an admin is accepted."""

from __future__ import annotations

from harness.client import Account, AuthClient

from .flows import ClientFactory

ADMIN_ROUTE = "/admin/list-users"


def test_admin_route_refuses_anonymous(new_client: ClientFactory) -> None:
    response = new_client().post(ADMIN_ROUTE, {})
    assert response.status_code == 401, f"anonymous {ADMIN_ROUTE} answered {response.status_code}"


def test_admin_route_refuses_non_admin(signed_in: tuple[AuthClient, Account]) -> None:
    client, _ = signed_in
    response = client.post(ADMIN_ROUTE, {})
    assert response.status_code == 403, f"non-admin {ADMIN_ROUTE} answered {response.status_code}"


def test_admin_route_accepts_admin(admin_client: AuthClient) -> None:
    response = admin_client.post(ADMIN_ROUTE, {})
    assert response.status_code == 200, f"admin {ADMIN_ROUTE} answered {response.status_code}: {response.text}"
    assert "users" in response.json()
