"""Rows as the API and the downloads give them: filters, pages, JSON-safe records and CSV.

JSON and CSV are written by Polars from the columns (no Python object per row or cell):
a row of JSON is what :func:`records` gives, NaN and infinities as ``null``.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl

from healthgap.errors import InputError
from healthgap.publish._safe_text import FORMULA_START, spreadsheet_safe, spreadsheet_text

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


def json_rows(frame: pl.DataFrame) -> bytes:
    """Rows as a JSON array of objects, as :func:`records` gives them, written by Polars.

    Polars writes NaN and infinities as ``null`` (JSON has no such numbers; a test holds it
    to that) and dates as ISO 8601 text.
    """
    return frame.write_json().encode("utf-8") if frame.width else b"[]"


def json_body(head: dict[str, Any], rows: pl.DataFrame) -> bytes:
    """A JSON object of ``head``'s fields followed by ``"rows"``: the frame's rows."""
    text = json.dumps(head, separators=(",", ":"), allow_nan=False)
    return text[:-1].encode("utf-8") + b',"rows":' + json_rows(rows) + b"}"


def _needs_defusing(frame: pl.DataFrame) -> bool:
    """Whether any text cell or column name could start a formula (one pass, in Polars)."""
    if any(spreadsheet_text(name) != name for name in frame.columns):
        return True
    text = [n for n, t in frame.schema.items() if t in (pl.String, pl.Categorical, pl.Enum)]
    if not text or frame.height == 0:
        return False
    found = frame.select(
        pl.any_horizontal(pl.col(text).cast(pl.String).str.contains(FORMULA_START)).any()
    )
    return bool(found.item())


def defuse(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula made text (the exports' rule, OWASP).

    A frame with no such cell (nearly always) is returned as it is after one cheap search.
    """
    return spreadsheet_safe(frame) if _needs_defusing(frame) else frame


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
