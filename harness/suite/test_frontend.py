"""The deployed frontend's server: the page's own files, nothing else from its directory."""

from __future__ import annotations

import httpx
import pytest

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
