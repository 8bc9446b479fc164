import errno
import importlib.util
import os
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook

from healthgap.catalogue.metadata import DisclosureRule, IndicatorMeta
from healthgap.errors import InputError, OutputPathError, StoreError
from healthgap.publish import export as export_module
from healthgap.publish.export import FORMATS, export, published_values
from healthgap.sources import read_fingertips_csv
from healthgap.store import Store, schema

_spec = importlib.util.spec_from_file_location(
    "disclosure_checks", Path(__file__).with_name("disclosure_checks.py")
)
checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checks)

AREAS = pa.table(
    {
        "area_code": ["E09000001", "E09000002"],
        "area_name": ["City of London", "Barking and Dagenham"],
        "area_type": ["la", "la"],
    }
)
STRINGS = dict.fromkeys(
    (
        "indicator_id",
        "area_code",
        "period",
        "sex",
        "age",
        "category_type",
        "category",
        "value_note",
        "area_name",
    ),
    pl.String,
)


def read_back(path: Path, format: str) -> pl.DataFrame:
    """A published file as a Polars frame with the VALUES key columns."""
    if format == "csv":
        frame = pl.read_csv(path, schema_overrides=STRINGS)
    elif format == "parquet":
        frame = pl.from_arrow(pq.read_table(path))
    elif format == "xlsx":
        sheet = load_workbook(path, read_only=True)["values"]
        header, *body = list(sheet.values)
        width = len(header)  # read-only sheets drop trailing empty cells
        frame = pl.DataFrame(
            [dict(zip(header, (*r, *[None] * (width - len(r))), strict=True)) for r in body],
            schema_overrides=STRINGS,
            infer_schema_length=None,
        )
    else:
        frame = pl.from_arrow(read_fingertips_csv(path).values)
    keys = ["category_type", "category"]
    return frame.with_columns(pl.col(keys).fill_null(""), pl.col("count").cast(pl.Float64))


def values_table(counts, sexes, indicator="x"):
    n = len(counts)
    return pa.table(
        {
            "indicator_id": [indicator] * n,
            "area_code": ["E09000001"] * n,
            "period": ["2021"] * n,
            "period_start": [2021] * n,
            "period_years": [1] * n,
            "sex": sexes,
            "age": ["All ages"] * n,
            "category_type": [""] * n,
            "category": [""] * n,
            "value": [c / 100 for c in counts],
            "lower95_0cl": [c / 200 for c in counts],
            "upper95_0cl": [c / 50 for c in counts],
            "count": counts,
            "denominator": [100.0] * n,
        }
    ).cast(
        pa.schema(
            [
                schema.VALUES.field(c)
                for c in [
                    "indicator_id",
                    "area_code",
                    "period",
                    "period_start",
                    "period_years",
                    "sex",
                    "age",
                    "category_type",
                    "category",
                    "value",
                    "lower95_0cl",
                    "upper95_0cl",
                    "count",
                    "denominator",
                ]
            ]
        )
    )


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "s.duckdb") as opened:
        opened.add_areas(AREAS)
        yield opened


@pytest.mark.parametrize("format", FORMATS)
def test_every_format_is_written_with_disclosure(store, tmp_path, format):
    vid = store.add_vintage(
        values_table([50.0, 47.0, 3.0], ["Persons", "Male", "Female"]),
        source="t",
        indicators=[IndicatorMeta(id="x", name="Indicator x")],
    )
    path = export(store, vid, tmp_path / "out" / f"values.{format}", format=format)
    assert path.is_file()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp left
    got = read_back(path, format).sort("sex")
    assert got["sex"].to_list() == ["Female", "Male", "Persons"]
    assert got["count"].to_list() == [None, None, 50.0]
    assert got["value"].to_list()[2] == 0.5
    if format != "fingertips":
        assert got["area_name"].to_list() == ["City of London"] * 3


def test_rules_come_from_the_store(store, tmp_path):
    meta = IndicatorMeta(id="x", name="x", disclosure=DisclosureRule(suppress_below=3, round_to=5))
    vid = store.add_vintage(
        values_table([52.0, 49.0, 3.0], ["Persons", "Male", "Female"]),
        source="t",
        indicators=[meta],
    )
    got = published_values(store, vid)
    assert got["count"].to_pylist() == [5.0, 50.0, 50.0]  # Female, Male, Persons


def test_xlsx_has_an_about_sheet(store, tmp_path):
    vid = store.add_vintage(values_table([50.0], ["Persons"]), source="engine", label="2024")
    path = export(store, vid, tmp_path / "v.xlsx", format="xlsx")
    about = dict(load_workbook(path, read_only=True)["about"].values)
    assert about["vintage"] == vid
    assert about["label"] == "2024"
    assert "withheld" in about["disclosure control"]


def test_xlsx_re_export_is_byte_identical_whenever_it_is_written(store, tmp_path):
    import time

    vid = store.add_vintage(values_table([50.0], ["Persons"]), source="engine", label="2024")
    first = export(store, vid, tmp_path / "a.xlsx", format="xlsx").read_bytes()
    time.sleep(2.1)  # zip entries hold times to 2 s; the workbook's properties to 1 s
    assert export(store, vid, tmp_path / "b.xlsx", format="xlsx").read_bytes() == first


def test_fingertips_round_trip_gives_the_same_values(store, tmp_path):
    table = values_table([50.0, 27.0, 23.0], ["Persons", "Male", "Female"], indicator="90366")
    vid = store.add_vintage(table, source="t", indicators=[IndicatorMeta(id="90366", name="LE")])
    path = export(store, vid, tmp_path / "f.csv", format="fingertips")
    imported = read_fingertips_csv(path)
    with Store.open(tmp_path / "other.duckdb") as other:
        again = other.load(imported)
        assert other.values(again).equals(store.values(vid))


def test_export_errors_leave_no_file(store, tmp_path, monkeypatch):
    vid = store.add_vintage(values_table([50.0, 60.0], ["Male", "Female"]), source="t")
    with pytest.raises(InputError, match="format must be one of"):
        export(store, vid, tmp_path / "x.txt", format="txt")
    with pytest.raises(InputError, match=r"indicators \['nope'\] have no values"):
        export(store, vid, tmp_path / "x.csv", indicator_ids=["nope"])
    with pytest.raises(StoreError, match="not found"):
        export(store, "ffffffff", tmp_path / "x.csv")
    monkeypatch.setattr(export_module, "EXCEL_MAX_ROWS", 1)
    with pytest.raises(InputError, match="2 rows exceed Excel's limit of 1"):
        export(store, vid, tmp_path / "x.xlsx", format="xlsx")
    assert list(tmp_path.glob("x*")) == []
    assert list(tmp_path.glob(".x*")) == []


def test_indicator_selection(store, tmp_path):
    both = pa.concat_tables(
        [values_table([50.0], ["Persons"], "a"), values_table([60.0], ["Persons"], "b")]
    )
    vid = store.add_vintage(both, source="t")
    path = export(store, vid, tmp_path / "a.csv", indicator_ids=["b"])
    assert read_back(path, "csv")["indicator_id"].to_list() == ["b"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(checks.count_tables(max_categories=3))
def test_property_no_published_artefact_discloses(table_and_rules):
    table, rules = table_and_rules
    indicators = [IndicatorMeta(id=i, name=i, disclosure=r) for i, r in rules.items()]
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "s.duckdb") as store:
        store.add_areas(AREAS)
        vid = store.add_vintage(table.to_arrow(), source="t", indicators=indicators)
        for format in FORMATS:
            path = export(store, vid, Path(folder) / f"out.{format}", format=format)
            published = read_back(path, format)
            assert published.height == table.height, format
            assert checks.suppressible_counts(published, rules) == [], format
            assert checks.recoverable_cells(table, published) == [], format


# -- safe to publish (issue #14): spreadsheet formulas, the store, folders, files not ours --

FORMULAS = {
    "E09000001": '=HYPERLINK("http://example.com/x","click")',
    "E09000002": "=cmd|' /C calc'!A0",
}


def outputs(folder):
    """Names in ``folder`` other than the store's own files."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("s.duckdb"))


@pytest.fixture
def hostile(tmp_path):
    """A store whose area names, indicator name and vintage label are formulas."""
    areas = pa.table(
        {
            "area_code": list(FORMULAS),
            "area_name": list(FORMULAS.values()),
            "area_type": ["la", "la"],
        }
    )
    values = values_table([50.0, 47.0, 30.0], ["Persons", "Male", "Female"], indicator="x")
    negative = values.set_column(
        values.schema.get_field_index("value"), "value", pa.array([-0.5, -1.25, 2.0])
    ).drop_columns(["lower95_0cl", "upper95_0cl"])
    with Store.open(tmp_path / "s.duckdb") as opened:
        opened.add_areas(areas)
        vid = opened.add_vintage(
            negative,
            source="t",
            label="@SUM(1+1)*cmd|' /C calc'!A0",
            indicators=[IndicatorMeta(id="x", name="+1+cmd|' /C calc'!A0")],
        )
        yield opened, vid


@pytest.mark.parametrize("format", ["csv", "fingertips"])
def test_csv_text_cells_cannot_run_as_formulas(hostile, tmp_path, format):
    store, vid = hostile
    path = export(store, vid, tmp_path / f"{format}.csv", format=format)
    text = path.read_text()
    assert "'=HYPERLINK(" in text
    if format == "fingertips":
        assert "'+1+cmd|" in text
    rows = pl.read_csv(path, infer_schema_length=0)
    for column in rows.columns:
        cells = [c for c in rows[column].to_list() if c]
        assert not [c for c in cells if c[0] in "=+@\t\r"], column
        # a cell starting with '-' is a number written by the exporter, never text
        assert all(float(c) < 0 for c in cells if c[0] == "-"), column
    value = "value" if format == "csv" else "Value"
    assert sorted(float(v) for v in rows[value].to_list()) == [-1.25, -0.5, 2.0]


def test_xlsx_text_is_strings_never_formulas_and_numbers_stay_numbers(hostile, tmp_path):
    import zipfile

    store, vid = hostile
    path = export(store, vid, tmp_path / "v.xlsx", format="xlsx")
    with zipfile.ZipFile(path) as book:
        sheets = [book.read(n) for n in book.namelist() if n.startswith("xl/worksheets/")]
    assert sheets
    assert not [s for s in sheets if b"<f>" in s or b"<f " in s]
    workbook = load_workbook(path)
    values = workbook["values"]
    header = [c.value for c in values[1]]
    names = [row[header.index("area_name")] for row in values.iter_rows(min_row=2)]
    assert {c.value for c in names} == {"'" + FORMULAS["E09000001"]}
    assert all(c.data_type == "s" for c in names)
    numbers = [row[header.index("value")] for row in values.iter_rows(min_row=2)]
    assert sorted(c.value for c in numbers) == [-1.25, -0.5, 2.0]
    assert all(c.data_type == "n" for c in numbers)
    about = {row[0].value: row[1] for row in workbook["about"].iter_rows()}
    assert about["label"].value == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert about["label"].data_type == "s"


def test_parquet_keeps_the_text_as_data(hostile, tmp_path):
    store, vid = hostile
    path = export(store, vid, tmp_path / "v.parquet", format="parquet")
    assert set(pq.read_table(path)["area_name"].to_pylist()) == {FORMULAS["E09000001"]}


@pytest.mark.parametrize("format", FORMATS)
def test_export_never_writes_over_the_store_or_its_log(store, tmp_path, format):
    vid = store.add_vintage(values_table([50.0], ["Persons"]), source="t")
    before = (tmp_path / "s.duckdb").read_bytes()
    for target in (tmp_path / "s.duckdb", tmp_path / "s.duckdb.wal"):
        with pytest.raises(OutputPathError, match="is the store"):
            export(store, vid, target, format=format)
    assert (tmp_path / "s.duckdb").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_export_onto_a_folder_is_refused(store, tmp_path):
    vid = store.add_vintage(values_table([50.0], ["Persons"]), source="t")
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputPathError, match="is a folder; give the name of a file"):
        export(store, vid, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("format", FORMATS)
def test_reruns_replace_their_own_export_but_never_a_users_file(store, tmp_path, format):
    vid = store.add_vintage(values_table([50.0, 60.0], ["Male", "Female"]), source="t")
    path = tmp_path / f"values.{format}"
    export(store, vid, path, format=format)
    export(store, vid, path, format=format)  # idempotent rerun
    mine = tmp_path / "README.md"
    mine.write_text("my notes\n")
    with pytest.raises(OutputPathError, match="is not a file healthgap wrote"):
        export(store, vid, mine, format=format)
    assert mine.read_text() == "my notes\n"
    assert outputs(tmp_path) == ["README.md", path.name]


def test_export_keeps_the_users_umask(store, tmp_path):
    vid = store.add_vintage(values_table([50.0], ["Persons"]), source="t")
    old = os.umask(0o002)
    try:
        path = export(store, vid, tmp_path / "shared.csv")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o664


def test_a_full_disk_names_the_file_and_leaves_the_earlier_export(store, tmp_path, monkeypatch):
    from pyarrow import csv

    vid = store.add_vintage(values_table([50.0], ["Persons"]), source="t")
    path = export(store, vid, tmp_path / "v.csv")
    before = path.read_bytes()

    def full(table, where, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(where))

    monkeypatch.setattr(csv, "write_csv", full)
    with pytest.raises(OSError, match="No space left on device") as caught:
        export(store, vid, path)
    assert caught.value.filename == str(path)  # the output's name, not its temporary's
    assert path.read_bytes() == before
    assert outputs(tmp_path) == ["v.csv"]
