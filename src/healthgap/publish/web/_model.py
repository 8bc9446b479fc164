"""What a dashboard page is made of: filters, sections, charts and tables (no HTML here).

The same :class:`View` is rendered by the server and written by the static export, with its
tables as JSON and CSV: a download is exactly the table the page shows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from healthgap.publish.report._style import STYLES, base_label
from healthgap.publish.report.charts import Chart


@dataclass
class Choice:
    """A filter: a named query parameter with its options and current value."""

    name: str
    label: str
    options: list[tuple[str, str]]  # (value, text)
    value: str
    navigates: bool = False  # changing it opens another page (area, indicator)
    hrefs: dict[str, str] = field(default_factory=dict)  # value -> page, when navigates


@dataclass
class Cell:
    """A table cell: text, CSS class, and the data attributes the page's script reads."""

    text: str
    cls: str = ""
    href: str = ""
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Row:
    """A table row: its cells (the first is the row header) and its filter values."""

    cells: list[Cell]
    filters: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    """A table as shown, and the frame downloaded for it (the same rows)."""

    id: str
    caption: str
    header: list[str]
    rows: list[Row]
    frame: pl.DataFrame
    note: str = ""


@dataclass
class Section:
    """A headed part of a page."""

    id: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[Chart | Table] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class View:
    """One page of the dashboard."""

    slug: str  # file name without .html: "index", "area-E09000001", ...
    title: str
    summary: str
    nav: str
    choices: list[Choice] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    hidden: dict[str, list[str]] = field(default_factory=dict)  # filter -> values to hide
    #: query parameters that filter the rows of its tables (and so its downloads)
    filters: tuple[str, ...] = ()
    #: query parameters its charts follow (the static site precomputes a chart per value)
    chart_filters: tuple[str, ...] = ()

    def tables(self) -> list[Table]:
        """Every table of the page (downloads)."""
        return [item for s in self.sections for item in s.items if isinstance(item, Table)]

    def charts(self) -> list[Chart]:
        """Every chart of the page."""
        return [item for s in self.sections for item in s.items if isinstance(item, Chart)]


def fmt(value: Any, digits: int = 1) -> str:
    """A number for a table cell ("-" when missing), thousands separated."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def comparison_cell(value: float | None, comparison: str | None, digits: int = 1) -> Cell:
    """A value coloured by its comparison, with the comparison's symbol (not colour alone)."""
    label = base_label(comparison)
    symbol = STYLES[label][3]
    text = fmt(value, digits)
    return Cell(f"{text} {symbol}" if value is not None else text, _css(label))


def _css(label: str) -> str:
    return "cmp-" + label.lower().replace(" ", "-")


def spec_json(chart: Chart) -> str:
    """A chart's spec as JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(chart.spec, sort_keys=True, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def matches(value: str, wanted: str, name: str) -> bool:
    """Whether a row's filter value passes a filter (``period``: "latest" or a period)."""
    if name == "period":
        if wanted == "latest":
            return value.startswith("latest ")
        return value == wanted or value == f"latest {wanted}"
    return value == wanted


def row_visible(row: Row, hidden: dict[str, list[str]]) -> bool:
    """Whether a row passes every filter set (an empty value means no filter)."""
    for name, wanted in hidden.items():
        if (
            name in row.filters
            and wanted
            and wanted[0]
            and not matches(row.filters[name], wanted[0], name)
        ):
            return False
    return True


def shown_frame(table: Table, hidden: dict[str, list[str]]) -> pl.DataFrame:
    """The rows of a table's download that the page shows with these filters."""
    visible = [i for i, row in enumerate(table.rows) if row_visible(row, hidden)]
    frame = table.frame
    if "_row" not in frame.columns:
        frame = frame.with_row_index("_row")
    return frame.filter(pl.col("_row").cast(pl.Int64).is_in(visible)).drop("_row")
