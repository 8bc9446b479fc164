"""Exports of a vintage (CSV, Parquet, Excel, Fingertips CSV), always after disclosure control."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from healthgap.errors import InputError
from healthgap.publish import _published
from healthgap.publish._output_paths import new_file
from healthgap.publish._safe_text import spreadsheet_safe, spreadsheet_text
from healthgap.publish._xlsx import save_fixed
from healthgap.store import Store

__all__ = ["FORMATS", "export", "published_values"]

Format = Literal["csv", "parquet", "xlsx", "fingertips"]
FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx", "fingertips")
EXCEL_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header
XLSX_CREATOR = "healthgap"  # the workbooks' author, by which a rerun knows its own file


def published_values(
    store: Store, vintage: str | None = None, indicator_ids: Sequence[str] | None = None
) -> pa.Table:
    """Return a vintage's values as they may be published: disclosure control applied.

    Each indicator's :class:`~healthgap.catalogue.metadata.DisclosureRule` comes from the
    metadata the vintage was written with (frozen with it, so later imports change nothing
    it publishes); indicators without metadata get the default rule. Secondary suppression
    uses the vintage's area hierarchy, and crude rates and proportions without a count are
    judged by the count their value and denominator imply
    (:func:`~healthgap.publish.disclosure.apply_disclosure`). This is the one entry point
    for everything published: exports, the report and its downloads, the web API. An
    indicator's published values are computed once and kept while the store is open
    (a vintage never changes), so repeated calls are cheap.

    Parameters
    ----------
    store : Store
    vintage : str, optional
        Vintage id or unique prefix; None for the latest.
    indicator_ids : sequence of str, optional
        Keep only these indicators.

    Returns
    -------
    pyarrow.Table
        Columns of :data:`~healthgap.store.schema.VALUES`, sorted by key.
    """
    return _published.published(store, vintage, indicator_ids)


def _with_area_names(values: pa.Table, areas: pa.Table) -> pa.Table:
    names = areas.select(["area_code", "area_name"])
    joined = values.join(names, "area_code", join_type="left outer")
    order = list(values.column_names)
    order.insert(order.index("area_code") + 1, "area_name")
    keys = [
        (k, "ascending")
        for k in ("indicator_id", "area_code", "period", "sex", "age", "category_type", "category")
    ]
    return joined.select(order).sort_by(keys)


def _write_xlsx(table: pa.Table, about: dict[str, Any], path: Path, created: dt.datetime) -> None:
    from openpyxl import Workbook

    if table.num_rows > EXCEL_MAX_ROWS:
        raise InputError(
            f"xlsx export: {table.num_rows:,} rows exceed Excel's limit of {EXCEL_MAX_ROWS:,}; "
            "export fewer indicators (indicator_ids) or use csv or parquet"
        )
    table = spreadsheet_safe(table, xml=True)
    book = Workbook(write_only=True)
    book.properties.creator = XLSX_CREATOR
    sheet = book.create_sheet("values")
    sheet.append(table.column_names)
    # openpyxl writes cell by cell; the row count is bounded by Excel's limit above.
    for row in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True):
        sheet.append(row)
    notes = book.create_sheet("about")
    for key, value in about.items():
        notes.append([key, spreadsheet_text(str(value), xml=True)])
    # the vintage's own time, not the time of saving: a re-export gives the same bytes
    save_fixed(book, path, created)


def _first_line(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.readline(1 << 16)  # a header line; bounded, whatever the file holds


def _same_kind(format: str) -> Any:
    """Return ``ours(existing, written)``: whether ``existing`` is an earlier export alike."""

    def ours(existing: Path, written: Path) -> bool:
        try:
            if format == "parquet":
                from pyarrow import parquet

                return parquet.read_schema(existing).names == parquet.read_schema(written).names
            if format == "xlsx":
                with zipfile.ZipFile(existing) as book:
                    core = book.read("docProps/core.xml")
                return f"<dc:creator>{XLSX_CREATOR}</dc:creator>".encode() in core
            return _first_line(existing) == _first_line(written)
        except (OSError, KeyError, zipfile.BadZipFile, pa.ArrowException):
            return False

    return ours


def export(
    store: Store,
    vintage: str | None,
    out_path: str | Path,
    format: Format = "csv",
    indicator_ids: Sequence[str] | None = None,
) -> Path:
    """Write a vintage's values to a file, with disclosure control applied.

    The values go through :func:`~healthgap.publish.disclosure.apply_disclosure` with each
    indicator's rule from the store, whatever the format. The file is written to a temporary
    name beside ``out_path`` and renamed at the end, so a failed export leaves no partial
    file (:mod:`healthgap.publish._output_paths`). In csv, fingertips and xlsx files a text
    cell a spreadsheet would run as a formula (beginning ``=``, ``+``, ``-``, ``@``, tab or
    carriage return) gets a leading apostrophe (OWASP); numbers stay numbers.

    Parameters
    ----------
    store : Store
    vintage : str or None
        Vintage id or unique prefix; None for the latest.
    out_path : str or Path
        File to write. An existing file is replaced only if it is an earlier export of the
        same format; it may not be a folder, the store or its write-ahead log.
    format : {"csv", "parquet", "xlsx", "fingertips"}, default "csv"
        ``csv``/``parquet``/``xlsx``: the VALUES columns with ``area_name`` after
        ``area_code`` (``xlsx`` adds an ``about`` sheet: vintage, source, code version and
        disclosure statement). ``fingertips``: the Fingertips API-download CSV layout
        (:func:`healthgap.sources.write_fingertips_csv`).
    indicator_ids : sequence of str, optional
        Export only these indicators.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        Unknown format, unknown indicators, or more rows than Excel holds.
    OutputPathError
        ``out_path`` is the store, a folder, or a file healthgap did not write.
    StoreError
        Unknown vintage.
    """
    if format not in FORMATS:
        raise InputError(f"format must be one of {list(FORMATS)}; got {format!r}")
    out_path = Path(out_path)
    record = store.vintage(vintage)
    published = published_values(store, record["id"], indicator_ids)
    areas = store.areas(vintage=record["id"])
    with new_file(out_path, store=store.path, ours=_same_kind(format)) as temporary:
        if format == "fingertips":
            from healthgap.sources import write_fingertips_csv

            metas = [
                meta.model_copy(update={"name": spreadsheet_text(meta.name)})
                for meta in store.indicators(vintage=record["id"])
            ]
            write_fingertips_csv(
                spreadsheet_safe(published), spreadsheet_safe(areas), metas, temporary
            )
        else:
            table = _with_area_names(published, areas)
            if format == "csv":
                from pyarrow import csv

                csv.write_csv(spreadsheet_safe(table), temporary)
            elif format == "parquet":
                from pyarrow import parquet

                parquet.write_table(table, temporary)
            else:
                about = {
                    "vintage": record["id"],
                    "source": record["source"],
                    "label": record["label"],
                    "created_at (UTC)": record["created_at"],
                    "code_version": record["code_version"],
                    "disclosure control": "counts below each indicator's threshold, and cells "
                    "that would reveal them by subtraction, are withheld (see value_note)",
                }
                _write_xlsx(table, about, temporary, record["created_at"])
    return out_path
