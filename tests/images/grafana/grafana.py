"""The grafana stand-in image's server. This is NOT Grafana: no dashboards, data sources or UI.

It serves what the compose stack and the harness rely on from grafana/grafana: ``GET /api/health`` (the
healthcheck), and the admin login of GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD: ``POST /login``
(JSON ``user``/``password``) and HTTP basic auth on ``GET /api/user``, 401 for anything else. The version it
reports is the tag it stands in for, marked as a stand-in. Nothing is sent anywhere (no analytics, no
update checks). Listens on 0.0.0.0:3000 inside the container; compose publishes it on 127.0.0.1.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "13.2.0"
PORT = 3000


def admin() -> tuple[str, str]:
    return os.environ.get("GF_SECURITY_ADMIN_USER", "admin"), os.environ.get("GF_SECURITY_ADMIN_PASSWORD", "admin")


def valid(user: str, password: str) -> bool:
    want_user, want_password = admin()
    return hmac.compare_digest(user, want_user) and hmac.compare_digest(password, want_password)


class Handler(BaseHTTPRequestHandler):
    server_version = "grafana-stand-in"

    def reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/api/health":
            self.reply(200, {"database": "ok", "version": VERSION, "commit": "stand-in"})
        elif self.path == "/api/user" and self.basic_auth_ok():
            self.reply(200, {"login": admin()[0], "isGrafanaAdmin": True})
        else:
            self.reply(401, {"message": "Unauthorized"})

    def do_POST(self) -> None:
        if self.path != "/login":
            self.reply(404, {"message": "Not found"})
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        except ValueError:
            body = {}
        if valid(str(body.get("user", "")), str(body.get("password", ""))):
            self.reply(200, {"message": "Logged in"})
        else:
            self.reply(401, {"message": "Invalid username or password"})

    def basic_auth_ok(self) -> bool:
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        user, _, password = base64.b64decode(value).decode(errors="replace").partition(":")
        return valid(user, password)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # no per-request access log


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()  # noqa: S104 - container side
