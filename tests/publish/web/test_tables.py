"""Rows as served: spreadsheet-safe CSV, list parameters, stable Fingertips numbers."""

from __future__ import annotations

import io
import re

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthgap.errors import InputError
from healthgap.publish._safe_text import PLAIN_NUMBER, spreadsheet_text
from healthgap.publish.web import _fingertips_ids, _tables

PLAIN = re.compile(PLAIN_NUMBER)


@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_no_cell_can_start_a_formula(texts):
    out = _tables.defuse(pl.DataFrame({"t": texts, "n": list(range(len(texts)))}))
    for before, after in zip(texts, out["t"].to_list(), strict=True):
        assert after == spreadsheet_text(before)  # the exports' rule, cell by cell
        if before[:1] in ("=", "+", "-", "@", "\t", "\r") and not PLAIN.match(before):
            assert after == "'" + before
        elif not before[:1].isspace():
            assert after == before  # numbers such as "-0" stay as written
    assert out["n"].to_list() == list(range(len(texts)))  # numbers stay numbers


def test_csv_bytes_round_trip_and_defuse():
    frame = pl.DataFrame({"name": ["=HYPERLINK(1)", "Barnet"], "value": [-1.5, None]})
    back = pl.read_csv(io.BytesIO(_tables.csv_bytes(frame)))
    assert back["name"].to_list() == ["'=HYPERLINK(1)", "Barnet"]
    assert back["value"].to_list() == [-1.5, None]


def test_list_parameters():
    assert _tables.split("area", None) is None
    assert _tables.split("area", "a,b") == ["a", "b"]
    with pytest.raises(InputError, match="parameter 'area' has an empty item"):
        _tables.split("area", "a,,b")
    with pytest.raises(InputError, match="parameter 'sex' lists 201 values; at most 200"):
        _tables.split("sex", ",".join(["x"] * 201))
    with pytest.raises(InputError, match="parameter 'limit' must be at most 10000"):
        _tables.page(pl.DataFrame({"a": [1]}), 10_001, 0)


@given(st.lists(st.text(min_size=1, max_size=20), max_size=60, unique=True))
def test_numbers_are_stable_unique_and_keep_fixed_ids(texts):
    fixed = {texts[0]: 90366} if texts else {}
    first = _fingertips_ids.number_map(texts, fixed)
    again = _fingertips_ids.number_map(list(reversed(texts)), fixed)
    assert first == again
    assert len(set(first.values())) == len(texts)
    if texts:
        assert first[texts[0]] == 90366
    assert all(n >= _fingertips_ids.DERIVED_BASE for t, n in first.items() if t not in fixed)


def test_area_types_use_fingertips_ids():
    got = _fingertips_ids.area_type_ids(["country", "region", "la", "lsoa"])
    assert got["country"][0] == 15
    assert got["region"][0] == 6
    assert got["la"][0] == 502
    assert got["lsoa"][0] >= _fingertips_ids.DERIVED_BASE


@given(st.integers(0, 30), st.integers(1, 7))
def test_streamed_csv_equals_the_whole(n, rows):
    frame = pl.DataFrame({"a": list(range(n)), "b": ["-x" if i % 3 else "y" for i in range(n)]})
    assert b"".join(_tables.csv_chunks(frame, rows)) == _tables.csv_bytes(frame)


TEXT = st.text(
    alphabet=st.sampled_from([*"=+-@ \t\r\nab1.eE'\"\\<", "\uff1d", "\uff0d", "\u00e9", "\u2028"]),
    max_size=8,
)


@given(st.lists(TEXT, min_size=1, max_size=12), TEXT)
def test_defuse_is_the_exports_rule(texts, name):
    from healthgap.publish._safe_text import spreadsheet_safe

    frame = pl.DataFrame({"t": texts, f"c{name}": texts, "n": list(range(len(texts)))})
    assert _tables.defuse(frame).equals(spreadsheet_safe(frame))
    assert _tables.defuse(frame).columns == spreadsheet_safe(frame).columns


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
            st.one_of(st.none(), st.integers(-(2**53), 2**53)),
            st.one_of(st.none(), st.text(max_size=6)),
        ),
        max_size=10,
    )
)
def test_json_rows_are_the_records(rows):
    import json

    frame = pl.DataFrame(
        rows, schema={"f": pl.Float64, "i": pl.Int64, "s": pl.String}, orient="row"
    )
    assert json.loads(_tables.json_rows(frame)) == _tables.records(frame)
    head = {"vintages": ["a"], "total": frame.height}
    body = json.loads(_tables.json_body(head, frame))
    assert body == {**head, "rows": _tables.records(frame)}
    assert list(body) == ["vintages", "total", "rows"]
