"""axe-core audit of the report in Chromium (Debian's /usr/bin/chromium), served locally."""

import functools
import http.server
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = (
    "index.html",
    "boroughs.html",
    "borough-e09000002.html",
    "borough-e09000006.html",
    "indicator-life-expectancy.html",
    "indicator-smoking.html",
    "inequality.html",
    "commitments.html",
    "methods.html",
    "downloads.html",
)


@pytest.fixture(scope="module")
def served(small_report):
    """The small report on a localhost HTTP server (no network beyond it)."""
    _, out = small_report
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (installed by .ci/run)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _open(browser, url):
    page = browser.new_page()
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_function(
        "document.querySelectorAll('div.vis svg').length == "
        "document.querySelectorAll('div.vis').length",
        timeout=60_000,
    )
    return page, errors, requests


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_axe_violations(browser, served, name):
    axe = pytest.importorskip("axe_playwright_python")
    page, errors, requests = _open(browser, f"{served}/{name}")
    page.add_script_tag(path=str(Path(axe.__file__).parent / "axe.min.js"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], v["nodes"][0]["html"][:120])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
    assert errors == []
    assert all(u.startswith(served) for u in requests), "the report fetched from elsewhere"
    page.close()


def test_charts_draw_offline_with_tooltips_and_keyboard_skip_link(browser, served):
    page, errors, _ = _open(browser, f"{served}/indicator-smoking.html")
    assert (
        page.locator("div.vis svg").count()
        == page.locator("script[type='application/json']").count()
        >= 4
    )
    # the first Tab reaches the skip link, which moves focus to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    # a data table opens from the keyboard
    summary = page.locator("details summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details").first.get_attribute("open") is not None
    # hovering a mark shows a tooltip (vega-tooltip)
    mark = page.locator(
        "div.vis svg path[role='graphics-symbol'], div.vis svg path.mark-symbol"
    ).first
    mark.hover(force=True)
    page.wait_for_selector("#vg-tooltip-element.visible", timeout=10_000)
    assert errors == []
    page.close()
