import csv
import importlib.util
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from healthgap.errors import InputError, StoreError
from healthgap.london import report_options
from healthgap.london.synthetic.geography import BOROUGHS
from healthgap.publish.report import ReportResult, write_report
from healthgap.publish.report.builder import NAV
from healthgap.store import Store

_spec = importlib.util.spec_from_file_location(
    "report_store", Path(__file__).with_name("_store.py")
)
report_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_store)
SMALL = report_store.SMALL


class _Page(HTMLParser):
    """Ids, links, headings, scripts and images of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.specs: dict[str, dict] = {}
        self._heading: str | None = None
        self._script: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag in ("img", "script") and a.get("src"):
            self.srcs.append(a["src"])
        if tag in ("link",) and a.get("href"):
            self.srcs.append(a["href"])
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = tag, []
        if tag == "script" and a.get("type") == "application/json":
            self._script, self._text = a["id"], []

    def handle_data(self, data):
        if self._heading or self._script:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._heading == tag:
            self.headings.append((tag, "".join(self._text).strip()))
            self._heading = None
        if tag == "script" and self._script:
            self.specs[self._script] = json.loads("".join(self._text))
            self._script = None


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_result_describes_what_was_written(small_report):
    result, out = small_report
    assert isinstance(result, ReportResult)
    assert result.index_html == out / "index.html"
    assert result.index_html.is_file()
    assert result.pdf_path is None
    assert result.pdf_pages is None
    assert result.synthetic
    html_pages = sorted(out.glob("*.html"))
    assert result.n_pages == len(html_pages)
    assert result.n_downloads == len(list((out / "downloads").iterdir()))
    specs = sum(len(parse(p).specs) for p in html_pages)
    assert result.n_charts == specs > 0


def test_every_page_and_section_exists(small_report):
    _, out = small_report
    n = SMALL["n_boroughs"]
    expected = {
        "index",
        "boroughs",
        "indicators",
        "inequality",
        "commitments",
        "methods",
        "downloads",
    }
    expected |= {f"borough-{code.lower()}" for code, *_ in BOROUGHS[:n]}
    expected |= {f"indicator-{i.replace('_', '-')}" for i in SMALL["indicators"]}
    assert {p.stem for p in out.glob("*.html")} == expected
    headings = {p.stem: [h for _, h in parse(p).headings] for p in out.glob("*.html")}
    assert {
        "Headline gaps",
        "Every indicator in every area",
        "Area profiles",
        "Indicators",
    } <= set(headings["index"])
    assert {
        "How the area compares",
        "Deprivation gradient",
        "Life expectancy gap by age and cause",
    } <= set(headings["borough-e09000002"])
    # the fixture's sixth borough has no gap decomposition: no empty chart for it
    assert "Life expectancy gap by age and cause" not in headings["borough-e09000006"]
    le = headings["indicator-life-expectancy"]
    assert "Life expectancy at birth (Male), 2023" in le
    assert "Life expectancy at birth (Female), 2023" in le
    assert {"Inequality by deprivation in London", "Definition"} <= set(le)
    assert {"London, 2021 - 23", "The gap in each borough"} <= set(headings["inequality"])
    gaps = pl.read_csv(out / "downloads" / "inequality-boroughs.csv")
    names = sorted(name for _, name, *_ in BOROUGHS[:n])
    assert gaps["Area"].unique(maintain_order=True).to_list() == ["London", *names]
    assert gaps.filter(pl.col("Area") == "Bromley")["Gap (years)"].is_null().all()
    assert gaps.filter(pl.col("Area") != "Bromley")["Gap (years)"].is_not_null().all()
    assert {
        "Progress at a glance",
        "School Superzones",
        "An anti-racist health hub",
        "London and other world cities",
    } <= set(headings["commitments"])
    assert {"How values are compared", "Indicator definitions", "Life expectancy at birth"} <= set(
        headings["methods"]
    )
    for stem, hs in headings.items():
        assert sum(1 for h in hs if h) >= 2, stem
    # one h1 per page, the page title
    for p in out.glob("*.html"):
        assert [t for t, _ in parse(p).headings].count("h1") == 1, p.name


def test_every_chart_has_a_text_alternative_a_table_and_downloads(small_report):
    _, out = small_report
    html = (out / "indicator-smoking.html").read_text(encoding="utf-8")
    page = parse(out / "indicator-smoking.html")
    assert page.specs
    for spec_id, spec in page.specs.items():
        chart_id = spec_id.removeprefix("spec-")
        assert len(spec["description"]) > 40
        assert spec["description"] in html.replace("&#39;", "'")
        assert (out / "downloads" / f"{chart_id}.csv").is_file()
        assert f'href="downloads/{chart_id}.csv"' in html
        assert "Data table: " in html
    kinds = {s.removeprefix("spec-").rsplit("-", 1)[-1] for s in page.specs}
    assert kinds == {"map", "bars", "trend", "deciles"}


def test_links_and_assets_resolve(small_report):
    _, out = small_report
    pages = {p.name: parse(p) for p in out.glob("*.html")}
    for name, page in pages.items():
        for href in page.hrefs:
            assert "://" not in href, f"{name} links outside the report: {href}"
            target, _, fragment = href.partition("#")
            target = target or name
            assert (out / target).is_file(), f"{name}: broken link {href}"
            if fragment:
                assert fragment in pages[target].ids, f"{name}: no #{fragment} in {target}"
        for src in page.srcs:
            assert "://" not in src, f"{name}: {src} is not local"
            assert (out / src).is_file(), f"{name}: missing {src}"
    # nothing is fetched from the network: no http(s) URL in scripts' src or stylesheets
    for p in out.rglob("*.html"):
        assert not re.search(r'(src|href)="(https?:)?//', p.read_text(encoding="utf-8"))
    nav = [href for href, *_ in NAV]
    assert all(f'href="{h}"' in (out / "methods.html").read_text() for h in nav)


def test_vega_javascript_ships_with_the_report(small_report):
    _, out = small_report
    bundle = (out / "assets" / "vega.min.js").read_text(encoding="utf-8")
    assert "window.vegaEmbed" in bundle
    assert len(bundle) > 500_000
    assert "vegaEmbed" in (out / "assets" / "report.js").read_text(encoding="utf-8")


def _csv_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_downloads_hold_no_suppressible_counts(small_report, small_store):
    _, out = small_report
    downloads = out / "downloads"
    checked = 0
    for path in downloads.glob("*.csv"):
        for row in _csv_rows(path):
            for column in ("count", "Count"):
                if row.get(column):
                    assert not 0 < float(row[column]) < 5, f"{path.name}: count {row[column]}"
                    checked += 1
    assert checked > 100
    values = pl.read_csv(downloads / "values.csv", infer_schema_length=None)
    # the fixture gives boroughs' infant-mortality deciles counts of 1 to 6: the small ones
    # (and those that would reveal them) are withheld with a note, the rest published
    deciles = values.filter(
        (pl.col("indicator_id") == "infant_mortality")
        & (pl.col("category_type") != "")
        & (pl.col("area_code") != "E12000007")
    )
    withheld = deciles.filter(pl.col("value").is_null())
    assert withheld.height > 0
    assert withheld["value_note"].str.contains("suppressed").all()
    assert deciles.filter(pl.col("value").is_not_null())["count"].min() >= 5
    with Store.open(small_store[0]) as store:
        assert values.height == store.values(small_store[1]).num_rows


def test_excel_downloads_mirror_the_csv_tables(small_report):
    _, out = small_report
    book = load_workbook(out / "downloads" / "indicator-infant-mortality.xlsx", read_only=True)
    contents = list(book["contents"].values)
    assert "SYNTHETIC" in contents[1][0]
    listed = [r for r in contents[5:] if r and r[0]]
    assert len(listed) == len(book.sheetnames) - 1
    for sheet_name, _title, csv_name in listed:
        rows = list(book[sheet_name].values)
        expected = _csv_rows(out / "downloads" / csv_name)
        assert len(rows) == len(expected) + 1
        assert list(rows[0]) == list(expected[0])
    book.close()


def test_synthetic_banner_on_every_page(small_report):
    _, out = small_report
    for p in out.glob("*.html"):
        assert 'class="synthetic-banner"' in p.read_text(encoding="utf-8"), p.name


def test_real_data_has_no_synthetic_banner(tmp_path):
    path, vintage = report_store.make_store(
        tmp_path / "real.duckdb", n_boroughs=2, indicators=["smoking"], synthetic=False
    )
    with Store.open(path) as store:
        result = write_report(store, vintage, tmp_path / "site", **report_options())
    assert not result.synthetic
    for p in (tmp_path / "site").glob("*.html"):
        assert "synthetic-banner" not in p.read_text(encoding="utf-8")


def test_same_vintage_gives_identical_files(small_store, small_report, tmp_path):
    _, first = small_report
    with Store.open(small_store[0]) as store:
        write_report(store, small_store[1], tmp_path / "again", **report_options())
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    again = sorted(
        p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file()
    )
    assert files == again
    different = [
        f for f in files if (first / f).read_bytes() != (tmp_path / "again" / f).read_bytes()
    ]
    assert different == []


def test_map_is_a_tile_grid_without_boundaries(small_report):
    _, out = small_report
    spec = parse(out / "indicator-smoking.html").specs[
        "spec-indicator-smoking-persons-all-ages-map"
    ]
    text = json.dumps(spec)
    assert "geoshape" not in text
    assert '"square"' in text
    tiles = spec["datasets"]["main"]
    assert len(tiles) == SMALL["n_boroughs"]
    assert {"col", "row", "label"} <= set(tiles[0])


def test_spine_chart_puts_worst_left_and_the_region_centre(small_report):
    _, out = small_report
    page = parse(out / "borough-e09000002.html")
    rows = page.specs["spec-borough-e09000002-spine"]["datasets"]["main"]
    for r in rows:
        assert 0 <= r["p_worst"] <= r["p_q25"] <= r["p_q75"] <= r["p_best"] <= 1
        assert r["p_benchmark"] == pytest.approx(0.5)
        low_is_good = r["polarity"] == "low_is_good"
        assert r["worst"] == pytest.approx(
            max(r["worst"], r["best"]) if low_is_good else min(r["worst"], r["best"])
        )
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)


def test_unknown_vintage_and_empty_store_fail_clearly(small_store, tmp_path):
    with Store.open(small_store[0]) as store, pytest.raises(StoreError, match="not found"):
        write_report(store, "ffffffff", tmp_path / "x", **report_options())
    assert not (tmp_path / "x").exists()
    import pyarrow as pa

    with Store.open(tmp_path / "empty.duckdb") as store:
        store.add_vintage(
            pa.table(
                {
                    "indicator_id": ["x"],
                    "area_code": ["E1"],
                    "period": ["2020"],
                    "period_start": [2020],
                    "period_years": [1],
                    "sex": ["Persons"],
                    "age": ["All ages"],
                    "category_type": [""],
                    "category": [""],
                    "value": [1.0],
                }
            ),
            source="test",
        )
        with pytest.raises(InputError, match="no areas of type 'la' or 'region'"):
            write_report(store, None, tmp_path / "y", **report_options())
    assert not (tmp_path / "y").exists()


def test_gradients_promise_the_sii_line_only_when_they_draw_it(small_report):
    _, out = small_report
    drawn = promised_without = 0
    for path in out.glob("borough-*.html"):
        html = path.read_text(encoding="utf-8")
        for spec_id, spec in parse(path).specs.items():
            if not spec_id.endswith("-gradient"):
                continue
            lines = spec["datasets"].get("line", [])
            says = "index of inequality (SII)" in spec["description"]
            assert says == bool(lines), spec_id
            assert ". ." not in spec["description"]
            drawn += bool(lines)
            promised_without += ("line (dashed)" in html) and not lines
    assert drawn > 0
    assert promised_without == 0
