"""Excel sheets (xlsx and legacy xls) as text frames, through calamine (Rust; no per-cell Python).

Official workbooks put titles and notes above and below the table; the table starts at the
header row a reader names, and ``_line`` is the 1-based row number in the sheet.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import zip_longest
from pathlib import Path

import polars as pl
from python_calamine import CalamineWorkbook

from healthgap.sources._validate import Problems


def sheet_names(path: str | Path) -> list[str]:
    """Names of the workbook's sheets."""
    return list(CalamineWorkbook.from_path(str(path)).sheet_names)


def read_sheet(
    path: str | Path,
    sheet: str | int,
    problems: Problems,
    is_header: Callable[[list], bool] | None = None,
) -> pl.DataFrame:
    """The table of one sheet as text columns named by its header row, with ``_line``.

    ``is_header(row)`` picks the header row (default: the first row). Columns without a
    header are named ``_col<index>``; duplicate header names get ``_2``, ``_3`` suffixes.
    """
    workbook = CalamineWorkbook.from_path(str(path))
    names = list(workbook.sheet_names)
    if isinstance(sheet, int):
        sheet = names[sheet] if sheet < len(names) else str(sheet)
    if sheet not in names:
        problems.add_file_problem("sheet", str(sheet), f"one of the sheets {names}")
        problems.raise_if_any()
    rows = workbook.get_sheet_by_name(sheet).to_python()
    start = next((i for i, r in enumerate(rows) if (is_header or (lambda _: True))(r)), None)
    if start is None:
        problems.add_file_problem("header", sheet, "a header row in the sheet")
        problems.raise_if_any()
    header = [_header_text(h) for h in rows[start]]
    body = rows[start + 1 :]
    width = len(header)
    columns = list(zip_longest(*body, fillvalue=""))[:width] if body else []
    columns += [()] * (width - len(columns))
    seen: dict[str, int] = {}
    data = {}
    for index, (name, values) in enumerate(zip(header, columns, strict=True)):
        name = name or f"_col{index}"
        seen[name] = seen.get(name, 0) + 1
        key = name if seen[name] == 1 else f"{name}_{seen[name]}"
        series = pl.Series(key, list(values), dtype=pl.String, strict=False)
        data[key] = series.str.strip_chars().replace("", None)
    frame = pl.DataFrame(data)
    return frame.with_columns((pl.int_range(pl.len()) + start + 2).cast(pl.Int64).alias("_line"))


def _header_text(value: object) -> str:
    """Header cell as text; numeric headers (ages 0..89 stored as numbers) without '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""
