"""Workbooks read with bounded memory (private module healthgap.sources._excel)."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from healthgap.sources import IMPORTERS, _excel, read_tidy
from healthgap.sources._excel import WorkbookTooLargeError, check_workbook

MAPPING = {"area_code": "Code", "value": "Value"}


def _workbook(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Code", "Value"])
    sheet.append(["E09000001", 1.5])
    book.save(path)
    return path


def _rewrite(source, target, change):
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            zout.writestr(item, data)
    return target


def test_plain_workbook_reads(tmp_path):
    path = _workbook(tmp_path / "ok.xlsx")
    check_workbook(path)
    imp = read_tidy(path, MAPPING, indicator_id="x", period="2021")
    assert imp.values.column("value").to_pylist() == [1.5]


def test_far_cell_dimension_bomb_is_refused_before_calamine_allocates(tmp_path):
    # issue #14: a cell at XFD1048576 made calamine ask for 512 GB and abort the process
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path = _rewrite(
        _workbook(tmp_path / "ok.xlsx"),
        tmp_path / "bomb.xlsx",
        lambda data: data.replace(b"</sheetData>", far + b"</sheetData>"),
    )
    with pytest.raises(WorkbookTooLargeError, match="1,048,576 rows x 16,384 columns"):
        read_tidy(path, MAPPING, indicator_id="x", period="2021")
    with pytest.raises(WorkbookTooLargeError):
        IMPORTERS["imd2019"](path)


def test_far_cell_without_row_number_is_found_too(tmp_path):
    far = b'<row><c r="AB9999999" t="inlineStr"><is><t>x</t></is></c></row>'
    path = _rewrite(
        _workbook(tmp_path / "ok.xlsx"),
        tmp_path / "bomb.xlsx",
        lambda data: data.replace(b"</sheetData>", far + b"</sheetData>"),
    )
    with pytest.raises(WorkbookTooLargeError, match="9,999,999 rows"):
        check_workbook(path)


def test_zip_bomb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(_excel, "MAX_UNPACKED_BYTES", 1 << 22)  # 4 MiB, not 2 GiB, for speed
    path = tmp_path / "zipbomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as handle:
            block = b" " * (1 << 20)
            for _ in range(_excel.MAX_UNPACKED_BYTES // len(block) + 1):
                handle.write(block)
    assert path.stat().st_size < 100_000
    with pytest.raises(WorkbookTooLargeError, match="zip bomb"):
        read_tidy(path, MAPPING, indicator_id="x", period="2021")
