"""User journeys and the accessibility audit in Chromium, on ``serve`` and on the static site.

Each journey runs on both: the server (FastAPI on uvicorn) and the static export on a plain
HTTP server. Debian's chromium through playwright; axe-core from axe-playwright-python.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import polars as pl
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web")]

AREA, OTHER_AREA = "E09000001", "E09000002"
PAGES = (
    "index.html",
    f"area-{AREA}.html",
    "indicator-smoking.html",
    "inequalities.html",
    "inequalities-life_expectancy.html",
    "commitments.html",
    "world.html",
    "compare.html",
    "definitions.html",
    "downloads.html",
    "index.england.html",
    "api/docs",
)


@pytest.fixture(params=["serve", "static"])
def base(request) -> str:
    return request.getfixturevalue("server" if request.param == "serve" else "static_server")


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    _charts_drawn(page)
    return page, errors, requests


def _charts_drawn(page):
    # locator assertions, not wait_for_function("..."): a string predicate is evaluated with
    # eval() when polled, which the pages' Content-Security-Policy rightly forbids
    expect(page.locator("div.vis:not(:has(svg))")).to_have_count(0, timeout=60_000)
    # a static page redraws what its filters choose from its data files
    expect(page.locator("main[aria-busy], figure[aria-busy]")).to_have_count(0, timeout=60_000)


def _visible_rows(page, table):
    return page.locator(f"table[data-table='{table}'] tbody tr:not([hidden])")


def test_choose_an_area_updates_spine_chart_and_table(browser, base):
    page, errors, _ = _open(browser, f"{base}/area-{AREA}.html")
    assert page.locator(f"#spine-{AREA.lower()}").count() == 1
    first_caption = page.locator("table.data caption").first.inner_text()
    page.select_option("#f-area", OTHER_AREA)
    page.wait_for_url(f"**/area-{OTHER_AREA}.html*")
    _charts_drawn(page)
    assert page.locator(f"#spine-{OTHER_AREA.lower()} svg").count() == 1
    assert (
        page.locator("h1").inner_text() == "City of Westminster"
        or page.locator("h1").inner_text() != "City of London"
    )
    assert page.locator("table.data caption").first.inner_text() != first_caption
    assert _visible_rows(page, f"profile-{OTHER_AREA.lower()}").count() > 0
    page.go_back()
    page.wait_for_url(f"**/area-{AREA}.html*")
    assert page.locator(f"#spine-{AREA.lower()}").count() == 1
    assert errors == []
    page.close()


def test_choose_an_indicator_shows_its_map_and_bars(browser, base):
    page, errors, _ = _open(browser, f"{base}/indicator-smoking.html")
    page.select_option("#f-indicator", "life_expectancy")
    page.wait_for_url("**/indicator-life_expectancy.html*")
    _charts_drawn(page)
    for chart in ("map-life_expectancy", "bars-life_expectancy", "trend-life_expectancy"):
        assert page.locator(f"#{chart} div.vis svg").count() == 1, chart
    # the map draws the stored boundaries: one path per borough
    marks = page.locator("#map-life_expectancy svg path[role='graphics-symbol']")
    assert marks.count() >= 6
    assert errors == []
    page.close()


def test_downloaded_csv_equals_the_api_rows(browser, base, server):
    page, errors, _ = _open(browser, f"{base}/indicator-smoking.html")
    # both tools redraw the charts for the new filters and download the rows shown
    page.select_option("#f-sex", "Persons")
    page.wait_for_url("**sex=Persons*")
    _charts_drawn(page)
    page.select_option("#f-period", "2023")
    page.wait_for_url("**period=2023*")
    _charts_drawn(page)
    with page.expect_download() as info:
        page.locator("a.download").first.click()
    downloaded = pl.read_csv(Path(info.value.path()), infer_schema_length=None)
    api = httpx.get(
        f"{server}/api/v1/comparisons",
        params={"indicator": "smoking", "category_type": "", "format": "csv"},
    )
    rows = pl.read_csv(io.BytesIO(api.content), infer_schema_length=None)
    rows = rows.filter(pl.col("area_code").is_in(downloaded["area_code"].unique().implode()))
    rows = rows.filter((pl.col("sex") == "Persons") & (pl.col("period").cast(pl.String) == "2023"))
    assert downloaded.height == rows.height == _visible_rows(page, "values-smoking").count()
    keys = ["area_code", "sex", "period"]
    joined = downloaded.with_columns(pl.col("period").cast(pl.String)).join(
        rows.with_columns(pl.col("period").cast(pl.String)), on=keys, suffix="_api"
    )
    assert joined.height == downloaded.height
    for column in ("value", "lower95_0cl", "upper95_0cl", "count", "compared_region"):
        assert joined[column].to_list() == joined[f"{column}_api"].to_list(), column
    assert errors == []
    page.close()


def test_back_button_restores_the_filtered_view(browser, base):
    page, errors, _ = _open(browser, f"{base}/index.html")
    everyone = _visible_rows(page, "overview").count()
    page.select_option("#f-sex", "Male")
    page.wait_for_url("**sex=Male*")
    _charts_drawn(page)
    males = _visible_rows(page, "overview")
    assert 0 < males.count() < everyone
    assert set(males.evaluate_all("rows => rows.map(r => r.dataset.fSex)")) == {"Male"}
    page.go_back()
    page.wait_for_url(lambda url: "sex=Male" not in url)
    shown = "table[data-table='overview'] tbody tr:not([hidden])"
    expect(page.locator(shown)).to_have_count(everyone)
    assert page.locator("#f-sex").input_value() == ""
    page.go_forward()
    page.wait_for_url(lambda url: "sex=Male" in url)
    expect(page.locator("#f-sex")).to_have_value("Male")
    assert errors == []
    page.close()


def test_compare_two_areas(browser, base):
    page, errors, _ = _open(browser, f"{base}/compare.html?a={OTHER_AREA}&b={AREA}")
    expect(page.locator("table[data-table=compare] caption")).to_have_text(
        re.compile(r"^Barking and Dagenham and City of London")
    )
    assert _visible_rows(page, "compare").count() > 0
    assert errors == []
    page.close()


AUDITED = [("serve", name) for name in PAGES] + [
    # the static site's pages are the same HTML; these differ (script-made tables, charts
    # redrawn for the filters of the URL)
    ("static", "index.html"),
    ("static", f"compare.html?a={AREA}&b={OTHER_AREA}"),
    ("static", "indicator-life_expectancy.html?sex=Female&period=2019"),
]


@pytest.mark.parametrize(("where", "name"), AUDITED)
def test_no_serious_or_critical_axe_violations(request, browser, where, name):
    axe = pytest.importorskip("axe_playwright_python")
    base = request.getfixturevalue("server" if where == "serve" else "static_server")
    page, errors, requests = _open(browser, f"{base}/{name}")
    # evaluated through the DevTools protocol: the pages' CSP rightly refuses inline script
    page.evaluate((Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], v["nodes"][0]["html"][:120])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
    assert errors == []
    assert all(u.startswith(base) for u in requests), "the page fetched from elsewhere"
    page.close()


def test_phone_width_and_keyboard(browser, server):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{server}/area-{AREA}.html")
    _charts_drawn(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1  # wide tables and charts scroll inside their own boxes
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    reached = []
    for _ in range(40):  # every control is reachable with Tab, in reading order
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert "f-area" in reached
    assert "f-comparator" in reached
    assert reached.index("f-area") < reached.index("f-comparator")
    page.focus("nav a[href='index.html']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/index.html")
    page.close()
