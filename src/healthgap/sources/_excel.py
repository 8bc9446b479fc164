"""Excel sheets (xlsx and legacy xls) as text frames, through calamine (Rust; no per-cell Python).

Official workbooks put titles and notes above and below the table; the table starts at the
header row a reader names, and ``_line`` is the 1-based row number in the sheet.

calamine turns a sheet into one dense block from its first to its last cell: a hostile or
damaged workbook with a cell at ``A1`` and another at ``XFD1048576`` asks for 17 billion
cells (512 GB) and aborts the process. :func:`open_workbook` therefore measures every
worksheet first, streaming its XML (the cell references of rows and columns, never the
cells' values), and refuses a sheet whose block exceeds :data:`MAX_CELLS`, and a zip whose
members unpack to more than :data:`MAX_UNPACKED_BYTES` (a zip bomb).
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Callable
from itertools import zip_longest
from pathlib import Path

import polars as pl
from python_calamine import CalamineWorkbook

from healthgap.errors import InputError
from healthgap.sources._validate import Problems

#: Largest sheet read (rows x columns from A1 to the last cell): 20 million cells, 60 times
#: the largest official workbook we read (IMD 2019 File 1: 32,845 rows x 8 columns).
MAX_CELLS = 20_000_000
#: Largest total size of a workbook's unpacked parts (xlsx and ods are zip archives).
MAX_UNPACKED_BYTES = 1 << 30
_CHUNK = 1 << 22
# Cell references r="AB12" and row numbers r="12": columns of two or three letters, and rows
# of four or more digits (smaller ones cannot make a sheet exceed MAX_CELLS: 999 x 16,384).
_WIDE = re.compile(rb'r="([A-Z]{2,3})\d')
_ROWS = re.compile(rb'r="[A-Z]{0,3}(\d{4,})"')


class WorkbookTooLargeError(InputError):
    """A workbook whose sheets or parts are too large to read safely."""


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _too_big(path: str, size: int) -> None:
    raise WorkbookTooLargeError(
        f"{path}: the workbook unpacks to more than {min(size, MAX_UNPACKED_BYTES):,} bytes, "
        f"the most read safely (a zip bomb?)"
    )


def _unpacked_size(archive: zipfile.ZipFile, member: str, limit: int) -> int:
    """Bytes a member really unpacks to (its header may understate them), up to ``limit``+1."""
    size = 0
    with archive.open(member) as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                break
    return size


def _sheet_extent(archive: zipfile.ZipFile, member: str) -> tuple[int, int, int]:
    """Last row, widest column referenced and size of a worksheet's XML, read in chunks."""
    last_row, width, carry, size = 999, 26, b"", 0
    with archive.open(member) as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            text = carry + chunk
            rows = _ROWS.findall(text)
            if rows:
                last_row = max(last_row, int(max(rows, key=lambda r: (len(r), r))))
            wide = _WIDE.findall(text)
            if wide:
                width = max(width, max(_column_number(c) for c in set(wide)))
            carry = text[-256:]
            if size > MAX_UNPACKED_BYTES:
                break
    return last_row, width, size


def check_workbook(path: str | Path) -> None:
    """Refuse a workbook too large to read safely (see the module notes); others pass."""
    path = Path(path)
    stat = path.stat()
    _check_workbook(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _check_workbook(path: str, size: int, mtime: int) -> None:
    if not zipfile.is_zipfile(path):
        return  # legacy .xls (BIFF): calamine reads it record by record
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UNPACKED_BYTES:
            _too_big(path, unpacked)
        read = 0
        for member in members:
            if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", member.filename):
                read += _unpacked_size(archive, member.filename, MAX_UNPACKED_BYTES - read)
                continue
            rows, columns, size = _sheet_extent(archive, member.filename)
            read += size
            if read > MAX_UNPACKED_BYTES:
                _too_big(path, read)
            if rows * columns > MAX_CELLS:
                raise WorkbookTooLargeError(
                    f"{path}: {member.filename} spans {rows:,} rows x {columns:,} columns, "
                    f"more than the {MAX_CELLS:,} cells read safely (a cell far from the "
                    "table? delete the empty rows and columns below and right of it)"
                )


def open_workbook(path: str | Path) -> CalamineWorkbook:
    """The workbook at ``path``, after :func:`check_workbook`."""
    check_workbook(path)
    return CalamineWorkbook.from_path(str(path))


def sheet_names(path: str | Path) -> list[str]:
    """Names of the workbook's sheets."""
    return list(open_workbook(path).sheet_names)


def read_sheet(
    path: str | Path,
    sheet: str | int,
    problems: Problems,
    is_header: Callable[[list], bool] | None = None,
    header_expected: str = "a header row in the sheet",
) -> pl.DataFrame:
    """The table of one sheet as text columns named by its header row, with ``_line``.

    ``is_header(row)`` picks the header row (default: the first row; ``header_expected`` says
    what was looked for when no row is). Columns without a
    header are named ``_col<index>``; duplicate header names get ``_2``, ``_3`` suffixes.
    """
    workbook = open_workbook(path)
    names = list(workbook.sheet_names)
    if isinstance(sheet, int):
        sheet = names[sheet] if sheet < len(names) else str(sheet)
    if sheet not in names:
        problems.add_file_problem("sheet", str(sheet), f"one of the sheets {names}")
        problems.raise_if_any()
    rows = workbook.get_sheet_by_name(sheet).to_python()
    start = next((i for i, r in enumerate(rows) if (is_header or (lambda _: True))(r)), None)
    if start is None:
        problems.add_file_problem("header", sheet, header_expected)
        problems.raise_if_any()
    header = [cell_text(h) for h in rows[start]]
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


def cell_text(value: object) -> str:
    """Header cell as text; numeric headers (ages 0..89 stored as numbers) without '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""
