"""The same journeys on ``serve`` and on the static site show the same thing, filters and all.

Each journey chooses filters other than the defaults (or opens a shared link with them), then
goes back. After every step both tools are read the same way in Chromium: the URL's state,
the filters, the visible rows of every table, every chart (its title, text alternative,
Vega-Lite spec and the SVG drawn) and every download (the file's name and bytes). The server
builds each view from its query string; the static site must give the same from the files
it wrote beside its pages.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web")]

AREA, OTHER_AREA, THIRD_AREA = "E09000001", "E09000002", "E09000004"

#: (first page, steps): a step chooses a filter ("#f-sex", "Female") or opens a page ("goto")
JOURNEYS = {
    "overview: domain, sex and period": (
        "index.html",
        [
            ("#f-sex", "Female"),
            ("#f-period", "2019"),
            ("#f-comparator", "england"),  # another page, in the same state
            ("#f-domain", "overarching"),
        ],
    ),
    "overview compared with England": (
        "index.england.html",
        [("#f-period", "2021"), ("#f-sex", "Male")],
    ),
    "indicator: sex and period": (
        "indicator-life_expectancy.html",
        # "All" is the default sex on an indicator page (the server reads an empty value so)
        [("#f-sex", "Female"), ("#f-sex", ""), ("#f-sex", "Female"), ("#f-period", "2019")],
    ),
    "indicator: a shared link with a sex and period": (
        "indicator-life_expectancy.html",
        [("goto", "indicator-life_expectancy.html?sex=Female&period=2018")],
    ),
    "indicator compared with England: period": (
        "indicator-smoking.england.html",
        [("#f-period", "2020")],
    ),
    "area profile: a shared link with a sex": (
        f"area-{AREA}.html",
        [("goto", f"area-{AREA}.html?sex=Male")],
    ),
    "inequalities: a shared link with a sex": (
        "inequalities-life_expectancy.html",
        [("goto", "inequalities-life_expectancy.html?sex=Female")],
    ),
    "compare: two other areas": (
        "compare.html",
        [("#f-a", THIRD_AREA), ("#f-b", AREA)],
    ),
    "compare with England: a shared link": (
        "compare.england.html",
        [("goto", f"compare.england.html?a={OTHER_AREA}&b={THIRD_AREA}")],
    ),
}


def _ready(page) -> None:
    # locator assertions only: the pages' CSP forbids the eval() of a string predicate
    expect(page.locator("main[aria-busy], figure[aria-busy]")).to_have_count(0, timeout=60_000)
    expect(page.locator("div.vis:not(:has(svg))")).to_have_count(0, timeout=60_000)


def _snapshot(page) -> dict:
    """What the page shows: state, filters, rows, charts and downloads."""
    query = sorted(parse_qsl(urlsplit(page.url).query))
    selects = {
        s.get_attribute("id"): (
            s.input_value(),
            s.locator("option").evaluate_all("os => os.map(o => o.value + '=' + o.text)"),
        )
        for s in page.locator("form.filters select").all()
    }
    tables = {}
    for table in page.locator("table.data").all():
        rows = table.locator("tbody tr:not([hidden])")
        tables[table.get_attribute("data-table")] = {
            "caption": table.locator("caption").inner_text(),
            "header": table.locator("thead th").all_inner_texts(),
            "rows": rows.evaluate_all(
                "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent + '|' + "
                "c.className + '|' + (c.querySelector('a') ? c.querySelector('a')"
                ".getAttribute('href') : '')))"
            ),
        }
    charts = {}
    for figure in page.locator("figure.chart").all():
        spec_id = figure.locator("div.vis").get_attribute("data-spec")
        charts[figure.get_attribute("id")] = {
            "title": figure.locator("figcaption").inner_text(),
            "alt": figure.locator("p.alt").inner_text(),
            "spec": json.loads(page.locator(f"script[id='{spec_id}']").text_content()),
            "drawn": figure.locator("div.vis svg").first.text_content(),
        }
    downloads = {}
    for link in page.locator("a.download").all():
        with page.expect_download() as info:
            link.click()
        download = info.value
        downloads[link.get_attribute("data-table")] = (
            download.suggested_filename,
            Path(download.path()).read_bytes(),
        )
    return {
        "query": query,
        "title": page.locator("h1").inner_text(),
        "summary": page.locator("p.summary").inner_text(),
        "selects": selects,
        "tables": tables,
        "charts": charts,
        "downloads": downloads,
    }


def _walk(browser, base: str, start: str, steps: list[tuple[str, str]]) -> list[dict]:
    """Snapshots: the first page, after each step, and after the back button."""
    page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/{start}")
    _ready(page)
    shots, urls = [_snapshot(page)], [page.url]
    for target, value in steps:
        if target == "goto":
            page.goto(f"{base}/{value}")
        elif target == "#f-comparator":
            page.select_option(target, value)
            page.wait_for_url(lambda url, v=value: urlsplit(url).path.endswith(f".{v}.html"))
        else:
            name = target.removeprefix("#f-")
            page.select_option(target, value)
            page.wait_for_url(lambda url, n=name, v=value: _chosen(url, n, v))
        _ready(page)
        shots.append(_snapshot(page))
        urls.append(page.url)
    page.go_back()
    page.wait_for_url(urls[-2])
    _ready(page)
    shots.append(_snapshot(page))
    page.close()
    assert errors == []
    return shots


def _chosen(url: str, name: str, value: str) -> bool:
    """Whether the URL holds the value chosen (an empty value is left out of it)."""
    query = dict(parse_qsl(urlsplit(url).query))
    return query.get(name) == value if value else name not in query


@pytest.mark.parametrize("journey", list(JOURNEYS))
def test_the_static_site_shows_what_the_server_shows(browser, server, static_server, journey):
    start, steps = JOURNEYS[journey]
    served = _walk(browser, server, start, steps)
    static = _walk(browser, static_server, start, steps)
    for step, (ours, theirs) in enumerate(zip(static, served, strict=True)):
        for part in theirs:
            assert ours[part] == theirs[part], f"{journey}, step {step}: {part} differs"
    # the filters chosen change what is shown and downloaded, and the back button restores
    # the view before the last step
    assert served[-2]["downloads"] != served[0]["downloads"]
    assert static[-1] == static[-3]
    assert served[-1] == served[-3]


@pytest.mark.parametrize(
    "start", ["index.html", "indicator-life_expectancy.html", f"area-{AREA}.html", "compare.html"]
)
def test_without_script_the_static_site_shows_the_default_view(
    browser, server, static_server, start
):
    shown = {}
    for where, base in (("serve", server), ("static", static_server)):
        context = browser.new_context(java_script_enabled=False, accept_downloads=True)
        page = context.new_page()
        page.goto(f"{base}/{start}")
        snapshot = {
            "tables": {
                t.get_attribute("data-table"): t.locator("tbody tr:not([hidden])").all_inner_texts()
                for t in page.locator("table.data").all()
            },
            "charts": page.locator("figure.chart p.alt").all_inner_texts(),
            "downloads": [],
        }
        for link in page.locator("a.download").all():
            with page.expect_download() as info:
                link.click()
            snapshot["downloads"].append(Path(info.value.path()).read_bytes())
        shown[where] = snapshot
        context.close()
    assert shown["static"] == shown["serve"]
    assert shown["static"]["tables"]
    assert shown["static"]["downloads"]
