import importlib.util
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook

from healthgap.catalogue.metadata import DisclosureRule, IndicatorMeta
from healthgap.errors import InputError, StoreError
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
