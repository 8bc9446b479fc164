"""CSV files as official publishers write them, read safely into text frames with ``_line``.

One reader for every importer, so each refuses the same malformed files with one clear line
instead of a parser's traceback or, worse, a silently wrong table:

* **Encodings.** UTF-8 with or without a byte-order mark; UTF-16 and UTF-32 with a
  byte-order mark (transcoded); text that is not UTF-8 but is valid Windows-1252 (a superset
  of Latin-1 for printable text, as Excel's "CSV" saves it) is transcoded. Anything else
  (binary data, a zip or Excel file given as CSV) is refused naming the byte and line.
* **Structure.** An unclosed quote (an odd number of ``"`` in the file) is refused naming
  the line where the quoted field opens; a row with more fields than the header is refused
  naming its line; a file that ends mid-row (no final line end and fewer fields than the
  header on the last line) is refused as truncated.
* **Lines.** ``_line`` is the 1-based line where each record starts in the file (the header
  is line 1 unless title rows stand above it), counting newlines inside quoted fields.
* **Margins** (:mod:`~healthgap.sources._csv_margins`). Title rows above the header, empty
  columns to the right, empty rows, and notes below the table after a blank row, as a
  spreadsheet program saves them, are skipped.

The checks cost one pass over the file's bytes in 16 MiB chunks (``bytes.count`` in C) and,
only when a file is refused, a second pass to find the line to name.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from healthgap.errors import InputError
from healthgap.sources._csv_margins import drop_empty_columns, leading_title_lines, margin_rows

__all__ = ["CsvFileError", "read_csv", "read_header"]

_CHUNK = 1 << 24
_HEAD = 1 << 16
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an Excel .xlsx workbook?)",
    b"\xd0\xcf\x11\xe0": "a legacy Excel .xls workbook",
    b"%PDF": "a PDF document",
    b"PAR1": "a Parquet file",
}


class CsvFileError(InputError):
    """A CSV file cannot be read as a table: wrong encoding, unclosed quote, ragged or cut."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class _Scan:
    """What one pass over the bytes tells: size, newlines, quotes, head and tail."""

    size: int
    newlines: int
    quotes: int
    head: bytes
    tail: bytes


def _scan_bytes(data: bytes) -> _Scan:
    return _Scan(len(data), data.count(b"\n"), data.count(b'"'), data[:_HEAD], data[-_HEAD:])


def _scan_file(path: Path) -> _Scan:
    size = newlines = quotes = 0
    head = tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if not head:
                head = chunk[:_HEAD]
            size += len(chunk)
            newlines += chunk.count(b"\n")
            quotes += chunk.count(b'"')
            tail = (tail + chunk)[-_HEAD:]
    return _Scan(size, newlines, quotes, head, tail)


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _without_lines(data: bytes, lines: int) -> bytes:
    """``data`` after its first ``lines`` physical lines."""
    offset = 0
    for _ in range(lines):
        offset = data.index(b"\n", offset) + 1
    return data[offset:]


def _decode(path: Path, head: bytes) -> bytes | None:
    """UTF-8 bytes of a UTF-16/32 file (by its byte-order mark); None when already 8-bit."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            try:
                return path.read_bytes().decode(codec).encode("utf-8")
            except UnicodeDecodeError as exc:
                raise CsvFileError(
                    path, f"not valid {codec.upper()} text (byte {exc.start}); save it as UTF-8"
                ) from None
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            raise CsvFileError(path, f"this is {what}, not a CSV text file")
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) > len(head) // 4 and min(even, odd) == 0:
            codec = "utf-16-le" if odd else "utf-16-be"
            try:
                return path.read_bytes().decode(codec).encode("utf-8")
            except UnicodeDecodeError:
                pass
        offset = head.index(b"\x00")
        raise CsvFileError(
            path,
            f"binary data, not CSV text (a NUL byte on line {_line_of_offset(head, offset)}); "
            "expected a UTF-8 CSV file",
        )
    return None


def _windows_1252(path: Path, data: bytes) -> bytes:
    """UTF-8 bytes of a file that is not UTF-8, when it is valid Windows-1252 text."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first = exc.start
    else:  # pragma: no cover - polars said it was not UTF-8
        return data
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise CsvFileError(
            path,
            f"not UTF-8 text (byte 0x{data[first]:02x} on line {_line_of_offset(data, first)}) "
            f"nor Windows-1252/Latin-1 (byte 0x{data[exc.start]:02x}); save it as UTF-8",
        ) from None
    controls = sum(text.count(chr(c)) for c in range(0x01, 0x09))
    if controls:
        raise CsvFileError(
            path,
            f"binary data, not CSV text (control characters; first bad byte on line "
            f"{_line_of_offset(data, first)}); expected a UTF-8 CSV file",
        )
    return text.encode("utf-8")


def _open_quote_line(data: bytes) -> int:
    """Line where the last quoted field that is never closed opens."""
    opened, line = 1, 1
    inside = False
    for number, text in enumerate(data.split(b"\n"), start=1):
        for _ in range(text.count(b'"')):
            inside = not inside
            if inside:
                opened = number
        line = number
    return opened if inside else line


def _ragged_line(data: bytes, separator: str, width: int) -> tuple[int, int] | None:
    """First record with more fields than the header: (line where it starts, fields)."""
    text = io.StringIO(data.decode("utf-8", errors="replace"), newline="")
    reader = csv.reader(text, delimiter=separator)
    start = 1
    try:
        for row in reader:
            if len(row) > width:
                return start, len(row)
            start = reader.line_num + 1
    except csv.Error:
        return None
    return None


def _fields_on_last_line(tail: bytes, separator: str) -> int | None:
    """Fields of the last physical line, when no quoted field spans into it."""
    last = tail.rsplit(b"\n", 1)[-1]
    if last.count(b'"') % 2:
        return None
    text = io.StringIO(last.decode("utf-8", errors="replace"), newline="")
    try:
        row = next(csv.reader(text, delimiter=separator), [])
    except csv.Error:
        return None
    return len(row)


def _message(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def read_header(
    path: str | Path, *, separator: str = ",", header_line: int | None = None
) -> list[str]:
    """Column names of a CSV file's header, after the same checks as :func:`read_csv`."""
    frame = read_csv(path, separator=separator, n_rows=0, header_line=header_line)
    return [c for c in frame.columns if c != "_line"]


def find_header_line(path: str | Path, names: list[str], *, separator: str = ",") -> int | None:
    """The 1-based line, among the first 50, whose fields include every name in ``names``.

    For a table whose caller knows its column names, below title lines that
    :func:`read_csv` cannot tell from a header (``Table 1,Rates by area``).
    """
    scan = _scan_file(Path(path))
    data = _decode(Path(path), scan.head)
    head = (data if data is not None else scan.head)[:_HEAD]
    text = io.StringIO(head.decode("utf-8", errors="replace").lstrip("\ufeff"), newline="")
    reader = csv.reader(text, delimiter=separator)
    wanted = {n.strip() for n in names}
    start = 1
    try:
        for number, row in enumerate(reader):
            if number >= 50:
                return None
            if wanted <= {field.strip() for field in row}:
                return start
            start = reader.line_num + 1
    except csv.Error:
        return None
    return None


def read_csv(
    path: str | Path,
    *,
    columns: list[str] | None = None,
    separator: str = ",",
    schema_overrides: dict[str, pl.DataType] | None = None,
    n_rows: int | None = None,
    allow_short_rows: bool = False,
    header_line: int | None = None,
) -> pl.DataFrame:
    """Read a CSV file as text columns (or ``schema_overrides``) plus ``_line``.

    Parameters
    ----------
    path : str or Path
        The file.
    columns : list of str, optional
        Columns to read (default all); must be in the header.
    separator : str, default ","
        Field separator.
    schema_overrides : dict, optional
        Types of some columns (e.g. ``Float64`` for a fast path); a cell that does not parse
        raises :class:`polars.exceptions.ComputeError` for the caller to retry as text.
    n_rows : int, optional
        Read only the header and this many rows (no checks on the rest of the file).
    allow_short_rows : bool, default False
        Accept rows with fewer fields than the header (their last columns missing), as the
        Fingertips API download writes them. Otherwise such a row is refused, naming its
        line, when records are one line each (a file with quoted line breaks is checked at
        its last line only).
    header_line : int, optional
        The 1-based line of the header (default: the first line with two fields of text;
        see :func:`find_header_line`).

    Returns
    -------
    polars.DataFrame
        Header names stripped of surrounding spaces; ``_line`` (Int64) is the line each
        record starts on.

    Raises
    ------
    CsvFileError
        An empty file, binary data, an encoding that is neither UTF-8/16/32 nor Windows-1252,
        an unclosed quote, a row with more fields than the header, a truncated last row.
    """
    path = Path(path)
    scan = _scan_file(path)
    data = _decode(path, scan.head)
    if data is not None:
        scan = _scan_bytes(data)
    if not scan.head.lstrip(codecs.BOM_UTF8).strip():
        raise CsvFileError(path, "the file is empty; expected a CSV file with a header row")
    if scan.quotes % 2 and n_rows is None:
        data = data if data is not None else path.read_bytes()
        raise CsvFileError(
            path,
            f"a quoted field opened on line {_open_quote_line(data)} is never closed "
            "(an odd number of '\"' in the file)",
        )
    options = {
        "infer_schema": False,
        "separator": separator,
        "raise_if_empty": False,
        "n_rows": n_rows,
    }
    skip = leading_title_lines(scan.head, separator) if header_line is None else header_line - 1
    if skip:
        data = _without_lines(data if data is not None else path.read_bytes(), skip)
        scan = _scan_bytes(data)
    source: Path | bytes = path if data is None else data
    try:
        header = _header(source, separator)
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc).lower():
            raise CsvFileError(path, f"cannot read the header: {_message(exc)}") from None
        data = _without_lines(_windows_1252(path, path.read_bytes()), skip)
        source, scan = data, _scan_bytes(data)
        header = _header(source, separator)
    names = _clean_names(header)
    wanted = None if columns is None else [h for h in header if names[h] in columns]
    for attempt in range(2):  # the second after transcoding Windows-1252 text
        try:
            frame = _read(source, wanted, options, schema_overrides, names)
            break
        except pl.exceptions.ComputeError as exc:
            text = str(exc)
            if "utf-8" in text.lower() and attempt == 0 and data is None:
                data = _windows_1252(path, path.read_bytes())
                source, scan = data, _scan_bytes(data)
                continue
            if "more fields" in text:
                raw = data if data is not None else path.read_bytes()
                found = _ragged_line(raw, separator, len(header))
                where = (
                    f"line {found[0] + skip} has {found[1]} fields"
                    if found
                    else "a row has more fields"
                )
                raise CsvFileError(
                    path,
                    f"{where} but the header has {len(header)}; expected one field per column",
                ) from None
            if schema_overrides and "could not parse" in text:
                raise
            raise CsvFileError(path, f"cannot read as CSV: {_message(exc)}") from None
    frame = _finish(scan, options, frame)
    margins = (
        margin_rows(frame)
        if n_rows is None
        else pl.Series([False] * frame.height, dtype=pl.Boolean)
    )
    if n_rows is None and not (margins.len() and margins[-1]):
        _refuse_truncated(path, scan, options["separator"], len(names), frame.height, skip)
    any_margin = bool(margins.any())
    if not allow_short_rows and n_rows is None and frame.height:
        margin_lines = frame.filter(margins)["_line"] if any_margin else None
        _refuse_short_rows(
            path, source, scan, separator, (len(header), frame.height), margin_lines, skip
        )
    frame = drop_empty_columns(frame.filter(~margins) if any_margin else frame)
    return frame.with_columns(pl.col("_line") + skip) if skip else frame


def _refuse_truncated(
    path: Path, scan: _Scan, separator: str, width: int, height: int, skip: int
) -> None:
    """Raise when the file ends mid-row: no final line end and fewer fields than the header."""
    if scan.tail and scan.tail[-1:] not in (b"\n", b"\r") and height:
        fields = _fields_on_last_line(scan.tail, separator)
        if fields is not None and 0 < fields < width:
            raise CsvFileError(
                path,
                f"the last line ({scan.newlines + 1 + skip}) ends without a line end after "
                f"{fields} of the header's {width} fields: the file looks truncated",
            )


def _refuse_short_rows(
    path: Path,
    source: Path | bytes,
    scan: _Scan,
    separator: str,
    shape: tuple[int, int],
    margin_lines: pl.Series | None,
    skip: int,
) -> None:
    """Raise when a record has fewer fields than the header (one record per line only).

    Each line is read whole (no quoting), quoted fields are removed and the separators that
    remain counted: all lines at once, in Polars. Margin lines (notes below the table) are
    not records.
    """
    width, height = shape
    ends_with_newline = scan.tail[-1:] == b"\n"
    if scan.newlines != height + ends_with_newline:
        return  # quoted line breaks: lines are not records
    lines = pl.read_csv(
        source if isinstance(source, Path) else io.BytesIO(source),
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        new_columns=["text"],
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )
    text = pl.col("text").fill_null("")
    if scan.quotes:
        text = text.str.replace_all(r'"(?:[^"]|"")*"', "")
    fields = lines.select(
        (text.str.count_matches(re.escape(separator), literal=False) + 1).alias("fields"),
        (pl.int_range(pl.len()) + 1).alias("line"),
        pl.col("text").fill_null("").str.strip_chars().alias("_content"),
    ).filter((pl.col("line") > 1) & (pl.col("_content") != "") & (pl.col("fields") < width))
    if margin_lines is not None:
        fields = fields.filter(~pl.col("line").is_in(margin_lines.implode()))
    if fields.height:
        first = fields.row(0, named=True)
        more = f" (and {fields.height - 1:,} more rows)" if fields.height > 1 else ""
        raise CsvFileError(
            path,
            f"line {first['line'] + skip} has {first['fields']} fields but the header has {width}"
            f"{more}; expected one field per column",
        )


def _clean_names(header: list[str]) -> dict[str, str]:
    """Header names without surrounding spaces or byte-order mark, unless that repeats one."""
    names: dict[str, str] = {}
    taken = set(header)
    for name in header:
        clean = name.strip().lstrip("\ufeff").strip()
        if clean != name and clean in taken:
            clean = name
        taken.add(clean)
        names[name] = clean
    return names


def _header(source: Path | bytes, separator: str) -> list[str]:
    return pl.read_csv(
        source if isinstance(source, Path) else io.BytesIO(source),
        n_rows=0,
        separator=separator,
        infer_schema=False,
        raise_if_empty=False,
    ).columns


def _read(
    source: Path | bytes,
    wanted: list[str] | None,
    options: dict,
    schema_overrides: dict | None,
    names: dict[str, str],
) -> pl.DataFrame:
    by_file_name = {v: k for k, v in names.items()}
    overrides = (
        {by_file_name.get(k, k): v for k, v in schema_overrides.items() if k in by_file_name}
        if schema_overrides
        else None
    )
    frame = pl.read_csv(
        source if isinstance(source, Path) else io.BytesIO(source),
        columns=wanted,
        schema_overrides=overrides,
        **options,
    )
    present = set(frame.columns)
    return frame.rename({k: v for k, v in names.items() if k in present and k != v})


def _finish(scan: _Scan, options: dict, frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``_line``, the line each record starts on (counted from the header, line 1)."""
    ends_with_newline = scan.tail[-1:] == b"\n"
    simple = scan.newlines == frame.height + ends_with_newline
    if options["n_rows"] is not None or not frame.height or simple:
        line = pl.int_range(pl.len()) + 2
    else:  # records spanning lines (or blank lines): count quoted newlines before each
        text = [c for c, t in frame.schema.items() if t == pl.String]
        newlines = (
            pl.sum_horizontal(pl.col(c).str.count_matches("\n").fill_null(0) for c in text)
            if text
            else pl.lit(0)
        )
        line = 2 + newlines.cum_sum() - newlines + pl.int_range(pl.len())
    return frame.with_columns(line.cast(pl.Int64).alias("_line"))
