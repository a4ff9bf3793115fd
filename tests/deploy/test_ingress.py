"""The ingress in front of a backend container, between real processes: the caller's own address is the last
X-Forwarded-For hop whatever the caller wrote, and the answer passes through unchanged (status, every Set-Cookie,
no redirect followed)."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.ports import LOCALHOST, free_port
from harness.process import ManagedProcess
from harness.readiness import HttpStatus

UPSTREAM = """
    import http.server, json, sys

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            seen = {"peer": self.client_address[0], "xff": self.headers.get_all("x-forwarded-for"),
                    "host": self.headers["host"], "path": self.path, "body": body.decode(),
                    "cookie": self.headers.get("cookie")}
            payload = json.dumps(seen).encode()
            self.send_response(303 if self.path.startswith("/redirect") else 200)
            self.send_header("Location", "/elsewhere")
            self.send_header("Set-Cookie", "a=1; HttpOnly")
            self.send_header("Set-Cookie", "b=2; HttpOnly")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
"""


@pytest.fixture(scope="module")
def ingress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("ingress")
    script = tmp / "upstream.py"
    script.write_text(textwrap.dedent(UPSTREAM))
    upstream_port, port = free_port(), free_port()
    upstream = ManagedProcess(
        "upstream",
        [sys.executable, str(script), str(upstream_port)],
        log_path=tmp / "upstream.log",
        probes=[HttpStatus(f"http://{LOCALHOST}:{upstream_port}/")],
    )
    argv = [sys.executable, "-m", "harness.deploy.ingress", "--port", str(port)]
    proxy = ManagedProcess(
        "ingress",
        [*argv, "--upstream", f"http://{LOCALHOST}:{upstream_port}"],
        log_path=tmp / "ingress.log",
        probes=[HttpStatus(f"http://{LOCALHOST}:{port}/")],
    )
    upstream.start(timeout=10)
    try:
        proxy.start(timeout=20)
        try:
            yield f"http://{LOCALHOST}:{port}"
        finally:
            proxy.stop()
    finally:
        upstream.stop()


def test_the_callers_address_is_the_last_hop_whatever_it_wrote(ingress: str) -> None:
    transport = httpx.HTTPTransport(local_address="127.0.0.7")
    with httpx.Client(transport=transport) as client:
        spoofed = client.post(f"{ingress}/in?x=1", headers={"X-Forwarded-For": "203.0.113.9"}, content=b"hello")
        plain = client.get(f"{ingress}/in")
    seen = json.loads(spoofed.text)
    assert seen["xff"] == ["203.0.113.9, 127.0.0.7"]  # the app takes the right-most untrusted hop: the caller
    assert (seen["path"], seen["body"], seen["host"]) == ("/in?x=1", "hello", ingress.removeprefix("http://"))
    assert json.loads(plain.text)["xff"] == ["127.0.0.7"]
    assert json.loads(plain.text)["peer"] == LOCALHOST  # the proxy's own address: what TRUSTED_PROXIES names


def test_the_answer_passes_through_unchanged_and_no_cookie_is_kept(ingress: str) -> None:
    response = httpx.get(f"{ingress}/redirect", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/elsewhere"
    assert response.headers.get_list("set-cookie") == ["a=1; HttpOnly", "b=2; HttpOnly"]
    # Another caller's request carries no cookie the proxy saw set: a shared jar would sign callers in as others.
    assert json.loads(httpx.get(f"{ingress}/in").text)["cookie"] is None
    assert "server" not in response.headers or "uvicorn" not in response.headers["server"]


def test_a_backend_that_does_not_answer_is_a_502(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "harness.deploy.ingress", "--port", str(port)]
    proxy = ManagedProcess(
        "ingress",
        [*argv, "--upstream", f"http://{LOCALHOST}:{free_port()}"],
        log_path=tmp_path / "ingress.log",
        probes=[HttpStatus(f"http://{LOCALHOST}:{port}/", statuses=(502,))],
    )
    proxy.start(timeout=20)
    try:
        response = httpx.get(f"http://{LOCALHOST}:{port}/")
        assert response.status_code == 502 and "did not answer" in response.text
    finally:
        proxy.stop()
