"""Records -> counts: filters, periods, age bands, events vs people, on hand-made records."""

from __future__ import annotations

import datetime as dt

import ibis
import polars as pl
import pyarrow as pa
import pytest

from healthgap.catalogue.indicator import Denominator, Filter, Numerator
from healthgap.engine._backends import connect, open_table
from healthgap.engine.counts import band_start, count_expression, filter_expression
from healthgap.errors import ColumnNotFoundError, InputError

RECORDS = pa.table(
    {
        "person_id": ["a", "a", "b", "c", "d", "e", "f", "g"],
        "lsoa_code": ["L1", "L1", "L1", "L2", "L2", "L2", "L1", None],
        "year": pa.array([2020, 2020, 2020, 2020, 2021, 2021, 2021, 2021], pa.int32()),
        "date": pa.array(
            [
                dt.date(2020, 3, 31),
                dt.date(2020, 4, 1),
                dt.date(2020, 8, 31),
                dt.date(2020, 9, 1),
                dt.date(2021, 1, 1),
                dt.date(2021, 12, 31),
                dt.date(2021, 4, 1),
                dt.date(2021, 5, 5),
            ]
        ),
        "label": [
            "2019/20",
            "2020/21",
            "2020/21",
            "2020/21",
            "2020/21",
            "2021/22",
            "2021/22",
            "2021/22",
        ],
        "sex": ["Male", "Male", "Female", "Female", "Male", "Female", "Female", "Male"],
        "age": pa.array([0, 1, 4, 5, 74, 75, 90, 104], pa.int32()),
        "icd10": ["X60", "X84.9", "X85", "Y10.2", "Y34", "y35", "C34.1", "X59.9"],
        "weight": pa.array([2400, 2500, None, 3000, 2499, 4000, 1000, 2000], pa.int32()),
    }
)


@pytest.fixture(scope="module")
def table():
    con = connect("duckdb")
    return open_table(con, {"records": RECORDS}, "records")


def _run(expr) -> pl.DataFrame:
    return pl.from_arrow(expr.to_pyarrow())


def _kept(table, flt: Filter) -> list[str]:
    cond = filter_expression(table, flt, age="age", sex="sex")
    kept = table if cond is None else table.filter(cond)
    return sorted(_run(kept.select("icd10"))["icd10"].to_list())


def test_icd10_ranges_keep_edges_and_drop_neighbours(table):
    # X60-X84 keeps X60 and X84.9, drops X85; Y10-Y34 keeps Y10.2 and Y34, drops y35, X59.9
    assert _kept(table, Filter(icd10="X60-X84, Y10-Y34")) == ["X60", "X84.9", "Y10.2", "Y34"]
    assert _kept(table, Filter(icd10="C34")) == ["C34.1"]
    assert _kept(table, Filter(icd10="y35.0")) == []  # Y35.0 is more specific than "y35"


def test_age_sex_and_column_conditions(table):
    assert _kept(table, Filter(age=(5, 74))) == ["Y10.2", "Y34"]
    assert _kept(table, Filter(age=(75, None))) == ["C34.1", "X59.9", "y35"]
    assert _kept(table, Filter(sex="Female")) == ["C34.1", "X85", "Y10.2", "y35"]
    where = Filter(where=[{"column": "weight", "op": "<", "value": 2500}])
    assert _kept(table, where) == ["C34.1", "X59.9", "X60", "Y34"]
    null = Filter(where=[{"column": "weight", "op": "is null"}])
    assert _kept(table, null) == ["X85"]
    both = Filter(
        where=[
            {"column": "weight", "op": "between", "value": [2400, 2500]},
            {"column": "sex", "op": "in", "value": ["Male"]},
        ]
    )
    assert _kept(table, both) == ["X60", "X84.9", "Y34"]  # weights 2400, 2500, 2499


def test_unknown_filter_column_names_the_column(table):
    with pytest.raises(ColumnNotFoundError, match="column 'wieght' not found; available"):
        filter_expression(
            table, Filter(where=[{"column": "wieght", "value": 1}]), age="age", sex="sex"
        )
    with pytest.raises(InputError, match=r"filter\.age needs an age column"):
        filter_expression(table, Filter(age=(0, 5)), age=None, sex="sex")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("five", [0, 0, 0, 5, 70, 75, 90, 90]),
        ("life", [0, 1, 1, 5, 70, 75, 90, 90]),
    ],
)
def test_age_bands(table, kind, expected):
    out = _run(table.select(band=band_start(table.age, kind)))
    assert out["band"].to_list() == expected


@pytest.mark.parametrize(
    ("year", "year_from", "period", "expected"),
    [
        ("year", "year", "calendar", [2020, 2020, 2020, 2020, 2021, 2021, 2021, 2021]),
        ("date", "date", "calendar", [2020, 2020, 2020, 2020, 2021, 2021, 2021, 2021]),
        # financial years start on 1 April; academic years on 1 September
        ("date", "date", "financial", [2019, 2020, 2020, 2020, 2020, 2021, 2021, 2021]),
        ("date", "date", "academic", [2019, 2019, 2019, 2020, 2020, 2021, 2020, 2020]),
        ("label", "label", "academic", [2019, 2020, 2020, 2020, 2020, 2021, 2021, 2021]),
    ],
)
def test_period_start_from_year_date_or_label(table, year, year_from, period, expected):
    part = Denominator(table="records", area="icd10", year=year, year_from=year_from)
    out = dict(
        _run(count_expression(table, part, period_type=period, bands=None))
        .select("area_code", "year")
        .rows()
    )
    assert [out[code] for code in RECORDS["icd10"].to_pylist()] == expected


def test_events_people_and_sums(table):
    # a (twice, L1 2020), b (L1 2020), f (L1 2021), c (L2 2020), d e (L2 2021); g has no area
    events = Numerator(table="records", sex=None)
    people = Numerator(table="records", sex=None, count="people", person_id="person_id")
    summed = Denominator(table="records", sex=None, value="weight")
    keys = ["area_code", "year"]
    ev = _run(count_expression(table, events, period_type="calendar", bands=None)).sort(keys)
    pe = _run(count_expression(table, people, period_type="calendar", bands=None)).sort(keys)
    su = _run(count_expression(table, summed, period_type="calendar", bands=None)).sort(keys)
    assert ev.rows() == [
        ("L1", 2020, "Persons", 3.0),
        ("L1", 2021, "Persons", 1.0),
        ("L2", 2020, "Persons", 1.0),
        ("L2", 2021, "Persons", 2.0),
    ]
    assert pe["n"].to_list() == [2.0, 1.0, 1.0, 2.0]
    assert su["n"].to_list() == [4900.0, 1000.0, 3000.0, 6499.0]  # null weight ignored


def test_counts_by_sex_and_band(table):
    part = Numerator(table="records", filter=Filter(icd10="X60-X84, Y10-Y34"))
    out = _run(count_expression(table, part, period_type="calendar", bands="five"))
    assert out.sort("area_code", "year", "sex", "age_start").rows() == [
        ("L1", 2020, "Male", 0, 2.0),
        ("L2", 2020, "Female", 5, 1.0),
        ("L2", 2021, "Male", 70, 1.0),
    ]


def test_backend_must_be_known():
    with pytest.raises(InputError, match="backend must be one of"):
        connect("sqlite")
    with pytest.raises(InputError, match="table 'nope' not given; available"):
        open_table(connect("duckdb"), {"records": RECORDS}, "nope")


def test_expression_is_backend_neutral(table):
    part = Numerator(table="records", filter=Filter(icd10="X60-X84", age=(0, 74)))
    expr = count_expression(table, part, period_type="financial", bands="life")
    assert isinstance(expr, ibis.Table)
    assert list(expr.columns) == ["area_code", "year", "sex", "age_start", "n"]
