"""The ``healthgap`` command line: thin wrappers that parse, call the public API and print.

Results go to stdout; progress and messages to stderr. Exit 0 on success, 1 on a
:class:`~healthgap.errors.HealthgapError` (one line, no traceback), 2 on usage errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from healthgap import __version__
from healthgap.errors import HealthgapError

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
    """Turn a HealthgapError into one ``Error: ...`` line on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except HealthgapError as exc:
            stderr.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


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
    """List the statistical methods in healthgap.methods.

    Example: healthgap methods
    """
    from healthgap import methods

    for name in methods.__all__:
        stdout.print(name, highlight=False)


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


def _tsv(table: Any, limit: int | None = None) -> None:
    """Print an Arrow table as tab-separated lines with a header (nulls as empty)."""
    rows = table.slice(0, limit).to_pylist() if limit is not None else table.to_pylist()
    typer.echo("\t".join(table.column_names))
    for row in rows:
        typer.echo("\t".join("" if v is None else str(v) for v in row.values()))


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
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
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

    with Store.open(store_path) as store:
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

    with Store.open(store_path) as store:
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

    with Store.open(store_path) as store:
        record = store.vintage(vintage)
    for key in ("id", "created_at", "source", "label", "code_version", "n_values"):
        typer.echo(f"{key}: {record[key]}")
    typer.echo(f"parameters: {record['parameters']}")
    for item in json.loads(record["inputs"]):
        typer.echo(f"input: {item['name']}  {item['size']:,} bytes  sha256 {item['sha256']}")
    typer.echo(f"indicators: {', '.join(record['indicator_ids'])}")


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

    with Store.open(store_path) as store:
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

    with Store.open(store_path) as store:
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

    with Store.open(store_path) as store:
        area = store.area(code)
        parents = store.parents(code)
    for key, value in area.items():
        typer.echo(f"{key}: {'' if value is None else value}")
    for row in parents.to_pylist():
        typer.echo(
            f"parent ({row['hierarchy']}, level {row['level']}): {row['area_code']} "
            f"{row['area_name'] or ''} {row['area_type'] or ''}".rstrip()
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


@app.command("report")
@reports_errors
def write_indicator_report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (replaced).")],
    vintage: str | None = typer.Option(
        None, "--vintage", help="Vintage id or unique prefix (default: the latest)."
    ),
    pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf (WeasyPrint)."),
    store_path: Path = STORE_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Write the indicator report of a vintage: an offline, accessible HTML site (and a PDF).

    Example: healthgap report --vintage 3f2a --out report/ --pdf
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

    with bars, Store.open(store_path) as store:
        result = write_report(store, vintage, out, pdf=pdf, progress=progress)
    typer.echo(
        f"wrote {result.n_pages} pages, {result.n_charts} charts, "
        f"{result.n_downloads} downloads for vintage {result.vintage}"
        + (" (synthetic data)" if result.synthetic else "")
    )
    typer.echo(f"html {result.index_html}")
    if result.pdf_path is not None:
        typer.echo(f"pdf {result.pdf_path} ({result.pdf_pages} pages)")


# -- the main job: the demo London, end to end (healthgap.pipeline) --

_DEMO_STAGES = {
    "generate": "generating the demo London",
    "store": "new store: areas, populations",
    "engine": "computing the HIS catalogue",
    "commitments": "the commitments' measures",
    "vintage": "writing the vintage",
    "exports": "CSV exports (disclosure applied)",
    "summary": "HTML summary",
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
    years: str = typer.Option("2013-2023", "--years", help="Calendar years FIRST-LAST."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the report as PDF."),
    quiet: bool = QUIET_OPTION,
) -> None:
    """Run the main job on a synthetic London: data, store, every HIS indicator, the report.

    Generates the demo London, computes the whole Health Inequalities Strategy catalogue for
    every borough, London and deprivation decile into one vintage of a new store, then
    writes the report (or an HTML summary) and CSV exports with disclosure control applied.

    Example: healthgap demo --out demo-output
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from healthgap import pipeline
    from healthgap.publish.export import export, published_values
    from healthgap.store import Store

    bars = Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        disable=quiet or not stderr.is_terminal,
    )
    tasks: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(_DEMO_STAGES.get(stage, stage), total=total)
        bars.update(tasks[stage], completed=done, total=total)

    try:
        from healthgap.publish.report import write_report
    except ImportError:  # the report is optional: a plain summary stands in
        write_report = None

    with bars:
        result = pipeline.run(out, seed=seed, years=_demo_years(years), progress=progress)
        with Store.open(result.store_path) as store:
            progress("exports", 0, 1)
            csv_path = export(store, result.vintage, out / "exports" / "his_values.csv", "csv")
            progress("exports", 1, 1)
            if write_report is not None:
                report = write_report(
                    store, result.vintage, out / "report", pdf=pdf, progress=progress
                )
                pages = [report.index_html, *([report.pdf_path] if report.pdf_path else [])]
            else:
                progress("summary", 0, 1)
                summary = pipeline.write_summary(
                    published_values(store, result.vintage),
                    store,
                    result.vintage,
                    out / "summary.html",
                )
                progress("summary", 1, 1)
                pages = [summary]
    typer.echo(f"demo London (synthetic data), seed {seed}, years {years}")
    typer.echo(
        f"vintage {result.vintage}: {len(result.indicator_ids)} indicators, "
        f"{result.n_values:,} values"
    )
    typer.echo(f"data    {result.data_dir}")
    typer.echo(f"store   {result.store_path}")
    typer.echo(f"exports {csv_path}")
    for page in pages:
        typer.echo(f"report  {page}")


if __name__ == "__main__":  # pragma: no cover
    app()
