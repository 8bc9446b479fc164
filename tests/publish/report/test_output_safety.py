"""The report is safe to publish (issue #14): where it writes, its downloads, its scripts."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from healthgap.cli import app
from healthgap.errors import OutputPathError
from healthgap.london import report_options
from healthgap.publish._output_paths import MARKER, temp_prefix
from healthgap.publish.report import write_report
from healthgap.store import Store

_spec = importlib.util.spec_from_file_location(
    "report_store", Path(__file__).with_name("_store.py")
)
report_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_store)
CHROMIUM = Path("/usr/bin/chromium")  # as in test_accessibility.py

runner = CliRunner()

SCRIPT_NAME = "City <!--<script>"
HTML_NAME = "</script><script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("http://example.com/x","click")'
JSON_BLOCK = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


def entries(folder):
    return sorted(p.name for p in folder.iterdir())


def report(*args):
    return runner.invoke(app, ["report", "--quiet", *args])


@pytest.fixture
def store_here(tiny_store, tmp_path, monkeypatch):
    """A folder holding the tiny store as ./healthgap.duckdb and a file of the user's."""
    shutil.copy(tiny_store[0], tmp_path / "healthgap.duckdb")
    (tmp_path / "notes.txt").write_text("the user's notes\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_out_dot_beside_the_store_changes_nothing(store_here):
    before = {name: (store_here / name).read_bytes() for name in entries(store_here)}
    result = report("--out", ".")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: output folder")
    assert "holds the store" in result.stderr or "healthgap did not write" in result.stderr
    assert {name: (store_here / name).read_bytes() for name in entries(store_here)} == before


def test_out_the_store_itself_changes_nothing(store_here):
    before = (store_here / "healthgap.duckdb").read_bytes()
    result = report("--out", "healthgap.duckdb")
    assert result.exit_code == 1
    assert "is the store" in result.stderr
    assert "Traceback" not in result.output
    assert entries(store_here) == ["healthgap.duckdb", "notes.txt"]
    assert (store_here / "healthgap.duckdb").read_bytes() == before


def test_a_folder_of_the_users_is_refused_naming_what_is_there(store_here):
    mine = store_here / "site"
    mine.mkdir()
    (mine / "draft.docx").write_text("mine")
    result = report("--out", "site")
    assert result.exit_code == 1
    assert "'draft.docx'" in result.stderr
    assert entries(mine) == ["draft.docx"]


def test_a_previous_report_is_replaced_but_not_once_the_user_adds_to_it(store_here):
    assert report("--out", "site").exit_code == 0
    assert (store_here / "site" / MARKER).is_file()
    first = (store_here / "site" / "index.html").read_bytes()
    assert report("--out", "site").exit_code == 0
    assert (store_here / "site" / "index.html").read_bytes() == first
    assert entries(store_here) == ["healthgap.duckdb", "notes.txt", "site"]
    (store_here / "site" / "downloads" / "my-chart.png").write_bytes(b"png")
    result = report("--out", "site")
    assert result.exit_code == 1
    assert "'downloads/my-chart.png'" in result.stderr
    assert (store_here / "site" / "downloads" / "my-chart.png").read_bytes() == b"png"


def test_the_temporaries_of_a_killed_run_are_removed_by_the_next(store_here):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a process id no longer running, as after kill -9
    half = store_here / (temp_prefix(store_here / "site", child.pid) + "k1ll3d")
    (half / "downloads").mkdir(parents=True)
    (half / "index.html").write_text("half")
    assert report("--out", "site").exit_code == 0
    assert entries(store_here) == ["healthgap.duckdb", "notes.txt", "site"]


def test_a_full_disk_is_one_line_naming_the_file_and_changes_nothing(store_here, monkeypatch):
    import errno

    from healthgap.publish.report import builder

    def full(data, pages, folder, report):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "values.csv"))

    assert report("--out", "site").exit_code == 0
    before = (store_here / "site" / "index.html").read_bytes()
    monkeypatch.setattr(builder, "_write_downloads", full)
    result = report("--out", "site")
    assert result.exit_code == 1
    where = store_here / "site" / "downloads" / "values.csv"  # the output, not a temporary
    assert result.stderr == f"Error: No space left on device: '{where}'\n"
    assert entries(store_here) == ["healthgap.duckdb", "notes.txt", "site"]
    assert (store_here / "site" / "index.html").read_bytes() == before


def test_the_library_refuses_too(tiny_store, tmp_path):
    path, vintage = tiny_store
    with Store.open(path) as store, pytest.raises(OutputPathError, match="is the store"):
        write_report(store, vintage, path)


# -- text from the data inside scripts and spreadsheets --


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """The tiny report after borough and indicator names were replaced by attacks."""
    folder = tmp_path_factory.mktemp("hostile")
    path, vintage = report_store.make_store(folder / "h.duckdb", **report_store.TINY)
    with Store.open(path) as store:
        areas = pl.from_arrow(store.areas())
        names = {"E09000001": SCRIPT_NAME, "E09000002": FORMULA_NAME, "E09000003": HTML_NAME}
        renamed = areas.with_columns(
            pl.col("area_code")
            .replace_strict(names, default=pl.col("area_name"))
            .alias("area_name")
        )
        store.add_areas(renamed.to_arrow().cast(store.areas().schema))
        metas = [
            m.model_copy(update={"name": f"{SCRIPT_NAME} {m.name} \u2028 {FORMULA_NAME}"})
            for m in store.indicators()
        ]
        store.add_indicators(metas)
        # a vintage keeps the names it was written with: the hostile names need a vintage of
        # their own (the same values, written after the renaming)
        record = store.vintage(vintage)
        vintage = store.add_vintage(
            store.values(vintage),
            source=record["source"],
            parameters=json.loads(record["parameters"]),
            indicators=metas,
        )
        write_report(store, vintage, folder / "site", **report_options())
    return folder / "site"


def test_script_blocks_hold_json_the_html_parser_cannot_leave(hostile_report):
    pages = sorted(hostile_report.glob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        blocks = JSON_BLOCK.findall(html)
        assert len(blocks) == html.count('<div class="vis"'), page.name
        for chart_id, text in blocks:
            # the HTML tokenizer leaves "script data" only at "<!--" or "</script"
            assert "<!--" not in text, (page.name, chart_id)
            assert "<script" not in text.lower(), (page.name, chart_id)
            assert "\u2028" not in text
            json.loads(text)
        assert html.rstrip().endswith("</html>")
        assert '<footer class="site-footer">' in html


def test_the_names_reach_the_charts_unchanged(hostile_report):
    html = (hostile_report / "indicator-life-expectancy.html").read_text(encoding="utf-8")
    specs = [json.dumps(json.loads(text)) for _, text in JSON_BLOCK.findall(html)]
    assert len(specs) == 7  # the page: 7 charts
    assert any(json.dumps(SCRIPT_NAME)[1:-1] in spec for spec in specs)
    assert SCRIPT_NAME not in html  # shown escaped in the text, never raw
    assert "City &lt;!--&lt;script&gt;" in html


def test_downloads_cannot_run_formulas(hostile_report):
    downloads = hostile_report / "downloads"
    csvs = sorted(downloads.glob("*.csv"))
    assert csvs
    seen = False
    for path in csvs:
        for row in pl.read_csv(path, infer_schema_length=0).iter_rows():
            cells = [c for c in row if c]
            assert not [c for c in cells if c[0] in "=+@\t\r"], path.name
            assert all(re.fullmatch(r"-[0-9.eE+-]+", c) for c in cells if c[0] == "-"), path.name
            seen |= "'" + FORMULA_NAME in cells
    assert seen
    books = sorted(downloads.glob("*.xlsx"))
    assert books
    for path in books:
        with zipfile.ZipFile(path) as book:
            xml = [book.read(n) for n in book.namelist() if n.startswith("xl/worksheets/")]
        assert not [x for x in xml if b"<f>" in x or b"<f " in x], path.name
        for sheet in load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        assert cell.data_type == "s"
                        assert cell.value[:1] not in ("=", "+", "@", "-") or re.fullmatch(
                            r"-[0-9.eE+-]+", cell.value
                        )


@pytest.mark.browser
def test_the_life_expectancy_page_draws_every_chart_and_its_footer(hostile_report):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (installed by .ci/run)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((hostile_report / "indicator-life-expectancy.html").as_uri())
        page.wait_for_function(
            "document.querySelectorAll('div.vis svg').length == 7", timeout=60_000
        )
        assert page.locator("script[type='application/json']").count() == 7
        assert page.locator("footer.site-footer").count() == 1
        assert errors == []
        browser.close()


def test_an_area_code_holding_a_path_writes_nothing_outside(tiny_store, tmp_path):
    import pyarrow.compute as pc

    path, vintage = tiny_store
    evil = "E09000001/../../../escaped"
    with Store.open(path) as store:
        values, areas = store.values(vintage), store.areas()
        indicators, record = store.indicators(), store.vintage(vintage)
        hierarchy = store.hierarchy()

    def swap(table, name="area_code"):
        column = table[name]
        renamed = pc.if_else(pc.equal(column, "E09000001"), evil, column)
        return table.set_column(table.schema.get_field_index(name), name, renamed)

    (tmp_path / "a" / "b").mkdir(parents=True)
    with Store.open(tmp_path / "a" / "b" / "evil.duckdb") as store:
        store.add_areas(swap(areas), hierarchy=swap(hierarchy, "child_code"))
        evil_vintage = store.add_vintage(
            swap(values),
            source=record["source"],
            parameters=json.loads(record["parameters"]),
            indicators=indicators,
        )
        with pytest.raises(OutputPathError, match="cannot name an output file"):
            write_report(store, evil_vintage, tmp_path / "a" / "b" / "site")
    assert sorted(p.name for p in tmp_path.rglob("*") if "duckdb" not in p.name) == ["a", "b"]


@pytest.mark.slow
def test_kill_9_while_writing_then_a_rerun_leaves_only_the_report(store_here):
    import signal
    import time

    command = [sys.executable, "-m", "healthgap.cli", "report", "--out", "site", "--quiet"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(store_here.glob(".site.healthgap-tmp-*/downloads")):
        assert child.poll() is None, "the report finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert list(store_here.glob(".site.healthgap-tmp-*"))  # what the kill left
    assert not (store_here / "site").exists()
    assert report("--out", "site").exit_code == 0
    assert entries(store_here) == ["healthgap.duckdb", "notes.txt", "site"]


def test_the_report_folder_and_files_keep_the_users_umask(tiny_store, tmp_path):
    path, vintage = tiny_store
    old = os.umask(0o022)
    try:
        with Store.open(path) as store:
            write_report(store, vintage, tmp_path / "site")
    finally:
        os.umask(old)
    site = tmp_path / "site"
    assert site.stat().st_mode & 0o777 == 0o755  # readable by a web server, as mkdir makes it
    assert (site / "index.html").stat().st_mode & 0o777 == 0o644
    assert (site / "downloads").stat().st_mode & 0o777 == 0o755
