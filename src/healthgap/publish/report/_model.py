"""The report as data: pages made of sections holding text, charts and tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from healthgap.publish.report.charts import Chart


@dataclass(frozen=True)
class Table:
    """A table shown on a page and offered for download.

    ``frame`` is what is downloaded; ``header`` and ``rows`` (text, css class or "") are what
    is shown, so a cell can carry a comparison style. The first column is a row header.
    """

    id: str
    caption: str
    frame: pl.DataFrame
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[str, str], ...], ...]
    in_print: bool = True
    note: str = ""
    landscape: bool = False  # printed on a landscape page


@dataclass
class Section:
    """A titled part of a page (``level`` 2 or 3)."""

    id: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[Chart | Table] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    definitions: list[tuple[str, str]] = field(default_factory=list)
    level: int = 2
    in_print: bool = True  # also in the PDF


@dataclass
class Page:
    """One HTML page of the report (and one chapter of the PDF)."""

    slug: str
    title: str
    summary: str
    sections: list[Section]
    nav: str = ""  # which top-level navigation entry it belongs to
    kind: str = ""  # how the PDF lays the chapter out: "", "profile" (one page), "flow"
    in_print: bool = True  # a chapter of the PDF

    @property
    def filename(self) -> str:
        """The page's file name in the output folder."""
        return f"{self.slug}.html"

    def charts(self) -> list[Chart]:
        """Every chart on the page, in order."""
        return [i for s in self.sections for i in s.items if isinstance(i, Chart)]

    def tables(self) -> list[tuple[str, str, pl.DataFrame]]:
        """(id, title, table) of every table behind the page: charts' and plain tables."""
        out = []
        for s in self.sections:
            for item in s.items:
                if isinstance(item, Chart):
                    out.append((item.id, item.title, item.table))
                else:
                    out.append((item.id, item.caption, item.frame))
        return out


def frame_rows(frame: pl.DataFrame, digits: int = 2) -> tuple[tuple[tuple[str, str], ...], ...]:
    """A frame's rows as shown cells: numbers formatted, nulls as '-', no styles."""
    from healthgap.publish.report.charts import fmt

    shown = []
    for row in frame.iter_rows():
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append((fmt(value, digits), ""))
            elif value is None:
                cells.append(("-", ""))
            else:
                cells.append((str(value), ""))
        shown.append(tuple(cells))
    return tuple(shown)


def plain_table(
    table_id: str, caption: str, frame: pl.DataFrame, *, in_print: bool = True, note: str = ""
) -> Table:
    """A table shown as its frame is."""
    return Table(table_id, caption, frame, tuple(frame.columns), frame_rows(frame), in_print, note)
