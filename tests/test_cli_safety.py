"""Every failure of the command line is one line and changes nothing (issue #14)."""

import errno
import json
import os
import pathlib
import sys

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.cli import app
from healthgap.engine._backends import connect
from healthgap.errors import MissingDependencyError
from healthgap.store import Store, schema

runner = CliRunner()

CATALOGUE = """
id: lbw
name: Low birth weight
method: proportion
numerator:
  table: {table}
  age: null
  sex: null
  filter: {{where: [{{column: weight, op: "<", value: 2500}}]}}
denominator: {{table: {table}, age: null, sex: null}}
geographies: [lsoa]
"""


def invoke(*args):
    return runner.invoke(app, list(args))


def one_error_line(result, start="Error: "):
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(start), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "hg.duckdb"
    n = 2
    columns = {
        "indicator_id": ["x"] * n,
        "area_code": ["E09000001", "E09000002"],
        "period": ["2021"] * n,
        "period_start": [2021] * n,
        "period_years": [1] * n,
        "sex": ["Persons"] * n,
        "age": ["All ages"] * n,
        "category_type": [""] * n,
        "category": [""] * n,
        "value": [-1.5, 2.5],
        "count": [50.0, 60.0],
        "denominator": [100.0, 100.0],
    }
    values = pa.table(columns).cast(pa.schema([schema.VALUES.field(c) for c in columns]))
    areas = pa.table(
        {
            "area_code": ["E09000001", "E09000002"],
            "area_name": ["=cmd|' /C calc'!A0", "Barking and Dagenham"],
            "area_type": ["la", "la"],
        }
    )
    with Store.open(path) as store:
        store.add_areas(areas)
        store.add_vintage(values, source="t", indicators=[IndicatorMeta(id="x", name="X")])
    return path


def test_export_onto_the_store_is_refused_and_the_store_kept(store_path):
    before = store_path.read_bytes()
    result = invoke("export", "-o", str(store_path), "--store", str(store_path))
    one_error_line(result, "Error: output ")
    assert "is the store" in result.stderr
    assert store_path.read_bytes() == before


def test_export_onto_a_folder_is_one_line(store_path, tmp_path):
    (tmp_path / "out").mkdir()
    result = invoke("export", "-o", str(tmp_path / "out"), "--store", str(store_path))
    one_error_line(result)
    assert "is a folder" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_export_on_a_full_disk_names_the_file_and_says_so(store_path, tmp_path, monkeypatch):
    from pyarrow import csv

    def full(table, where, *args, **kwargs):
        with open(where, "w") as half:
            half.write("indicator_id,")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))

    monkeypatch.setattr(csv, "write_csv", full)
    out = tmp_path / "values.csv"
    result = invoke("export", "-o", str(out), "--store", str(store_path))
    one_error_line(result)
    assert result.stderr == f"Error: No space left on device: '{out}'\n"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("hg.")) == []


def test_export_of_formulas_through_the_command(store_path, tmp_path):
    out = tmp_path / "v.csv"
    result = invoke("export", "-o", str(out), "--store", str(store_path))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "\"'=cmd|' /C calc'!A0\"" in text or "'=cmd|' /C calc'!A0" in text
    assert ",-1.5," in text  # a negative number stays a number


def test_a_new_store_where_folders_cannot_be_made_is_one_line(tmp_path, monkeypatch):
    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(pathlib.Path, "mkdir", denied)
    where = tmp_path / "read-only" / "missing"
    data = tmp_path / "areas.csv"
    data.write_text("code,rate\nE09000001,1.5\n")
    # a write command makes the store (read commands refuse a missing store)
    mapping = ["--map", "area_code=code", "--map", "value=rate"]
    ids = ["--indicator-id", "x", "--period", "2021"]
    result = invoke("import", "tidy", str(data), *mapping, *ids, "--store", str(where / "s.db"))
    one_error_line(result)
    assert "Permission denied" in result.stderr
    assert str(where) in result.stderr


def test_spark_without_pyspark_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'healthgap\[spark\]'"):
        connect("spark")
    (tmp_path / "cat.yaml").write_text(CATALOGUE.format(table="births"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "births.csv").write_text("lsoa_code,year,weight\nE01000001,2021,2400\n")
    result = invoke(
        "compute",
        str(tmp_path / "cat.yaml"),
        "--data",
        str(tmp_path / "data"),
        "--backend",
        "spark",
        "--store",
        str(tmp_path / "hg.duckdb"),
        "--quiet",
    )
    one_error_line(result, "Error: backend 'spark' needs PySpark")
    assert "pip install 'healthgap[spark]'" in result.stderr


def test_a_catalogue_cannot_read_outside_the_data_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "births.csv").write_text("lsoa_code,year,weight\nE01000001,2021,2400\n")
    data = tmp_path / "a" / "b" / "data"
    data.mkdir(parents=True)
    catalogue = tmp_path / "cat.yaml"
    catalogue.write_text(CATALOGUE.format(table="'../../elsewhere/births'"))
    store = tmp_path / "hg.duckdb"
    result = invoke(
        "compute", str(catalogue), "--data", str(data), "--store", str(store), "--quiet"
    )
    one_error_line(result, f"Error: catalogue file {catalogue}: indicator 'lbw': numerator.table")
    assert not store.exists()


def test_text_of_the_data_is_printed_as_is_not_as_markup(store_path):
    result = invoke("vintages", "show", "[/bold][link=x]", "--store", str(store_path))
    one_error_line(result)
    assert "'[/bold][link=x]'" in result.stderr


def test_demo_out_a_file_or_a_data_folder_holding_a_users_file(tmp_path):
    (tmp_path / "file").write_text("mine")
    result = invoke("demo", "--out", str(tmp_path / "file"), "--quiet", "--no-pdf")
    one_error_line(result)
    assert (tmp_path / "file").read_text() == "mine"
    data = tmp_path / "out" / "synthetic" / "data"
    data.mkdir(parents=True)
    manifest = {"generator": "healthgap.demo", "tables": {"deaths": {}}}
    (data / "manifest.json").write_text(json.dumps(manifest))
    (data / "deaths.parquet").write_bytes(b"old demo output")
    (data / "my_extract.csv").write_text("mine")
    result = invoke("demo", "--out", str(tmp_path / "out"), "--quiet", "--no-pdf")
    one_error_line(result)
    assert "my_extract.csv" in result.stderr
    assert sorted(p.name for p in data.iterdir()) == [
        "deaths.parquet",
        "manifest.json",
        "my_extract.csv",
    ]


def test_text_of_the_data_cannot_split_rows_or_drive_the_terminal(tmp_path):
    path = tmp_path / "hg.duckdb"
    name = "Evil\x1b]0;owned\x07\x1b[31m\tborough\nE09999999\tfake"
    with Store.open(path) as store:
        store.add_areas(
            pa.table({"area_code": ["E09000001"], "area_name": [name], "area_type": ["la"]})
        )
    listed = invoke("areas", "list", "--store", str(path))
    assert listed.exit_code == 0, listed.output
    header, row = listed.stdout.splitlines()
    assert row.split("\t")[:3] == [
        "E09000001",
        "Evil\\x1b]0;owned\\x07\\x1b[31m\\tborough\\nE09999999\\tfake",
        "la",
    ]
    shown = invoke("areas", "show", "E09000001", "--store", str(path))
    assert "\x1b" not in shown.stdout
    assert len(shown.stdout.splitlines()) == len(header.split("\t"))


def test_demo_refuses_a_report_folder_of_the_users_before_making_anything(tmp_path):
    report = tmp_path / "out" / "london" / "report"
    report.mkdir(parents=True)
    (report / "index.html").write_text("my own site")
    result = invoke("demo", "--out", str(tmp_path / "out"), "--quiet", "--no-pdf")
    one_error_line(result)
    assert "'index.html'" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["london"]
    assert sorted(p.name for p in (tmp_path / "out" / "london").iterdir()) == ["report"]
    assert (report / "index.html").read_text() == "my own site"
