"""The margins spreadsheet programs leave around a CSV table, found so the reader can skip them.

A table saved from Excel (or written by hand around a published table) often has:

* **title rows above the header**: the table's title, its source, a blank line; each such
  line has at most one non-empty field (``Life expectancy at birth,,,,``);
* **empty columns to the right**: a header and rows ending in ``,,`` (cells once formatted);
* **empty rows**: ``,,,,`` lines and blank lines, anywhere, and at the end;
* **notes below the table**: after a blank row, lines whose only text is in the first field
  (``Source: OHID Fingertips``).

Only these shapes are margins. A line with two or more fields of text is never skipped, and
text below the table that does not follow a blank row stays, so a damaged table is still
refused by the reader's checks rather than silently shortened.
"""

from __future__ import annotations

import csv
import io
import re

import polars as pl

__all__ = ["drop_empty_columns", "leading_title_lines", "margin_rows"]

#: How far down a file the header is looked for (titles above it are short).
MAX_TITLE_LINES = 50
_UNNAMED = re.compile(r"^(?:|_duplicated_\d+)$")


def leading_title_lines(head: bytes, separator: str) -> int:
    """Physical lines before the header: leading lines with at most one non-empty field.

    Returns 0 when the first line is the header, or when no line in the first
    :data:`MAX_TITLE_LINES` records has two fields of text (then nothing looks like a header,
    and the reader's own checks report the file).
    """
    text = io.StringIO(head.decode("utf-8", errors="replace").lstrip("\ufeff"), newline="")
    reader = csv.reader(text, delimiter=separator)
    lines = 0
    try:
        for number, row in enumerate(reader):
            if number >= MAX_TITLE_LINES:
                return 0
            if sum(1 for field in row if field.strip()) >= 2:
                return lines
            lines = reader.line_num
    except csv.Error:
        return 0
    return 0


def drop_empty_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop columns without a header name whose every cell is empty (Excel's trailing ``,,``)."""
    unnamed = [c for c in frame.columns if _UNNAMED.match(c)]
    if not unnamed:
        return frame
    empty = frame.select(_blank(pl.col(c), frame.schema[c]).all().alias(c) for c in unnamed).row(0)
    return frame.drop([c for c, is_empty in zip(unnamed, empty, strict=True) if is_empty])


def margin_rows(frame: pl.DataFrame) -> pl.Series:
    """Boolean mask of the rows that are margins: empty rows, and notes below the table.

    Notes are the rows after the last row with two or more fields of text, when a blank row
    separates them from it and each has text in its first field only. One pass counts each
    row's filled fields; the common case, no empty row, stops there.
    """
    data = [c for c in frame.columns if c != "_line"]
    none = pl.Series("margin", [False] * frame.height, dtype=pl.Boolean)
    if not data or not frame.height:
        return none
    # the reader gives empty fields as null: counting non-nulls is one cheap pass
    filled = frame.select(pl.sum_horizontal(pl.col(c).is_not_null() for c in data).alias("filled"))[
        "filled"
    ]
    blank = filled == 0
    if not blank.any():
        return none
    rows = (filled >= 2).arg_true()
    if not rows.len():
        return blank.rename("margin")
    last = int(rows[-1])
    after_filled = filled.slice(last + 1)
    first = frame[data[0]].slice(last + 1)
    first_filled = first.is_not_null()
    if first.dtype == pl.String:
        first_filled = first_filled & (first.str.strip_chars() != "")
    notes = (after_filled == 0) | ((after_filled == 1) & first_filled)
    below = after_filled.len() > 0 and bool(after_filled[0] == 0) and bool(notes.all())
    tail = pl.Series([False] * (last + 1) + [below] * after_filled.len(), dtype=pl.Boolean)
    return (blank | tail).rename("margin")


def _blank(column: pl.Expr, dtype: pl.DataType = pl.String) -> pl.Expr:
    if dtype != pl.String:
        return column.is_null()
    return column.is_null() | (column.str.strip_chars() == "")
