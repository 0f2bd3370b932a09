"""Real browser tests: Playwright drives Debian's Chromium against the portal served on 127.0.0.1.

One browser and one live server per session. The server is the real app (real CSRF, migrations applied to a SQLite
file in a temporary folder), served by werkzeug in a daemon thread. Every test in this folder is marked `browser`;
without /usr/bin/chromium the whole folder is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
TIMEOUT_MS = 10_000
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: a real browser test (Playwright driving /usr/bin/chromium)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: touch only the ones in this folder.
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS]}


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Relative URLs (page.goto("/accedi")) go to the live server.

    This also replaces pytest-playwright's own fallback `base_url` fixture, a method of a plugin class that pytest 9
    warns about (and warnings are errors here).
    """
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """Every context (JS on or off) accepts downloads; the base URL comes from `base_url`."""
    return {**browser_context_args, "accept_downloads": True}


class _QuietHandler(WSGIRequestHandler):
    """No line per request on stderr (errors still reach the app's logger)."""

    def log_request(self, code="-", size="-") -> None:
        pass


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app the live server serves (use `with live_app.app_context():` to prepare data with the services)."""
    from tests.support.sandbox import make_sandbox_app

    app = make_sandbox_app(tmp_path_factory.mktemp("live"))
    yield app
    from patti_web.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve `live_app` on a free port of 127.0.0.1 in a daemon thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page (JavaScript on), failing after 10 s instead of 30 s."""
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def nojs_page(new_context) -> Iterator[Page]:
    """A page with JavaScript off (downloads accepted, base URL set: see browser_context_args)."""
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()
