"""Fixtures of the web tests: one store, one server (uvicorn in a thread) and one static site
per test process, and one browser per session."""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import threading
import time
from pathlib import Path

import pytest


def _london() -> dict:
    """The London application's strategy and world cities: the test store is a London."""
    from healthgap import london

    return {"strategy": london.strategy(), "world_cities": london.world_cities()}


_spec = importlib.util.spec_from_file_location(
    "web_fixture", Path(__file__).with_name("_fixture.py")
)
web_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(web_fixture)

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def web_store(tmp_path_factory) -> dict[str, str]:
    """Path and vintage ids of the web tests' store."""
    return web_fixture.make_web_store(tmp_path_factory.mktemp("web-store") / "web.duckdb")


@pytest.fixture(scope="session")
def web_app(web_store):
    """The FastAPI app on the store (opened read-only)."""
    from healthgap.publish.web import create_app

    app = create_app(web_store["path"], **_london())
    yield app
    app.state.published.close()


@contextlib.contextmanager
def serving(app):
    """Serve ``app`` with uvicorn on a free localhost port (a thread); yield its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.05)
    port = instance.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(web_app) -> str:
    """The app served by uvicorn on a free localhost port; its base URL."""
    with serving(web_app) as url:
        yield url


@pytest.fixture(scope="session")
def static_site(web_store, tmp_path_factory) -> Path:
    """The static export of the store."""
    from healthgap.publish.web import write_site

    out = tmp_path_factory.mktemp("web-site") / "site"
    write_site(web_store["path"], out, **_london())
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def static_server(static_site) -> str:
    """The static site on a plain localhost HTTP server (any static host would do)."""
    handler = functools.partial(_Quiet, directory=str(static_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through playwright (skipped with the reason when absent)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (installed by .ci/run)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def serve_app():
    """The ``serving`` context manager, for tests that serve an app of their own."""
    return serving
