"""The ``healthgap`` command line: thin wrappers that parse, call the public API and print.

Results go to stdout; progress and messages to stderr. Exit 0 on success, 1 on a
:class:`~healthgap.errors.HealthgapError` (one line, no traceback), 2 on usage errors.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from healthgap import __version__
from healthgap.errors import HealthgapError, os_error_message

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="healthgap",
    help="Measure, monitor and publish health inequalities (OHID indicator methods).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console()
stderr = Console(stderr=True)


def reports_errors(command: F) -> F:
    """Turn a HealthgapError or OSError into one ``Error: ...`` line on stderr and exit 1.

    An OSError (disk full, permission denied, a folder where a file was expected) is the
    machine refusing, not a bug: it is reported with its reason and path, no traceback.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except HealthgapError as exc:
            _error_line(str(exc))
        except OSError as exc:
            _error_line(os_error_message(exc))
        raise typer.Exit(code=1)

    return wrapper  # type: ignore[return-value]


def _error_line(message: str) -> None:
    """Print ``Error: message`` on one line, the message as plain text (no Rich markup)."""
    from rich.markup import escape

    line = escape(" ".join(message.split()))
    stderr.print(f"[bold red]Error:[/] {line}", highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"healthgap {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Measure, monitor and publish health inequalities (OHID indicator methods)."""


@app.command("methods")
def list_methods() -> None:
    """List the statistical methods in healthgap.methods, each with its one-line summary.

    Example: healthgap methods
    """
    import inspect

    from healthgap import methods

    functions = [(n, getattr(methods, n)) for n in methods.__all__]
    functions = [(n, f) for n, f in functions if inspect.isfunction(f)]
    width = max(len(n) for n, _ in functions)
    for name, function in functions:
        summary = (inspect.getdoc(function) or "").splitlines()[0].rstrip(".")
        typer.echo(f"{name:<{width}}  {summary}")


# -- the store: import, export, vintages, areas (healthgap.store, healthgap.publish.export) --

STORE_OPTION = typer.Option(
    Path("healthgap.duckdb"),
    "--store",
    envvar="HEALTHGAP_STORE",
    help="Store file (default ./healthgap.duckdb, or $HEALTHGAP_STORE).",
)
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="Do not show progress on stderr.")

vintages_app = typer.Typer(help="List, show and compare vintages.", no_args_is_help=True)
areas_app = typer.Typer(help="List and show the store's areas.", no_args_is_help=True)
app.add_typer(vintages_app, name="vintages")
app.add_typer(areas_app, name="areas")


def _progress(quiet: bool) -> Any:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=quiet or not stderr.is_terminal,
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _cell(value: Any) -> str:
    """Return a value as printable text on one line.

    Control characters (a tab, a newline, a terminal escape sequence) are written as Python
    escapes, so text from the data can neither split a TSV row nor drive the terminal.
    """
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _tsv(table: Any, limit: int | None = None) -> None:
    """Print an Arrow table as tab-separated lines with a header (nulls as empty)."""
    rows = table.slice(0, limit).to_pylist() if limit is not None else table.to_pylist()
    typer.echo("\t".join(table.column_names))
    for row in rows:
        typer.echo("\t".join(_cell(v) for v in row.values()))


#: Kinds of IMD file whose LSOAs are also ranked within London (the London application's).
IMD_KINDS = ("imd2019", "imd2019-london")


@app.command("import")
@reports_errors
def import_file(
    kind: Annotated[
        str, typer.Argument(help="Kind of file, e.g. fingertips, ons-els, imd2019, tidy.")
    ],
    path: Annotated[Path, typer.Argument(exists=True, help="File (or folder) to import.")],
    store_path: Path = STORE_OPTION,
    label: str = typer.Option("", "--vintage-label", help="Label of the values' vintage."),
    quiet: bool = QUIET_OPTION,
    pairs: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="tidy: our column = the file's column, e.g. area_code=Code (repeat)."
        ),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option("--mapping", exists=True, dir_okay=False, help="tidy: YAML/JSON mapping."),
    ] = None,
    indicator_id: Annotated[
        str | None, typer.Option(help="tidy: the indicator id of every row.")
    ] = None,
    period: Annotated[str | None, typer.Option(help="tidy: the period of every row.")] = None,
    sex: Annotated[str | None, typer.Option(help="tidy: every row's sex (Persons).")] = None,
    age: Annotated[str | None, typer.Option(help="tidy: every row's age (All ages).")] = None,
    sheet: Annotated[str | None, typer.Option(help="tidy: a workbook's sheet (first).")] = None,
    proportion: Annotated[
        bool, typer.Option("--proportion", help="tidy: proportions (check count <= denominator).")
    ] = False,
) -> None:
    """Import an official file into the store: all of it, or nothing if any row is bad.

    Kinds are case-insensitive. A tidy table needs its column mapping, as options or a file.
    IMD 2019 files (imd2019, imd2019-london) also get deciles and quintiles within London.

    Example: healthgap import fingertips indicators.csv --vintage-label "Fingertips 2024"

    Example: healthgap import tidy rates.csv --map area_code=Code --map value=Rate
    --indicator-id my-rate --period 2021
    """
    from healthgap.errors import InputError
    from healthgap.sources import find_importer, kind_name, read_tidy, tidy_options
    from healthgap.store import Store

    importer = find_importer(kind)
    given = {
        "--map": pairs or [],
        "--mapping": mapping_file,
        "--indicator-id": indicator_id,
        "--period": period,
        "--sex": sex,
        "--age": age,
        "--sheet": sheet,
        "--proportion": proportion,
    }
    options: dict[str, Any] = {}
    if importer is read_tidy:
        options = tidy_options(
            mapping_file,
            pairs or [],
            indicator_id=indicator_id,
            period=period,
            sex=sex,
            age=age,
            sheet=sheet,
            proportion=proportion,
        )
    elif any(given.values()):
        used = ", ".join(name for name, value in given.items() if value)
        raise InputError(f"{used}: only for kind 'tidy', not {kind!r}")
    if kind_name(kind) in IMD_KINDS:
        from healthgap import london

        options = {"within": london.deprivation_region()}
    with _progress(quiet) as progress:
        task = progress.add_task(f"reading {path.name} ({kind})", total=None)
        imported = importer(path, **options)
        progress.update(task, description=f"writing to {store_path}")
        with Store.open(store_path) as store:
            vintage_id = store.load(imported, label=label, parameters={"kind": kind_name(kind)})
    found = [
        f"{getattr(imported, name).num_rows:,} {name}"
        for name in ("areas", "hierarchy", "classifications", "geometry", "population", "values")
        if getattr(imported, name, None) is not None
    ]
    found += [f"{len(imported.indicators):,} indicators"] if imported.indicators else []
    typer.echo(f"imported {path.name}: {', '.join(found) or 'nothing'}")
    if vintage_id is not None:
        typer.echo(f"vintage {vintage_id}")


@app.command("export")
@reports_errors
def export_vintage(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="File to write (replaces only an earlier export of the format)."
        ),
    ],
    vintage: str | None = typer.Option(
        None, "--vintage", help="Vintage id or unique prefix (default: the latest)."
    ),
    format: str = typer.Option("csv", "--format", "-f", help="csv, parquet, xlsx or fingertips."),
    indicator: Annotated[
        list[str] | None,
        typer.Option("--indicator", "-i", help="Export only this indicator (repeatable)."),
    ] = None,
    store_path: Path = STORE_OPTION,
) -> None:
    """Export a vintage's values, with disclosure control applied.

    Example: healthgap export --vintage 3f2a --format xlsx --out indicators.xlsx
    """
    from healthgap.publish.export import export
    from healthgap.store import Store

    with Store.open(store_path, read_only=True) as store:
        written = export(
            store,
            vintage,
            out,
            format=format,  # type: ignore[arg-type]
            indicator_ids=indicator or None,
        )
    typer.echo(f"wrote {written}")


@vintages_app.command("list")
@reports_errors
def vintages_list(store_path: Path = STORE_OPTION) -> None:
    """List every vintage, oldest first.

    Example: healthgap vintages list
    """
    from healthgap.store import Store

    with Store.open(store_path, read_only=True) as store:
        table = store.vintages()
    _tsv(table.select(["id", "created_at", "source", "label", "code_version", "n_values"]))


@vintages_app.command("show")
@reports_errors
def vintages_show(
    vintage: str = typer.Argument(..., help="Vintage id, unique prefix or 'latest'."),
    store_path: Path = STORE_OPTION,
) -> None:
    """Show one vintage: when, source, inputs (name, size, sha256), parameters, indicators.

    Example: healthgap vintages show 3f2a
    """
    import json

    from healthgap.store import Store

    with Store.open(store_path, read_only=True) as store:
        record = store.vintage(vintage)
    for key in ("id", "created_at", "source", "label", "code_version", "n_values"):
        typer.echo(f"{key}: {_cell(record[key])}")
    typer.echo(f"parameters: {_cell(record['parameters'])}")
    for item in json.loads(record["inputs"]):
        typer.echo(f"input: {_cell(item['name'])}  {item['size']:,} bytes  sha256 {item['sha256']}")
    typer.echo(f"indicators: {_cell(', '.join(record['indicator_ids']))}")


@vintages_app.command("diff")
@reports_errors
def vintages_diff(
    old: str = typer.Argument(..., help="Older vintage id or prefix."),
    new: str = typer.Argument(..., help="Newer vintage id or prefix."),
    limit: int = typer.Option(50, "--limit", help="Print at most this many changed values."),
    store_path: Path = STORE_OPTION,
) -> None:
    """Show which values were added, removed or revised between two vintages, and by how much.

    Example: healthgap vintages diff 3f2a 9c1b --limit 20
    """
    from collections import Counter

    from healthgap.store import Store

    with Store.open(store_path, read_only=True) as store:
        changes = store.diff(old, new)
    counts = Counter(changes["status"].to_pylist())
    typer.echo(", ".join(f"{counts.get(s, 0):,} {s}" for s in ("added", "removed", "revised")))
    if changes.num_rows:
        _tsv(changes, limit)
        if changes.num_rows > limit:
            typer.echo(f"... {changes.num_rows - limit:,} more (use --limit)")


@areas_app.command("list")
@reports_errors
def areas_list(
    area_type: str | None = typer.Option(None, "--type", help="Only areas of this type."),
    store_path: Path = STORE_OPTION,
) -> None:
    """List areas: code, name, type, validity.

    Example: healthgap areas list --type la
    """
    from healthgap.store import Store

    with Store.open(store_path, read_only=True) as store:
        _tsv(store.areas(area_type))


@areas_app.command("show")
@reports_errors
def areas_show(
    code: str = typer.Argument(..., help="Area code, e.g. E09000001."),
    store_path: Path = STORE_OPTION,
) -> None:
    """Show one area and its parents in every hierarchy.

    Example: healthgap areas show E01000001
    """
    from healthgap.store import Store

    with Store.open(store_path, read_only=True) as store:
        area = store.area(code)
        parents = store.parents(code)
    for key, value in area.items():
        typer.echo(f"{key}: {_cell(value)}")
    for row in parents.to_pylist():
        typer.echo(
            _cell(
                f"parent ({row['hierarchy']}, level {row['level']}): {row['area_code']} "
                f"{row['area_name'] or ''} {row['area_type'] or ''}".rstrip()
            )
        )


# -- the engine: compute a catalogue from record-level data (healthgap.engine) --

_YEAR_OPTION = typer.Option(
    None, "--year", help="Keep periods ending in this year (repeatable; default all)."
)
_STAGES = {
    "counts": "aggregating records",
    "statistics": "computing indicators",
    "store": "writing the vintage",
}


@app.command("compute")
@reports_errors
def compute_catalogue(
    catalogue: Annotated[Path, typer.Argument(exists=True, help="Catalogue YAML file or folder.")],
    data: Annotated[
        Path,
        typer.Option(
            "--data", exists=True, file_okay=False, help="Folder of <table>.parquet / .csv files."
        ),
    ],
    backend: str = typer.Option("duckdb", "--backend", help="duckdb (default) or spark."),
    years: list[int] = _YEAR_OPTION,
    store_path: Path = STORE_OPTION,
    label: str = typer.Option("", "--vintage-label", help="Label of the new vintage."),
    quiet: bool = QUIET_OPTION,
) -> None:
    """Compute every indicator of a catalogue from record-level data into one vintage.

    Example: healthgap compute catalogue/ --data data/ --backend duckdb --store hg.duckdb
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from healthgap.catalogue import load_catalogue
    from healthgap.engine import compute
    from healthgap.store import Store

    cat = load_catalogue(catalogue)
    bars = Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        disable=quiet or not stderr.is_terminal,
    )
    tasks: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(_STAGES.get(stage, stage), total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars, Store.open(store_path) as store:
        vintage = compute(
            cat,
            data,
            store=store,
            backend=backend,
            years=years or None,
            progress=progress,
            label=label,
        )
        n_values = store.values(vintage).num_rows
    typer.echo(f"computed {len(cat)} indicators, {n_values:,} values")
    typer.echo(f"vintage {vintage}")


# -- the annual indicator report (healthgap.publish.report) --


STRATEGY_OPTION = typer.Option(
    None,
    "--strategy",
    help="The strategy to follow: a strategy folder or YAML file, or the name of an "
    "application shipped with healthgap (london). Default: none (every indicator, in id order).",
)


def _strategy_options(strategy: str | None) -> dict[str, Any]:
    """``--strategy``: None, an application's name (``healthgap.<name>``) or a strategy path."""
    import importlib

    from healthgap.errors import InputError

    if strategy is None:
        return {}
    path = Path(strategy)
    if path.exists():
        from healthgap.catalogue.strategy import load_strategy

        return {"strategy": load_strategy(path), "strategy_dir": path}
    if strategy.isidentifier():
        try:
            application = importlib.import_module(f"healthgap.{strategy}")
        except ModuleNotFoundError:
            application = None
        if application is not None and hasattr(application, "report_options"):
            options = dict(application.report_options())
            options["strategy_dir"] = getattr(application, "STRATEGY_DIR", None)
            return options
    raise InputError(
        f"--strategy {strategy!r} is neither a strategy folder or file nor an application "
        "shipped with healthgap (london)"
    )


@app.command("report")
@reports_errors
def write_indicator_report(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder to write: new, empty, or a previous healthgap report (replaced).",
        ),
    ],
    vintage: Annotated[
        list[str] | None,
        typer.Option(
            "--vintage",
            help="Vintage id or unique prefix; repeat for several (default: the latest "
            "vintage of every indicator).",
        ),
    ] = None,
    area: str | None = typer.Option(
        None,
        "--area",
        help="Code of the report's area, e.g. a region (default: the store's one region "
        "with child areas).",
    ),
    strategy: str | None = STRATEGY_OPTION,
    pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf (WeasyPrint)."),
    store_path: Path = STORE_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Write the indicator report of the store: an offline, accessible HTML site (and a PDF).

    Example: healthgap report --area E12000007 --out report/ --pdf
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from healthgap.errors import StoreError
    from healthgap.publish.report import write_report
    from healthgap.store import Store

    if not store_path.exists():
        raise StoreError(f"store {str(store_path)!r} does not exist")
    bars = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        disable=quiet or not stderr.is_terminal,
    )
    tasks: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    options = _strategy_options(strategy)
    options.pop("strategy_dir", None)
    options["vintages"] = vintage or None
    if area is not None:
        options["area"] = area
    with bars, Store.open(store_path, read_only=True) as store:
        result = write_report(store, None, out, pdf=pdf, progress=progress, **options)
    several = len(result.vintages) > 1
    typer.echo(
        f"wrote {result.n_pages} pages, {result.n_charts} charts, "
        f"{result.n_downloads} downloads for "
        + (f"{len(result.vintages)} vintages" if several else f"vintage {result.vintage}")
        + (" (synthetic data)" if result.synthetic else "")
    )
    typer.echo(f"html {result.index_html}")
    if result.pdf_path is not None:
        typer.echo(f"pdf {result.pdf_path} ({result.pdf_pages} pages)")


# -- the main job: real London from published figures, and the synthetic London --

_DEMO_STAGES = {
    "sources": "London: published figures, a vintage each",
    "inequality": "London: gaps by deprivation",
    "indicators": "London: the Strategy's indicators",
    "generate": "synthetic: generating the London",
    "store": "synthetic: new store, areas, populations",
    "engine": "synthetic: computing the HIS catalogue",
    "commitments": "synthetic: the commitments' measures",
    "vintage": "synthetic: writing the vintage",
    "exports": "CSV exports (disclosure applied)",
}


def _demo_years(text: str) -> tuple[int, ...]:
    first, _, last = text.partition("-")
    try:
        start, end = int(first), int(last or first)
    except ValueError:
        raise typer.BadParameter(f"expected FIRST-LAST, e.g. 2013-2023; got {text!r}") from None
    if end < start:
        raise typer.BadParameter(f"the last year comes before the first: {text!r}")
    return tuple(range(start, end + 1))


@app.command("demo")
@reports_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("demo-output"),
    seed: int = typer.Option(20180101, "--seed", help="Seed of the synthetic London."),
    years: str = typer.Option(
        "2013-2023", "--years", help="Calendar years FIRST-LAST of the synthetic London."
    ),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the reports as PDF."),
    synthetic: bool = typer.Option(
        True, "--synthetic/--no-synthetic", help="Also run the synthetic record-level London."
    ),
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot",
            exists=True,
            file_okay=False,
            help="Snapshot folder written by scripts/build_london_snapshot.py (default: the "
            "one shipped with healthgap).",
        ),
    ] = None,
    ward_lookup: Annotated[
        Path | None,
        typer.Option(
            "--ward-lookup",
            exists=True,
            dir_okay=False,
            help="ONS 'LSOA (2011) to Ward (2011) Lookup' CSV (Open Geography Portal): adds "
            "the life-expectancy gap across London's wards ranked by deprivation.",
        ),
    ] = None,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Run the main job: the real London report from published figures, and the synthetic one.

    Loads the snapshot of real published figures shipped with healthgap (London, its 33
    boroughs and England; one vintage per source) into a new store in OUT/london, computes
    the gaps by deprivation and the Strategy's indicators, and writes the report and CSV
    exports. Then, separate and labelled synthetic, generates the record-level synthetic
    London in OUT/synthetic and computes the whole HIS catalogue from it, with its report.
    With --ward-lookup, the gap by deprivation is also computed across London's wards (ward
    life expectancy by within-London deprivation decile, its slope index and the decile
    10-1 gap); without it, a line on stderr says what is missing and where to get it.

    Example: healthgap demo --out demo-output --ward-lookup LSOA11_WD11_LU.csv
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from healthgap.errors import InputError
    from healthgap.london import demo as london_demo
    from healthgap.london import job
    from healthgap.london.synthetic import pipeline
    from healthgap.publish._output_paths import check_replaceable_folder

    bars = Progress(
        TextColumn("{task.description:<42}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        disable=quiet or not stderr.is_terminal,
    )
    tasks: dict[str, Any] = {}

    def progress(prefix: str, stage: str, done: int, total: int) -> None:
        key = f"{prefix}{stage}"
        if key not in tasks:
            label = _DEMO_STAGES.get(stage, f"{prefix}{stage}")
            tasks[key] = bars.add_task(label, total=total)
        bars.update(tasks[key], completed=done, total=total)

    # refuse before any data or store is made again
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} is a file; give a folder")
    check_replaceable_folder(out / "london" / "report")
    if synthetic:
        pipeline.check_out(out / "synthetic")
        check_replaceable_folder(out / "synthetic" / "report")
    with bars:
        done = london_demo.run(
            out,
            seed=seed,
            years=_demo_years(years),
            pdf=pdf,
            synthetic=synthetic,
            snapshot=snapshot or job.SNAPSHOT_DIR,
            ward_lookup=ward_lookup,
            progress=progress,
        )
    real, real_files = done.real, done.real_files
    for note in real.notes:
        typer.echo(f"healthgap: {note}", err=True)
    typer.echo("London (real published figures)")
    typer.echo(
        f"vintage {real.vintage}: {real.n_values:,} values of the gaps; "
        f"{len(real.indicator_ids)} indicators with {len(real.source_vintages)} source vintages"
    )
    typer.echo(f"store   {real.store_path}")
    typer.echo(f"exports {real_files.exports}")
    for page in real_files.report:
        typer.echo(f"report  {page}")
    fake, fake_files = done.fake, done.fake_files
    if fake is not None and fake_files is not None:
        typer.echo(f"synthetic London (synthetic data), seed {seed}, years {years}")
        typer.echo(
            f"vintage {fake.vintage}: {len(fake.indicator_ids)} indicators, "
            f"{fake.n_values:,} values"
        )
        typer.echo(f"data    {fake.data_dir}")
        typer.echo(f"store   {fake.store_path}")
        typer.echo(f"exports {fake_files.exports}")
        for page in fake_files.report:
            typer.echo(f"report  {page}")


# -- the web tool: API and dashboard, served or static (healthgap.publish.web) --


@app.command("serve")
@reports_errors
def serve(
    store_path: Path = STORE_OPTION,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help=(
            "Processes, each with the store open read-only and its own copy of the values "
            "it has read: more answer more requests at once on more cores, for more memory."
        ),
    ),
    cache_mb: float = typer.Option(
        128,
        "--cache-mb",
        min=0,
        help="Memory for whole responses kept per process (MB; 0 keeps none).",
    ),
    strategy: str | None = STRATEGY_OPTION,
) -> None:
    """Serve the dashboard, API v1 and the Fingertips-compatible API (store read-only).

    Every response names its vintage set; repeated requests are answered from memory
    (ETag, 304 Not Modified). Example:
    healthgap serve --store demo-output/healthgap.duckdb --port 8000 --workers 2
    """
    import uvicorn

    from healthgap.publish.web import ResponseCache, create_app

    options = _strategy_options(strategy)
    cache = ResponseCache(int(cache_mb * 2**20))
    # opens and checks the store before listening
    web = create_app(
        store_path,
        strategy=options.get("strategy"),
        world_cities=options.get("world_cities", ()),
        cache=cache,
    )
    stderr.print(f"healthgap: dashboard http://{host}:{port}/  API http://{host}:{port}/api/docs")
    # uvicorn closes a connection idle for 5 s by default; a client with a connection pool
    # (httpx, requests) may send on one at that very moment and get a connection reset for
    # a request never read (3 in 3,684 under 50 clients). Idle connections cost little here.
    keep_alive = 75
    if workers == 1:
        uvicorn.run(web, host=host, port=port, log_level="warning", timeout_keep_alive=keep_alive)
    else:
        web.state.published.close()
        import os

        os.environ["HEALTHGAP_STORE"] = str(store_path)
        os.environ["HEALTHGAP_CACHE_MB"] = f"{cache_mb:g}"
        if options.get("strategy_dir") is not None:
            os.environ["HEALTHGAP_STRATEGY"] = str(options["strategy_dir"])
        uvicorn.run(
            "healthgap.publish.web.app:from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_keep_alive=keep_alive,
        )


@app.command("site")
@reports_errors
def site(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (replaced).")],
    store_path: Path = STORE_OPTION,
    strategy: str | None = STRATEGY_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Write the dashboard as static files (HTML, JS, JSON, CSV) for any static host.

    Example: healthgap site --store demo-output/healthgap.duckdb --out site/
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from healthgap.publish.web import write_site

    bars = Progress(
        TextColumn("pages"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr,
        disable=quiet or not stderr.is_terminal,
    )
    with bars:
        task = bars.add_task("pages", total=None)
        options = _strategy_options(strategy)
        pages = write_site(
            store_path,
            out,
            progress=lambda done, total: bars.update(task, completed=done, total=total),
            strategy=options.get("strategy"),
            world_cities=options.get("world_cities", ()),
        )
    typer.echo(f"wrote {len(pages)} pages to {out}")
    typer.echo(f"html {out / 'index.html'}")


if __name__ == "__main__":  # pragma: no cover
    app()
