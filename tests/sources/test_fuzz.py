"""Every importer kind x malformed files: exit 1, one line naming the file, store unchanged.

The corpus is made here, deterministically (issue #14): encodings, delimiters, truncation,
huge fields, zip and dimension bombs, binary noise, and valid files of the wrong kind.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from healthgap.cli import app
from healthgap.sources import IMPORTERS

runner = CliRunner()

FINGERTIPS = (
    "Indicator ID,Indicator Name,Area Code,Area Name,Sex,Age,Time period,Value,Count,Denominator\n"
    "1,Rate,E09000001,City,Persons,All ages,2021,10.5,5,50\n"
    "1,Rate,E09000002,Barking,Persons,All ages,2021,12.5,6,48\n"
)
ELS = (
    "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,"
    "notes\nE09000001,City,LA,Pay,2021-01-01/P1Y,642.5,Pounds,£,641.2,643.8,,\n"
)
LOOKUP = "LAD19CD,LAD19NM,RGN19CD,RGN19NM\nE09000001,City,E12000007,London\n"
GEOJSON = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"LAD24CD": "E09000001", "LAD24NM": "City"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 51], [0.1, 51], [0.1, 51.1], [0, 51]]],
                },
            }
        ],
    }
)


def _xlsx(rows: list[list], far_cell: bool = False) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if not far_cell:
        return buffer.getvalue()
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", far + b"</sheetData>")
            zout.writestr(item, data)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
#: An OpenDocument sheet of one cell repeated to 1,000,000 x 16,384 (a 600-byte file).
ODS_BOMB = {
    "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
    "content.xml": (
        f'<?xml version="1.0"?><office:document-content {_ODS_NS}><office:body>'
        '<office:spreadsheet><table:table table:name="S">'
        '<table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row></table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    ).encode(),
}


def _corpus() -> dict[str, tuple[str, bytes]]:
    """Case name -> (file name, bytes); the suffix decides how some importers read it."""
    rng = random.Random(14)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    cut = FINGERTIPS[: FINGERTIPS.rindex(",2021,") + len(",2021,12")]
    return {
        "empty-csv": ("f.csv", b""),
        "blank-lines": ("f.csv", b"\r\n\n \n"),
        "bom-only": ("f.csv", codecs.BOM_UTF8),
        "noise-csv": ("f.csv", noise),
        "noise-json": ("f.json", noise),
        "noise-xlsx": ("f.xlsx", noise),
        "noise-shp": ("f.shp", noise),
        "header-only": ("f.csv", FINGERTIPS.splitlines()[0].encode()),
        "truncated": ("f.csv", cut.encode()),
        "unclosed-quote": (
            "f.csv",
            FINGERTIPS.replace("Rate,E09000002", '"Rate,E09000002').encode(),
        ),
        "ragged": (
            "f.csv",
            (FINGERTIPS + "1,Rate,E09000003,X,Persons,All ages,2021,1,2,3,4\n").encode(),
        ),
        "semicolons": ("f.csv", FINGERTIPS.replace(",", ";").encode()),
        "tabs-as-csv": ("f.csv", FINGERTIPS.replace(",", "\t").encode()),
        "utf16-wrong-columns": ("f.csv", "x,y\n1,2\n".encode("utf-16")),
        "bad-bytes": ("f.csv", FINGERTIPS.encode() + b"1,\x81\x8d\x90,E09000003\n"),
        "decimal-commas": ("f.csv", FINGERTIPS.replace("10.5", '"10,5"').encode()),
        "huge-field": (
            "f.csv",
            FINGERTIPS.replace("City", "C" * 2_000_000).replace("10.5", "ten").encode(),
        ),
        "huge-header": ("f.csv", (",".join(f"c{i}" for i in range(5_000)) + "\n1\n").encode()),
        "json-empty-object": ("f.json", b"{}"),
        "json-list": ("f.json", b"[1, 2, 3]"),
        "json-truncated": ("f.json", GEOJSON[:50].encode()),
        "json-topology-no-arcs": ("f.json", b'{"type": "Topology", "objects": {"a": {}}}'),
        "json-features-not-dicts": ("f.json", b'{"type": "FeatureCollection", "features": [1]}'),
        "zip-not-workbook": ("f.xlsx", _zip({"hello.txt": b"hello"})),
        "ods-repeat-bomb": ("f.ods", _zip(ODS_BOMB)),
        "dimension-bomb": ("f.xlsx", _xlsx([["Code", "Value"], ["E09000001", 1]], far_cell=True)),
        "workbook-wrong-sheets": ("f.xlsx", _xlsx([["nothing", "here"], [1, 2]])),
        "workbook-empty": ("f.xlsx", _xlsx([])),
        "fingertips-as-other": ("fingertips.csv", FINGERTIPS.encode()),
        "els-as-other": ("els.csv", ELS.encode()),
        "lookup-as-other": ("lookup.csv", LOOKUP.encode()),
        "geojson-as-other": ("f.geojson", GEOJSON.encode()),
    }


CORPUS = _corpus()
#: A valid file of a kind is no malformed file for that kind.
VALID_FOR = {
    "fingertips-as-other": {"fingertips", "tidy"},  # the tidy mapping names its columns
    "els-as-other": {"ons-els", "ons-hle"},
    "lookup-as-other": {"lookup"},
    "geojson-as-other": {"boundaries-geojson"},
}
TIDY = [
    "--map",
    "area_code=Area Code",
    "--map",
    "value=Value",
    "--indicator-id",
    "x",
    "--period",
    "2021",
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A store holding one valid import, to prove failures leave it byte for byte as it was."""
    folder = tmp_path_factory.mktemp("store")
    good = folder / "good.csv"
    good.write_text(FINGERTIPS)
    path = folder / "s.duckdb"
    result = runner.invoke(app, ["import", "fingertips", str(good), "--store", str(path), "-q"])
    assert result.exit_code == 0, result.output
    return path


CASES = [
    (kind, case)
    for kind in sorted(IMPORTERS)
    for case in sorted(CORPUS)
    if kind not in VALID_FOR.get(case, ())
]


@pytest.mark.parametrize(("kind", "case"), CASES)
def test_malformed_file_is_one_line_and_changes_nothing(tmp_path, store, kind, case):
    name, content = CORPUS[case]
    path = tmp_path / name
    path.write_bytes(content)
    before = _digest(store)
    extra = TIDY if kind == "tidy" else []
    result = runner.invoke(app, ["import", kind, str(path), "--store", str(store), "-q", *extra])
    assert result.exit_code == 1, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    assert len(lines[0]) < 2000
    assert _digest(store) == before
