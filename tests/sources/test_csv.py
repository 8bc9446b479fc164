"""The shared CSV reader (private module healthgap.sources._csv): encodings and structure."""

from __future__ import annotations

import codecs

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthgap.errors import InputError
from healthgap.sources._csv import CsvFileError, read_csv, read_header

TEXT = "code,name,value\nE09000001,Café,1.5\nE09000002,Ærø,2\n"


def _rows(frame: pl.DataFrame) -> list[tuple]:
    return frame.drop("_line").rows()


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with its byte-order mark, as Excel's "Unicode text" saves
        TEXT.encode("utf-16-le"),  # without a byte-order mark
        TEXT.encode("utf-16-be"),
        TEXT.encode("utf-32"),
        TEXT.encode("cp1252"),  # Excel's "CSV" on Windows
        TEXT.replace("\n", "\r\n").encode("latin-1"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16le", "utf16be", "utf32", "cp1252", "latin1-crlf"],
)
def test_every_encoding_reads_the_same_table(tmp_path, encoded):
    path = tmp_path / "f.csv"
    path.write_bytes(encoded)
    frame = read_csv(path)
    assert frame.columns == ["code", "name", "value", "_line"]
    assert _rows(frame) == [("E09000001", "Café", "1.5"), ("E09000002", "Ærø", "2")]
    assert frame["_line"].to_list() == [2, 3]


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"code,name\nE09000001,\x81\x8d\n")  # undefined in Windows-1252
    with pytest.raises(CsvFileError, match=r"not UTF-8 text \(byte 0x81 on line 2\)"):
        read_csv(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (codecs.BOM_UTF8, "the file is empty"),
        (b"PK\x03\x04\x14\x00rest", r"a zip archive \(an Excel .xlsx workbook\?\)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", "a legacy Excel .xls workbook"),
        (b"a,b\n1,\x00\x01\x02\x03\n", "binary data, not CSV text"),
        (b'a,b,c\n1,"2,3\n4,5,6\n', "a quoted field opened on line 2 is never closed"),
        (b"a,b,c\n1,2,3\n4,5,6,7\n", "line 3 has 4 fields but the header has 3"),
        (b'a,b,c\n1,"x\ny",3\n4,5,6,7\n', "line 4 has 4 fields but the header has 3"),
        (b"a,b,c\n1,2,3\n7,8", r"the last line \(3\) ends .* after 2 of the header's 3 fields"),
        (b"a,b,c\n1,2,3\n4,5\n6,7,8\n", "line 3 has 2 fields but the header has 3"),
        (b'a,b,c\n"1,x",2,3\n"4,""y""",5\n', "line 3 has 2 fields but the header has 3"),
    ],
    ids=[
        "empty",
        "blank",
        "bom-only",
        "xlsx",
        "xls",
        "binary",
        "quote",
        "ragged",
        "ragged2",
        "cut",
        "short",
        "short-quoted",
    ],
)
def test_malformed_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_csv(path)
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)


def test_truncated_mid_row_is_refused_not_read_as_a_value(tmp_path):
    # issue #14: "...,2021,12" (the file cut inside "12.5,...") was stored as 12
    path = tmp_path / "f.csv"
    path.write_text("code,period,value,note\nE09000001,2021,10.5,ok\nE09000002,2021,12")
    with pytest.raises(CsvFileError, match="looks truncated"):
        read_csv(path)


def test_last_row_without_line_end_but_complete_is_kept(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('a,b,c\n1,"x\ny",3\n7,8,9')
    frame = read_csv(path)
    assert _rows(frame) == [("1", "x\ny", "3"), ("7", "8", "9")]
    assert frame["_line"].to_list() == [2, 4]  # the quoted newline moves the next record


def test_quoted_separators_doubled_quotes_and_header_spaces(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(' code , note \nE09000001,"a, ""quoted"" note"\n')
    frame = read_csv(path, columns=["note"])
    assert _rows(frame) == [('a, "quoted" note',)]
    assert read_header(path) == ["code", "note"]


def test_tab_separated(tmp_path):
    path = tmp_path / "f.tsv"
    path.write_text("code\tvalue\nE09000001\t1,5\n")
    assert _rows(read_csv(path, separator="\t")) == [("E09000001", "1,5")]


def test_huge_field_is_read_whole(tmp_path):
    path = tmp_path / "f.csv"
    big = "x" * 3_000_000
    path.write_text(f"a,b\n1,{big}\n")
    assert read_csv(path)["b"].str.len_chars().to_list() == [3_000_000]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(st.sampled_from(["a", "b", '"c', "d,e", "", " a"]), min_size=1, max_size=4),
    body=st.binary(max_size=200),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_any_bytes_give_a_frame_or_one_input_error(tmp_path, header, body, encoding):
    path = tmp_path / "f.csv"
    path.write_bytes((",".join(header) + "\n").encode(encoding) + body)
    try:
        frame = read_csv(path)
    except InputError as exc:
        message = str(exc)
    else:
        assert frame["_line"].dtype == pl.Int64
        return
    assert "\n" not in message
    assert message.startswith(str(path))


def test_short_rows_allowed_when_asked(tmp_path):
    # the Fingertips API download leaves out trailing empty fields
    path = tmp_path / "f.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n")
    assert _rows(read_csv(path, allow_short_rows=True)) == [("1", "2", "3"), ("4", "5", None)]


# Spreadsheet margins: made-up numbers in the layout Excel's "Save as CSV" gives a table
# that has a title above it, formatted empty cells to its right and a source note below.
EXCEL_SAVED = (
    "Life expectancy at birth (years),,,,\r\n"
    "Source: made-up figures for a test,,,,\r\n"
    ",,,,\r\n"
    "code,name,value,,\r\n"
    "E09000001,City,80.1,,\r\n"
    ",,,,\r\n"
    "E09000002,Barking,77.5,,\r\n"
    ",,,,\r\n"
    "Notes:,,,,\r\n"
    "1. Figures are made up.,,,,\r\n"
)


def test_excel_saved_table_is_read_without_its_margins(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(codecs.BOM_UTF8 + EXCEL_SAVED.encode())
    frame = read_csv(path)
    assert frame.columns == ["code", "name", "value", "_line"]
    assert _rows(frame) == [("E09000001", "City", "80.1"), ("E09000002", "Barking", "77.5")]
    assert frame["_line"].to_list() == [5, 7]  # lines of the file, titles counted
    assert read_header(path) == ["code", "name", "value"]


def test_title_lines_without_separators_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('"Table 1: rates, 2021"\n\ncode,value\nE09000001,1.5\n\n')
    frame = read_csv(path)
    assert _rows(frame) == [("E09000001", "1.5")]
    assert frame["_line"].to_list() == [4]


def test_errors_below_titles_name_the_line_of_the_file(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Title\n\ncode,name,value\nE09000001,City,1\nE09000002,Barking\n")
    with pytest.raises(CsvFileError, match="line 5 has 2 fields but the header has 3"):
        read_csv(path)


def test_text_below_the_table_without_a_blank_line_is_not_skipped(tmp_path):
    # a damaged last row must be reported, not taken for a note
    path = tmp_path / "f.csv"
    path.write_text("code,name,value\nE09000001,City,1\nE09000002,,\n")
    assert _rows(read_csv(path))[-1] == ("E09000002", None, None)


def test_named_empty_columns_and_unnamed_columns_with_data_are_kept(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(",code,note,\n0,E09000001,,\n1,E09000002,,\n")  # pandas' index column
    frame = read_csv(path)
    assert frame.columns == ["", "code", "note", "_line"]
    assert _rows(frame) == [("0", "E09000001", None), ("1", "E09000002", None)]
