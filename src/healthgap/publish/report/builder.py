"""Write the annual indicator report of a store vintage: an offline HTML site and a PDF."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from markupsafe import Markup

from healthgap import __version__
from healthgap.catalogue.strategy import Strategy, WorldCity, load_strategy
from healthgap.publish._output_paths import file_in, new_folder
from healthgap.publish._safe_text import script_json, spreadsheet_safe, spreadsheet_text
from healthgap.publish._xlsx import build_time, save_fixed
from healthgap.publish.report import (
    _area_profiles,
    _assets,
    _commitments,
    _data,
    _definitions,
    _downloads,
    _indicator_pages,
    _inequality,
    _overview,
)
from healthgap.publish.report._data import ReportData
from healthgap.publish.report._model import Page, frame_rows
from healthgap.publish.report._provenance import vintages_json
from healthgap.publish.report.charts import Chart
from healthgap.store import Store

__all__ = ["ReportResult", "write_report"]

Progress = Callable[[str, int, int], None]
PageBuilder = Callable[[ReportData], Page]
SYNTHETIC_TEXT = (
    "Every figure in this report is made up by healthgap's synthetic demo data, "
    "to show how the report works. They are not real statistics."
)
NAV = (
    ("index.html", "Overview", "index"),
    ("boroughs.html", "Areas", "boroughs"),
    ("indicators.html", "Indicators", "indicators"),
    ("inequality.html", "Inequality", "inequality"),
    ("commitments.html", "Commitments", "commitments"),
    ("methods.html", "Methods and definitions", "methods"),
    ("downloads.html", "Data downloads", "downloads"),
)


@dataclass(frozen=True)
class ReportResult:
    """Where the report was written and what it holds."""

    index_html: Path
    pdf_path: Path | None
    n_pages: int
    n_charts: int
    n_downloads: int
    pdf_pages: int | None
    vintage: str
    synthetic: bool
    vintages: tuple[str, ...] = ()
    title: str = ""


def write_report(
    store: Store,
    vintage: str | None,
    out_dir: str | Path,
    *,
    pdf: bool = False,
    progress: Progress | None = None,
    vintages: Sequence[str] | None = None,
    area: str | None = None,
    strategy: Strategy | str | Path | None = None,
    world_cities: Sequence[WorldCity] = (),
    tiles: Mapping[str, tuple[int, int, str]] | None = None,
    title: str | None = None,
    extra_pages: Sequence[PageBuilder] = (),
) -> ReportResult:
    """Write the indicator report of the store as an HTML site (and a PDF) in ``out_dir``.

    A publication of the whole store: by default each indicator comes from the latest vintage
    holding it (engine computations and imported series side by side), or from the vintages
    named; the vintage set is written to ``vintages.json`` and listed on the methods page, and
    every table names its source. The geography is ``area`` and its child areas in the
    store's hierarchy (a region's local authorities), compared with the area and with the
    nation (its ``country`` ancestor); the rest of a national file is left out, except as
    the peers of national quintiles.

    Values pass through :func:`~healthgap.publish.export.published_values` (disclosure control
    with each indicator's rule) before anything is shown or offered for download; comparisons
    (Fingertips' CI overlap at 95%, with the region and the nation), ranks, quintiles, recent
    trends, target projections and SII lines are computed at report time with
    :mod:`healthgap.compare` and :mod:`healthgap.methods`.

    Pages: overview (key messages and headline gaps, the tartan rug by domain), one profile
    per area (comparisons table, spine chart, deprivation gradient with its SII line, gap by
    age and cause), one page per indicator (map, compare-areas chart, trend, deciles with the
    SII line, definition), inequality (life-expectancy gap by age and cause), commitments
    (with a strategy: progress against targets, world cities), the caller's extra pages,
    methods, sources and definitions, data downloads (CSV for every table, Excel per page).
    Charts are Vega-Lite: interactive in the HTML (JavaScript shipped in ``assets/``, nothing
    from the network), static SVG made by vl-convert in the PDF, which WeasyPrint writes with
    a contents page and page numbers. When a vintage says its data are synthetic, every page
    says so.

    The same vintage gives byte-identical files: no clock is read, iteration is sorted and
    chart ids are fixed. The folder is written whole or not at all: built beside ``out_dir``
    and moved into place (:mod:`healthgap.publish._output_paths`), with a marker file
    listing what it holds. ``out_dir`` is replaced only if it is absent, an empty folder or
    a report healthgap wrote that holds nothing else; it can never be or hold the store.
    Text cells of the CSV and Excel downloads that a spreadsheet would run as formulas get
    a leading apostrophe; JSON inside ``<script>`` escapes ``<``, ``>``, ``&``, U+2028 and
    U+2029.

    Parameters
    ----------
    store : Store
        The open store.
    vintage : str or None
        A vintage id or unique prefix to use (with any in ``vintages``); None with no
        ``vintages``: the latest vintage of each indicator.
    out_dir : str or Path
        Folder to write: absent, empty, or a previous healthgap report (replaced).
    pdf : bool, default False
        Also write ``report.pdf`` (and ``print.html``, the document WeasyPrint lays out).
    progress : callable, optional
        Called as ``progress(stage, done, total)`` as the work goes on.
    vintages : sequence of str, optional
        Vintages to use (ids or prefixes); a later one's indicator replaces an earlier one's.
    area : str, optional
        Code of the report's area (e.g. a region); default: the store's one region with
        child areas.
    strategy : Strategy, path or None
        The strategy whose indicators and commitments the report follows (a ``Strategy`` or
        its YAML file or folder); None for none (indicators in id order, no commitments
        page). An application passes its own (``healthgap.london.strategy()``).
    world_cities : sequence of WorldCity, optional
        Published figures of other cities for the commitments page; default none.
    tiles : mapping, optional
        The caller's tile grid for maps where the store has no boundaries: area code ->
        (column, row from the north-west, short label); default none (no map without
        boundaries).
    title : str, optional
        The report's title; default: the strategy's name, or the area's.
    extra_pages : sequence of callables
        Page builders ``f(data) -> Page`` whose pages follow the commitments page.

    Returns
    -------
    ReportResult
        ``index_html``, ``pdf_path`` (None without ``pdf``), ``n_pages`` (HTML pages),
        ``n_charts``, ``n_downloads`` (files in ``downloads/``), ``pdf_pages``, ``vintage``
        (the latest vintage used, full id), ``synthetic`` (any vintage synthetic),
        ``vintages`` (every vintage used, oldest first) and ``title``.

    Raises
    ------
    StoreError
        Unknown vintage, or a store without vintages.
    InputError
        The store has no areas of type 'la' or 'region'; ``area`` is not in the store or
        has no child areas; several regions have child areas and no ``area`` is named; the
        vintages have no values for the area's children.
    OutputPathError
        ``out_dir`` is or holds the store, is a file, or holds files healthgap did not write.
    """
    report = progress or (lambda stage, done, total: None)
    out_dir = Path(out_dir)
    report("reading the store", 0, 1)
    named = [*([vintage] if vintage is not None else []), *(vintages or ())]
    if isinstance(strategy, str | Path):
        strategy = load_strategy(strategy)
    data = _data.load(
        store,
        named or None,
        area=area,
        strategy=strategy,
        world=world_cities or (),
        tiles=dict(tiles) if tiles is not None else None,
    )
    data.title = context_title(data, title)
    report("reading the store", 1, 1)
    pages = build_pages(data, extra_pages)
    report("building pages", 1, 1)
    with new_folder(out_dir, store=store.path, what="report") as work:
        n_pdf_pages = _write(data, pages, work, pdf, report)
    return ReportResult(
        index_html=out_dir / "index.html",
        pdf_path=out_dir / "report.pdf" if pdf else None,
        n_pages=len(pages),
        n_charts=sum(len(p.charts()) for p in pages),
        n_downloads=len(list((out_dir / "downloads").iterdir())),
        pdf_pages=n_pdf_pages,
        vintage=data.vintage["id"],
        synthetic=data.synthetic,
        vintages=tuple(u.record["id"] for u in data.vintages),
        title=data.title,
    )


def build_pages(data: ReportData, extra_pages: Sequence[PageBuilder] = ()) -> list[Page]:
    """Every page of the report, in navigation order."""
    from healthgap.publish.report._model import Section

    boroughs = _area_profiles.borough_pages(data)
    indicators = _indicator_pages.indicator_pages(data)
    borough_index = Section("list", "Borough profiles")
    borough_index.links = [(p.filename, p.title) for p in boroughs]
    indicator_index = Section("list", "Indicator pages")
    indicator_index.links = [(p.filename, p.title) for p in indicators]
    pages = [
        _overview.overview(data),
        Page(
            "boroughs",
            "Areas",
            "A profile of each area.",
            [borough_index],
            nav="boroughs",
            in_print=False,  # the PDF's contents page lists the profiles
        ),
        *boroughs,
        Page(
            "indicators",
            "Indicators",
            "A page for each indicator.",
            [indicator_index],
            nav="indicators",
            in_print=False,
        ),
        *indicators,
        _inequality.inequality(data),
        *([_commitments.commitments(data)] if data.strategy and data.strategy.commitments else []),
        *(build(data) for build in extra_pages),
        _definitions.methods(data),
    ]
    pages.append(_downloads.downloads(data, pages))
    return pages


def context_title(data: ReportData, title: str | None) -> str:
    """Return the report's title: the caller's, else the strategy's name, else the area's."""
    if title:
        return title
    if data.strategy is not None:
        return f"{data.strategy.name}: indicator report"
    return f"{data.region_name} health inequalities: indicator report"


def _nav(pages: list[Page]) -> tuple[tuple[str, str, str], ...]:
    """Return the fixed entries whose pages exist, then the caller's extra pages."""
    present = {p.nav for p in pages}
    fixed = {key for *_, key in NAV}
    extra = [(p.filename, p.title, p.nav) for p in pages if p.nav and p.nav not in fixed]
    shown = [n for n in NAV if n[2] in present]
    return tuple(shown[:-2] + extra + shown[-2:])


def _context(data: ReportData, pages: list[Page]) -> dict[str, Any]:
    v = data.vintage
    label = f" ({v['label']})" if v.get("label") else ""
    several = len(data.vintages) > 1
    sources = "; ".join(f"{u.record['id'][:8]} from {u.record['source']}" for u in data.vintages)
    return {
        "title": data.title or context_title(data, None),
        "synthetic": data.synthetic,
        "synthetic_text": SYNTHETIC_TEXT,
        "nav": _nav(pages),
        "subtitle": (
            f"{data.region_name}, {len(data.vintages)} vintages (latest {v['id']}{label})"
            if several
            else f"Vintage {v['id']}{label}"
        ),
        # the vintage id is a hash of its content; its wall-clock creation time is left out so
        # that the same vintage gives the same report, whichever store recorded it
        "footer": (
            (
                f"Vintages {sources}; "
                if several
                else f"Vintage {v['id']}{label} from {v['source']}; "
            )
            + f"healthgap {v['code_version']} (report written by healthgap "
            f"{__version__}). Small numbers are withheld for disclosure control."
        ),
    }


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("healthgap.publish.report", "templates"), autoescape=True
    )
    env.filters["print_href"] = lambda href: (
        f"#page-{href[:-5]}" if href.endswith(".html") else href
    )
    return env


def _view(chart: Chart, svg_dir: str) -> dict[str, Any]:
    return {
        "id": chart.id,
        "title": chart.title,
        "alt": chart.alt,
        "in_print": chart.in_print,
        "spec_json": Markup(script_json(chart.spec)),
        "shown": {"header": tuple(chart.table.columns), "rows": frame_rows(chart.table)},
        "svg_path": f"{svg_dir}/{chart.id}.svg",
        "print_key": chart.print_key,
        "half": chart.print_half,
    }


def _views(page: Page, svg_dir: str) -> Page:
    """Return the page with its charts as template views (spec JSON, rows, SVG path)."""
    from dataclasses import replace

    sections = [
        replace(s, items=[_view(i, svg_dir) if isinstance(i, Chart) else i for i in s.items])
        for s in page.sections
    ]
    return replace(page, sections=sections)


def _write(
    data: ReportData, pages: list[Page], out: Path, pdf: bool, report: Progress
) -> int | None:
    env = _environment()
    context = _context(data, pages)
    _assets.copy_site_assets(out / "assets")
    (out / "vintages.json").write_text(vintages_json(data), encoding="utf-8")
    views = [_views(p, "print/charts") for p in pages]
    with ThreadPoolExecutor(max_workers=2) as pool:
        # vl-convert draws the PDF's SVGs in its own threads while Python writes the site
        drawing = []
        if pdf:
            folder = out / "print" / "charts"
            folder.mkdir(parents=True)
            drawing = [
                pool.submit(_draw_svg, c, folder) for p in pages for c in p.charts() if c.in_print
            ]
        template = env.get_template("page.html.j2")
        for n, page in enumerate(views, start=1):
            html = template.render(page=page, report=context)
            file_in(out, page.filename).write_text(html, encoding="utf-8")
            report("writing pages", n, len(views))
        _write_downloads(data, pages, out / "downloads", report)
        for n, future in enumerate(drawing, start=1):
            future.result()
            report("drawing charts for the PDF", n, len(drawing))
    if not pdf:
        return None
    html = env.get_template("print.html.j2").render(pages=views, report=context)
    (out / "print.html").write_text(html, encoding="utf-8")
    report("writing the PDF", 0, 1)
    import weasyprint

    document = weasyprint.HTML(filename=str(out / "print.html"), base_url=str(out)).render()
    with _fixed_font_timestamps():
        document.write_pdf(out / "report.pdf")
    report("writing the PDF", 1, 1)
    return len(document.pages)


@contextlib.contextmanager
def _fixed_font_timestamps() -> Iterator[None]:
    """Embedded fonts without the time of writing, so a vintage gives the same PDF bytes.

    Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which stamps each font's
    ``head.modified`` with the current time unless ``SOURCE_DATE_EPOCH`` is set (the
    reproducible-builds convention); a value the caller set is kept.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def _draw_svg(chart: Chart, folder: Path) -> None:
    """Write a chart's static SVG (vl-convert) for the PDF."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(chart.print_spec or chart.spec)
    file_in(folder, f"{chart.id}.svg").write_text(svg, encoding="utf-8")


def _write_downloads(data: ReportData, pages: list[Page], folder: Path, report: Progress) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    values = data.values.with_columns(
        area_name=pl.col("area_code").replace_strict(data.names, default=None)
    )
    order = list(data.values.columns)
    order.insert(order.index("area_code") + 1, "area_name")
    spreadsheet_safe(values.select(order)).write_csv(folder / "values.csv")
    created = build_time()
    for n, page in enumerate(pages, start=1):
        tables = page.tables()
        for table_id, _title, frame in tables:
            spreadsheet_safe(frame).write_csv(file_in(folder, f"{table_id}.csv"))
        if tables:
            _write_xlsx(file_in(folder, f"{page.slug}.xlsx"), page.title, tables, data, created)
        report("writing downloads", n, len(pages))


def _write_xlsx(
    path: Path,
    title: str,
    tables: list[tuple[str, str, pl.DataFrame]],
    data: ReportData,
    created: dt.datetime,
) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.creator = "healthgap"
    contents = book.create_sheet("contents")
    contents.append([spreadsheet_text(title, xml=True)])
    contents.append(
        [
            f"Vintage {data.vintage['id']}"
            + (" - SYNTHETIC DATA, not real statistics" if data.synthetic else "")
        ]
    )
    contents.append(
        [
            "Disclosure control applied: small counts, and values that would reveal "
            "them, are withheld (empty cells)."
        ]
    )
    contents.append([])
    contents.append(["Sheet", "Table", "CSV file"])
    for n, (table_id, table_title, frame) in enumerate(tables, start=1):
        contents.append([f"table {n}", spreadsheet_text(table_title, xml=True), f"{table_id}.csv"])
        sheet = book.create_sheet(f"table {n}")
        frame = spreadsheet_safe(frame, xml=True)
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
    save_fixed(book, path, created)
