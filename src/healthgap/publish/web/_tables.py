"""Rows as the API and the downloads give them: filters, pages, JSON-safe records and CSV."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl

from healthgap.errors import InputError
from healthgap.publish._safe_text import spreadsheet_safe

MAX_LIMIT = 10_000  # rows per JSON page
MAX_LIST = 200  # values of one list parameter
CSV_CHUNK = 50_000  # rows per piece of a streamed CSV


def split(name: str, text: str | None) -> list[str] | None:
    """A comma-separated query parameter as a list (None when absent).

    Raises
    ------
    InputError
        When it lists more than MAX_LIST values or an empty one.
    """
    if text is None or text == "":
        return None
    items = text.split(",")
    if len(items) > MAX_LIST:
        raise InputError(f"parameter '{name}' lists {len(items)} values; at most {MAX_LIST}")
    if any(not t for t in items):
        raise InputError(f"parameter '{name}' has an empty item: {text!r}")
    return items


def keep(frame: pl.DataFrame, column: str, wanted: Sequence[str] | None) -> pl.DataFrame:
    """Rows whose ``column`` is one of ``wanted`` (all rows when None)."""
    if wanted is None:
        return frame
    return frame.filter(pl.col(column).is_in(list(wanted)))


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts (NaN and infinities become null)."""
    rows = frame.to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
    return rows


def defuse(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula made text (the exports' rule, OWASP)."""
    return spreadsheet_safe(frame)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (empty cells for nulls), spreadsheet-safe."""
    buffer = io.BytesIO()
    defuse(frame).write_csv(buffer, null_value="")
    return buffer.getvalue()


def csv_chunks(frame: pl.DataFrame, rows: int = CSV_CHUNK) -> Iterator[bytes]:
    """The frame as CSV in pieces of ``rows`` rows (the header first): for streaming."""
    frame = defuse(frame)
    for start in range(0, max(frame.height, 1), rows):
        buffer = io.BytesIO()
        frame.slice(start, rows).write_csv(buffer, null_value="", include_header=start == 0)
        yield buffer.getvalue()


def page(frame: pl.DataFrame, limit: int, offset: int) -> pl.DataFrame:
    """One page of rows."""
    if limit > MAX_LIMIT:
        raise InputError(f"parameter 'limit' must be at most {MAX_LIMIT}; got {limit}")
    return frame.slice(offset, limit)
