"""The static export: the same pages and downloads as the server, written safely."""

from __future__ import annotations

import io
import json
import re

import httpx
import polars as pl
import pytest

from healthgap.errors import InputError
from healthgap.publish._output_paths import MARKER
from healthgap.publish.web import write_site
from healthgap.publish.web._render import STATIC_CSP

# one test process builds the store, the server and the site for all web tests
pytestmark = pytest.mark.xdist_group("web")


def test_every_page_and_download_is_written(static_site, server):
    names = {p.name for p in static_site.iterdir()}
    assert {
        "index.html",
        "index.england.html",
        "area-E09000001.html",
        "compare.html",
        "indicator-smoking.html",
        "inequalities-smoking.html",
        "definitions.html",
        "downloads.html",
        "world.html",
        "commitments.html",
        MARKER,
    } <= names
    assert {p.name for p in (static_site / "static").iterdir()} == {
        "report.css",
        "web.css",
        "web.js",
        "vega.min.js",
    }
    # each page's JSON and CSV are what the server gives for the page at its defaults
    for page in ("index", "area-E09000001", "indicator-smoking"):
        ours = json.loads((static_site / "data" / f"{page}.json").read_text())
        theirs = httpx.get(f"{server}/data/{page}.json", timeout=60).json()
        assert ours == theirs, page
    table = "data/indicator-smoking--values-smoking.csv"
    served = httpx.get(f"{server}/{table}", timeout=60).content
    assert (static_site / table).read_bytes() == served
    values = pl.read_csv(static_site / "data" / "values-smoking.csv", infer_schema_length=None)
    api = httpx.get(f"{server}/api/v1/values", params={"indicator": "smoking", "format": "csv"})
    assert values.equals(pl.read_csv(io.BytesIO(api.content), infer_schema_length=None))


@pytest.mark.parametrize(
    "page",
    ["index.england", "indicator-smoking.england", "area-E09000001.england", "compare"],
)
def test_each_comparators_downloads_are_its_own(static_site, server, page):
    # a page compared with England links to England's tables, on both tools (the links
    # named the default comparator's files, so England's inequalities and commitments pages
    # downloaded the region's); both give the same bytes
    links = re.findall(
        r'class="download"[^>]* href="([^"?]+)', (static_site / f"{page}.html").read_text()
    )
    served = re.findall(
        r'class="download"[^>]* href="([^"?]+)', httpx.get(f"{server}/{page}.html", timeout=60).text
    )
    assert links == served
    assert links
    for link in links:
        assert link.startswith(f"data/{page}--")
        assert (static_site / link).read_bytes() == httpx.get(
            f"{server}/{link}", timeout=60
        ).content


def test_pages_are_the_servers_with_static_mode(static_site, server):
    ours = (static_site / "area-E09000002.html").read_text()
    theirs = httpx.get(f"{server}/area-E09000002.html", timeout=60).text
    policy = STATIC_CSP.replace("'", "&#39;")  # as Jinja escapes it
    line = f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
    assert line in ours  # a static host may send no headers: the page carries its policy
    assert "unsafe-eval" not in STATIC_CSP
    ours = ours.replace(line, "")
    assert (
        ours.replace('data-mode="static"', 'data-mode="server"').replace(
            ".</p>\n</footer>", '. <a href="api/docs">API</a>.</p>\n</footer>'
        )
        == theirs
    )


def test_never_overwrites_what_it_did_not_write(web_store, tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match=r"notes\.txt"):
        write_site(web_store["path"], other)
    assert (other / "notes.txt").read_text() == "keep me"
    a_file = tmp_path / "file.html"
    a_file.write_text("x")
    with pytest.raises(InputError, match="file"):
        write_site(web_store["path"], a_file)
    assert a_file.read_text() == "x"


def test_a_second_run_replaces_its_own_site_whole(web_app, tmp_path, monkeypatch):
    from healthgap.publish.web import site

    out = tmp_path / "site"
    # the test server holds the store read-only: write from the same read-only handle
    monkeypatch.setattr(site, "Published", lambda path, *_: _Shared(web_app.state.published))
    write_site("unused", out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(site, "_write", broken)
    with pytest.raises(RuntimeError):
        write_site("unused", out)
    # a failed run changes nothing and leaves no temporary folder
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]
    monkeypatch.undo()
    monkeypatch.setattr(site, "Published", lambda path, *_: _Shared(web_app.state.published))
    write_site("unused", out)  # its own earlier site is replaced whole
    assert (out / "index.html").stat().st_mtime_ns != before["index.html"]
    (out / "mine.txt").write_text("a user's file")
    with pytest.raises(InputError, match=r"mine\.txt"):
        write_site("unused", out)  # a site a user has added to is left alone
    assert (out / "mine.txt").read_text() == "a user's file"


class _Shared:
    """The app's Published, with close() left to the app."""

    def __init__(self, pub):
        self._pub = pub

    def __getattr__(self, name):
        return getattr(self._pub, name)

    def close(self):
        pass
