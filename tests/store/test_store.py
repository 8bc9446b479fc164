import hashlib
import json
import random

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from healthgap import __version__
from healthgap._conventions import ROUNDING_NOTE
from healthgap.catalogue.metadata import DisclosureRule, IndicatorMeta
from healthgap.errors import InputError, StoreError
from healthgap.sources import Imported
from healthgap.store import InputFile, Store, schema


def test_open_creates_file_and_reopens_with_content(tmp_path, areas_table):
    path = tmp_path / "sub" / "s.duckdb"
    with Store.open(path) as store:
        store.add_areas(areas_table)
    assert path.is_file()
    with Store.open(path) as store:
        assert store.areas().num_rows == areas_table.num_rows
        assert store.areas().schema == schema.AREAS


def test_open_non_duckdb_file_is_a_store_error(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    with pytest.raises(StoreError, match="cannot open store"):
        Store.open(bad)


def test_add_areas_is_idempotent_and_upserts(store, areas_table, hierarchy_table):
    store.add_areas(areas_table, hierarchy=hierarchy_table)
    assert store.areas().num_rows == 6
    assert store.hierarchy().num_rows == 5
    renamed = pa.table({"area_code": ["E09000001"], "area_name": ["City"], "area_type": ["la"]})
    store.add_areas(renamed)
    assert store.area("E09000001")["area_name"] == "City"
    assert store.areas().num_rows == 6
    assert store.areas(area_type="lsoa")["area_code"].to_pylist() == ["E01000001", "E01000002"]
    assert store.areas(area_type=["la", "region"]).num_rows == 2


def test_parents_walk_up_the_hierarchy(store):
    parents = store.parents("E01000001").to_pylist()
    assert [p["area_code"] for p in parents] == ["E02000001", "E09000001", "E12000007", "E92000001"]
    assert [p["level"] for p in parents] == [1, 2, 3, 4]
    assert parents[1]["area_name"] == "City of London"
    assert store.parents("E92000001").num_rows == 0
    assert store.parents("E01000001", hierarchy="other").num_rows == 0


def test_unknown_area_is_a_store_error(store):
    with pytest.raises(StoreError, match="area 'E0' is not in the store"):
        store.area("E0")


def test_classifications_and_geometry_round_trip(store):
    classes = pa.table(
        {
            "classification": ["IMD 2019 decile (national)"] * 2,
            "area_code": ["E01000001", "E01000002"],
            "category": ["9", "10"],
            "rank": [9, 10],
            "score": [8.1, 6.2],
        }
    )
    geometry = pa.table(
        {
            "area_code": ["E01000001"],
            "geometry": ['{"type": "Point", "coordinates": [-0.09, 51.52]}'],
            "source_crs": ["EPSG:27700"],
        }
    )
    store.add_areas(None, classifications=classes, geometry=geometry)
    got = store.classifications("IMD 2019 decile (national)")
    assert got.schema == schema.CLASSIFICATIONS
    assert got["category"].to_pylist() == ["9", "10"]
    assert json.loads(store.geometry("E01000001")["geometry"][0].as_py())["type"] == "Point"
    store.add_areas(None, geometry=geometry.drop_columns(["source_crs"]))
    assert store.geometry()["source_crs"].to_pylist() == [None]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            pa.table({"area_code": ["A", "A"], "area_name": ["a", "b"], "area_type": ["la"] * 2}),
            r"areas: duplicate keys \(area_code\): A",
        ),
        (
            pa.table({"area_code": ["A"], "area_type": ["la"]}),
            r"required columns \['area_name'\] not found",
        ),
        (
            pa.table({"area_code": ["A"], "area_name": ["a"], "area_type": ["la"], "x": [1]}),
            r"unknown columns \['x'\]",
        ),
        (
            pa.table({"area_code": ["A", None], "area_name": ["a", "b"], "area_type": ["la"] * 2}),
            r"column 'area_code' must not be null: 1 of 2 rows fail \(rows \[1\]\)",
        ),
        (
            pa.table({"area_code": [1], "area_name": ["a"], "area_type": ["la"]}),
            r"column 'area_code' must be string; found int64",
        ),
    ],
)
def test_add_areas_rejects_bad_tables_and_writes_nothing(store, table, message):
    hierarchy = pa.table({"hierarchy": ["new"], "child_code": ["x"], "parent_code": ["y"]})
    with pytest.raises(InputError, match=message):
        store.add_areas(table, hierarchy=hierarchy)
    assert store.hierarchy("new").num_rows == 0
    assert store.areas().num_rows == 6


def test_population_round_trip_and_validation(store):
    population = pa.table(
        {
            "area_code": ["E09000001"] * 2,
            "year": [2021, 2021],
            "sex": ["Male", "Female"],
            "age": ["0-4", "0-4"],
            "age_start": [0, 0],
            "population": [310.0, 290],
        }
    )
    store.add_population(population)
    store.add_population(population)
    got = store.population(sex="Male")
    assert got.schema == schema.POPULATION
    assert got["population"].to_pylist() == [310.0]
    negative = population.set_column(5, "population", pa.array([-1.0, 2.0]))
    with pytest.raises(InputError, match=r"'population' must be a number >= 0: 1 of 2"):
        store.add_population(negative)
    fractional_year = population.set_column(1, "year", pa.array([2021.5, 2021]))
    with pytest.raises(InputError, match=r"column 'year' must be int32; found double"):
        store.add_population(fractional_year)


def test_indicators_round_trip_and_upsert(store):
    meta = IndicatorMeta(
        id="ind1",
        name="Under 75 mortality",
        polarity="low_is_good",
        multiplier=100000,
        disclosure=DisclosureRule(round_to=5),
    )
    store.add_indicators([meta])
    store.add_indicators([meta])
    assert store.indicators() == [meta]
    assert store.indicator("ind1") == meta
    store.add_indicators([meta.model_copy(update={"name": "renamed"})])
    assert store.indicator("ind1").name == "renamed"
    with pytest.raises(StoreError, match="indicator 'nope' is not in the store"):
        store.indicator("nope")
    with pytest.raises(InputError, match="must be IndicatorMeta"):
        store.add_indicators([{"id": "x"}])


def test_add_vintage_records_provenance(store, make_values, tmp_path):
    source_file = tmp_path / "input.csv"
    source_file.write_bytes(b"a,b\n1,2\n")
    meta = IndicatorMeta(id="ind1", name="Indicator one")
    vid = store.add_vintage(
        make_values(6),
        source="engine",
        inputs=[source_file],
        parameters={"years": [2015, 2016]},
        indicators=[meta],
        label="first run",
    )
    assert len(vid) == 16
    record = store.vintages().to_pylist()
    assert len(record) == 1
    assert record[0]["id"] == vid
    assert record[0]["source"] == "engine"
    assert record[0]["label"] == "first run"
    assert record[0]["code_version"] == __version__
    assert record[0]["n_values"] == 6
    assert json.loads(record[0]["parameters"]) == {"years": [2015, 2016]}
    assert json.loads(record[0]["inputs"]) == [
        {"name": "input.csv", "size": 8, "sha256": hashlib.sha256(b"a,b\n1,2\n").hexdigest()}
    ]
    assert store.indicator("ind1") == meta
    assert store.values(vid).equals(
        make_values(6).sort_by([(k, "ascending") for k in schema.VALUE_KEYS])
    )


def test_same_content_same_id_nothing_added(store, make_values):
    values = make_values(9)
    first = store.add_vintage(values, source="a", label="one")
    shuffled = values.take(random.Random(1).sample(range(9), 9))
    again = store.add_vintage(shuffled, source="b", label="two")
    assert again == first
    assert store.vintages().num_rows == 1
    assert store.vintages()["label"].to_pylist() == ["one"]
    assert store.values().num_rows == 9


def test_id_depends_on_values_parameters_and_inputs(store, make_values):
    base = store.add_vintage(make_values(3), source="a")
    other_value = store.add_vintage(make_values(3, value=[10.0, 11.0, 12.5]), source="a")
    other_param = store.add_vintage(make_values(3), source="a", parameters={"x": 1})
    other_input = store.add_vintage(
        make_values(3), source="a", inputs=[InputFile("f.csv", 1, "ab" * 32)]
    )
    assert len({base, other_value, other_param, other_input}) == 4
    assert store.vintages().num_rows == 4


def test_values_accepts_polars_and_pandas(store, make_values, constructor):
    native = constructor(make_values(3).to_pydict())
    vid = store.add_vintage(native, source="t")
    assert vid == store.add_vintage(make_values(3), source="t")


def test_integer_counts_are_accepted_and_missing_optional_columns_are_null(store, make_values):
    table = make_values(3).drop_columns(["value_note", "lower99_8cl", "upper99_8cl"])
    table = table.set_column(table.schema.get_field_index("count"), "count", pa.array([20, 21, 22]))
    vid = store.add_vintage(table, source="t")
    got = store.values(vid)
    assert got["count"].to_pylist() == [20.0, 21.0, 22.0]
    assert got["lower99_8cl"].null_count == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"count": [20.0, -3.0, 22.0]}, r"row 1: column 'count' must be >= 0; found count=-3.0"),
        ({"denominator": [-1.0, 2.0, 3.0]}, r"row 0: column 'denominator' must be >= 0"),
        (
            {"value": [10.0, float("nan"), 12.0]},
            r"row 1: column 'value' must be a finite number or null",
        ),
        (
            {"lower95_0cl": [8.0, 11.5, 10.0]},
            r"row 1: columns \['lower95_0cl', 'value'\] limits must bracket the value .*"
            r"found lower95_0cl=11.5, value=11.0",
        ),
        (
            {"upper99_8cl": [13.0, 10.0, 15.0]},
            r"row 1: columns \['value', 'upper99_8cl'\] limits must bracket",
        ),
        (
            {"area_code": ["E01000001", "E0XXXXXXX", "E09000001"]},
            r"row 1: area_code 'E0XXXXXXX' is not in the store's areas \(1 row\)",
        ),
        (
            {"area_code": ["E01000001"] * 3, "period": ["2015", "2015", "2016"]},
            r"rows \[0, 1\]: duplicate key \(indicator_id='ind1', area_code='E01000001', "
            r"period='2015'",
        ),
        ({"period_years": [1, 0, 1]}, r"row 1: column 'period_years' must be >= 1"),
    ],
)
def test_add_vintage_rejects_bad_values_and_writes_nothing(store, make_values, overrides, message):
    with pytest.raises(InputError, match=message):
        store.add_vintage(
            make_values(3, **overrides), source="t", indicators=[IndicatorMeta(id="ind1", name="x")]
        )
    assert store.vintages().num_rows == 0
    assert store.indicators() == []


def test_limits_passing_a_rounded_value_are_kept_when_the_row_says_so(store, make_values):
    # issue #15: OHID's export has 17.0 with a 95% lower limit of 17.025 (unrounded limits);
    # the importer checks the gap is within the value's rounding and notes it on the row
    rounded = {
        "value": [10.0, 17.0, 12.0],
        "lower95_0cl": [8.0, 17.025, 10.0],
        "upper95_0cl": [12.0, 17.072, 14.0],
        "lower99_8cl": [7.0, 17.012, 9.0],
        "upper99_8cl": [13.0, 17.085, 15.0],
    }
    meta = [IndicatorMeta(id="ind1", name="x")]
    with pytest.raises(InputError, match=r"row 1: columns \['lower95_0cl', 'value'\]"):
        store.add_vintage(make_values(3, **rounded), source="t", indicators=meta)
    notes = {"value_note": [None, f"provisional; {ROUNDING_NOTE}", None]}
    vid = store.add_vintage(make_values(3, **rounded, **notes), source="t", indicators=meta)
    assert store.values(vid)["lower95_0cl"].to_pylist()[1] == 17.025
    # the note allows the value's rounding (a whole 17 stands for 16.5..17.5), no more
    beyond = rounded | {"lower95_0cl": [8.0, 17.6, 10.0], "upper95_0cl": [12.0, 18.0, 14.0]}
    with pytest.raises(InputError, match=r"found lower95_0cl=17.6, value=17.0"):
        store.add_vintage(make_values(3, **beyond, **notes), source="t", indicators=meta)


def test_error_lists_first_20_problems_and_the_total(store, make_values):
    n = 30
    table = make_values(
        n, area_code=["E01000001"] * n, period=[str(2000 + i) for i in range(n)], count=[-1.0] * n
    )
    with pytest.raises(InputError) as info:
        store.add_vintage(table, source="t")
    text = str(info.value)
    assert text.startswith("values: 30 problems in 30 rows (first 20 shown")
    assert text.count("must be >= 0") == 20


def test_unknown_areas_not_checked_when_store_has_no_areas(tmp_path, make_values):
    with Store.open(tmp_path / "s.duckdb") as store:
        vid = store.add_vintage(make_values(3, area_code=["X1", "X2", "X3"]), source="t")
        assert store.values(vid).num_rows == 3


def test_empty_values_and_unserialisable_parameters_are_errors(store, make_values):
    with pytest.raises(InputError, match="has no rows"):
        store.add_vintage(make_values(0), source="t")
    with pytest.raises(InputError, match="must be JSON-serialisable"):
        store.add_vintage(make_values(3), source="t", parameters={"c": {1, 2}})


def test_values_filters_and_latest(store, make_values):
    first = store.add_vintage(make_values(6), source="t")
    second = store.add_vintage(make_values(3), source="t")
    assert store.values().num_rows == 3
    assert store.values(first).num_rows == 6
    assert store.values(first, area_code="E01000001")["period"].to_pylist() == ["2015", "2016"]
    got = store.values(first, area_code=["E01000001", "E09000001"], period="2016")
    assert got["area_code"].to_pylist() == ["E01000001", "E09000001"]
    assert store.values(first, indicator_id="none").num_rows == 0
    assert store.resolve(first[:6]) == first
    assert store.resolve("latest") == second


def test_resolve_errors(tmp_path, make_values):
    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(StoreError, match="has no vintages yet"):
            store.values()
        vid = store.add_vintage(make_values(3), source="t")
        with pytest.raises(
            StoreError, match=f"vintage 'ffffffff' not found; most recent: \\['{vid}'\\]"
        ):
            store.values("ffffffff")
        with pytest.raises(StoreError, match="too short"):
            store.resolve("ab")


def test_diff_reports_added_removed_and_revised(store, make_values):
    old = store.add_vintage(make_values(3), source="t")
    new_values = make_values(
        3,
        value=[10.0, 11.5, 12.0],
        value_note=[None, None, "note"],
        area_code=["E01000001", "E01000002", "E02000001"],
    )
    new = store.add_vintage(new_values, source="t")
    diff = store.diff(old, new).to_pylist()
    by_area = {row["area_code"]: row for row in diff}
    assert set(by_area) == {"E01000002", "E02000001", "E09000001"}
    revised = by_area["E01000002"]
    assert revised["status"] == "revised"
    assert revised["old_value"] == 11.0
    assert revised["new_value"] == 11.5
    assert revised["abs_change"] == pytest.approx(0.5)
    assert revised["rel_change"] == pytest.approx(0.5 / 11)
    assert by_area["E02000001"]["status"] == "added"
    assert by_area["E09000001"]["status"] == "removed"
    assert by_area["E09000001"]["new_value"] is None
    assert store.diff(old, old).num_rows == 0


def test_load_writes_everything_or_nothing(store, make_values):
    good = Imported(
        source="fingertips",
        areas=pa.table({"area_code": ["E02000002"], "area_name": ["new"], "area_type": ["msoa"]}),
        indicators=[IndicatorMeta(id="ind1", name="one")],
        values=make_values(3, area_code=["E01000001", "E02000002", "E09000001"]),
    )
    vid = store.load(good, label="import")
    assert store.area("E02000002")["area_name"] == "new"
    assert store.vintage(vid)["label"] == "import"
    assert store.vintage(vid)["indicator_ids"] == ["ind1"]
    assert store.vintage(vid)["source"] == "fingertips"

    bad = Imported(
        source="fingertips",
        areas=pa.table({"area_code": ["E02000003"], "area_name": ["newer"], "area_type": ["msoa"]}),
        population=pa.table(
            {
                "area_code": ["E02000003"],
                "year": [2021],
                "sex": ["Male"],
                "age": ["0-4"],
                "age_start": [0],
                "population": [10.0],
            }
        ),
        indicators=[IndicatorMeta(id="ind2", name="two")],
        values=make_values(3, count=[1.0, -1.0, 2.0]),
    )
    with pytest.raises(InputError, match="must be >= 0"):
        store.load(bad)
    assert store.areas(area_type="msoa").num_rows == 2
    assert store.population().num_rows == 0
    assert [m.id for m in store.indicators()] == ["ind1"]
    assert store.vintages().num_rows == 1

    assert store.load(Imported(source="x", areas=good.areas)) is None


def test_interrupted_write_rolls_back(store, make_values, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "_insert_values", interrupt)
    with pytest.raises(KeyboardInterrupt):
        store.add_vintage(make_values(3), source="t")
    assert store.vintages().num_rows == 0
    monkeypatch.undo()
    vid = store.add_vintage(make_values(3), source="t")
    assert store.values(vid).num_rows == 3


def test_validation_is_vectorised_on_large_tables(store):
    # 200,000 rows with one bad count at the end: found, and reported by position
    n = 200_000
    rng = np.random.default_rng(4)
    table = pa.table(
        {
            "indicator_id": pa.array(["big"] * n),
            "area_code": pa.array(np.array(["E01000001", "E01000002"])[np.arange(n) % 2]),
            "period": pa.array((np.arange(n) // 2).astype(str)),
            "period_start": pa.array(np.full(n, 2020, np.int32)),
            "period_years": pa.array(np.ones(n, np.int16)),
            "sex": ["Persons"] * n,
            "age": ["All ages"] * n,
            "category_type": [""] * n,
            "category": [""] * n,
            "value": rng.random(n),
            "count": np.append(np.ones(n - 1), -2.0),
        }
    )
    with pytest.raises(InputError, match=rf"1 problem in {n:,} rows .*row {n - 1}: column"):
        store.add_vintage(table, source="t")
    ok = table.set_column(table.schema.get_field_index("count"), "count", pc.abs(table["count"]))
    vid = store.add_vintage(ok, source="t")
    assert store.vintage(vid)["n_values"] == n


def test_values_from_pandas_with_index_is_not_stored(store, make_values):
    frame = make_values(3).to_pandas().set_index(pd.Index([5, 6, 7]))
    vid = store.add_vintage(frame, source="t")
    assert store.values(vid).num_rows == 3
    assert pl.from_arrow(store.values(vid))["value"].to_list() == [10.0, 11.0, 12.0]
