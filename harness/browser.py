"""Headless Chromium for the rehearsal's browser checks: find the system browser, launch it, keep evidence.

The browser is the machine's own Chromium (Debian's ``chromium`` package), driven by Playwright for Python with
``executable_path``; Playwright never downloads one. Without a browser the checks report "not run" with the
install command (``--harness-require-browser`` or HARNESS_REQUIRE_BROWSER=1 makes that a failure, for CI).

Each browser step leaves a screenshot; a failing step also leaves the page's console log and the network requests
it made, so a person can see what the user would have seen.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

INSTALL_COMMAND = "apt-get install -y chromium"
CHROMIUM_ENV = "HARNESS_CHROMIUM"  # an explicit browser binary
REQUIRE_ENV = "HARNESS_REQUIRE_BROWSER"  # "1": a missing browser fails the checks instead of "not run"
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags that work as root, in a container, with the network closed.
LAUNCH_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
NOT_RUN_PREFIX = "not run: "


def require_browser_default(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    return environ.get(REQUIRE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def find_chromium(environ: os._Environ[str] | dict[str, str] = os.environ) -> str | None:
    """The Chromium to drive: $HARNESS_CHROMIUM, else the usual system paths and names; None when there is none."""
    explicit = environ.get(CHROMIUM_ENV, "").strip()
    if explicit:
        return explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    for path in CANDIDATES:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_browser_reason(environ: os._Environ[str] | dict[str, str] = os.environ) -> str | None:
    """Why the browser checks cannot run here (None when they can), with what to install."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"{NOT_RUN_PREFIX}Playwright for Python is not installed (pip install playwright)"
    if find_chromium(environ) is None:
        where = f" at ${CHROMIUM_ENV}={environ[CHROMIUM_ENV]}" if environ.get(CHROMIUM_ENV) else ""
        return f"{NOT_RUN_PREFIX}no Chromium found{where} (install it: {INSTALL_COMMAND})"
    return None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "step"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Evidence:
    """What one browser check saw, step by step: screenshots always, console and network logs on failure.

    Files go to ``out_dir``; each one is appended to ``files`` as a report entry (check, step, kind, path).
    Console messages and network requests are recorded from every page of the browser context.
    """

    out_dir: Path
    check: str
    context: Any  # playwright BrowserContext
    files: list[dict[str, str]] = field(default_factory=list)
    console: list[tuple[str, str, str]] = field(default_factory=list)  # (origin, type, text)
    network: list[str] = field(default_factory=list)
    page: Any = None  # the page the screenshots show
    _step: int = 0

    def __post_init__(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.context.on("page", self._watch)
        for page in self.context.pages:
            self._watch(page)
        self.context.on("requestfinished", self._finished)
        self.context.on("requestfailed", self._failed)

    def _watch(self, page: Any) -> None:
        page.on("console", lambda message: self._console(page, message.type, message.text))
        page.on("pageerror", lambda error: self._console(page, "pageerror", str(error)))

    def _console(self, page: Any, kind: str, text: str) -> None:
        self.console.append((origin_of(page.url), kind, text))

    def _finished(self, request: Any) -> None:
        try:
            response = request.response()
            status = response.status if response is not None else "no response"
        except Exception as exc:  # the page may be gone already
            status = type(exc).__name__
        self.network.append(f"{time.strftime('%H:%M:%S')} {request.method} {request.url} -> {status}")

    def _failed(self, request: Any) -> None:
        self.network.append(f"{time.strftime('%H:%M:%S')} {request.method} {request.url} FAILED {request.failure}")

    def errors(self, origin: str) -> list[str]:
        """Console errors and uncaught exceptions of pages on ``origin``."""
        bad = ("error", "pageerror")
        return [f"{kind}: {text}" for where, kind, text in self.console if where == origin and kind in bad]

    def _write(self, step: str, kind: str, name: str, content: bytes | str | None = None) -> Path:
        path = self.out_dir / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        self.files.append({"check": self.check, "step": step, "kind": kind, "path": str(path)})
        return path

    def screenshot(self, step: str, suffix: str = "") -> None:
        if self.page is None or self.page.is_closed():
            return
        name = f"{self._step:02d}-{slug(step)}{suffix}.png"
        try:
            self._write(step, "screenshot", name, self.page.screenshot(full_page=True, timeout=10_000))
        except Exception as exc:  # a screenshot must never hide the step's own outcome
            self._write(step, "screenshot-failed", f"{name}.txt", f"no screenshot: {exc}\n")

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """One browser step: a screenshot after it; on failure also its console log and network requests."""
        self._step += 1
        console_from, network_from = len(self.console), len(self.network)
        try:
            yield
        except BaseException as exc:
            self.screenshot(name, "-FAILED")
            base = f"{self._step:02d}-{slug(name)}-FAILED"
            console = "".join(f"[{kind}] {where} {text}\n" for where, kind, text in self.console[console_from:])
            self._write(name, "console", f"{base}.console.log", console or "(no console messages)\n")
            network = "".join(f"{line}\n" for line in self.network[network_from:])
            self._write(name, "network", f"{base}.network.log", network or "(no requests)\n")
            page_url = self.page.url if self.page is not None and not self.page.is_closed() else "(no page)"
            self._write(name, "error", f"{base}.error.txt", f"{type(exc).__name__}: {exc}\npage: {page_url}\n")
            raise
        self.screenshot(name)


class ForeignSite:
    """A page on an unrelated origin (another loopback address, so another site), for cross-origin checks."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        body = b"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Another site</title>"
        body += b"<link rel='icon' href='data:,'></head><body><h1>Another site</h1></body></html>"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="foreign-site", daemon=True)

    def __enter__(self) -> ForeignSite:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
