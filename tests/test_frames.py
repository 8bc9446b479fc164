import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthgap import _frames


@pytest.mark.parametrize(
    "values",
    [
        [5, -3, 5, 0, -3, 12],  # small range: direct addressing
        [10**12, 7, 10**12, -(10**9), 7],  # huge range: falls back to dictionary encoding
    ],
)
def test_integer_dense_ranks_match_sorted_distinct_values(values):
    ranks, count = _frames._dense_ranks(pa.array(values, pa.int64()))
    distinct = sorted(set(values))
    assert count == len(distinct)
    np.testing.assert_array_equal(ranks, [distinct.index(v) for v in values])


def test_integer_keys_with_nulls_sort_nulls_last():
    ranks, count = _frames._dense_ranks(pa.array([3, None, 1, 3], pa.int64()))
    assert count == 3
    np.testing.assert_array_equal(ranks, [1, 2, 0, 1])


INTEGER_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def _native(kind, values, dtype):
    if kind == "pandas":
        return pd.DataFrame({"g": pd.Series(values, dtype=dtype)})
    if kind == "polars":
        return pl.DataFrame(
            {"g": pl.Series(values, dtype=getattr(pl, dtype.capitalize().replace("Ui", "UI")))}
        )
    return pa.table({"g": pa.array(values, getattr(pa, dtype)())})


@settings(max_examples=80, deadline=None)
@given(
    dtype=st.sampled_from(INTEGER_TYPES),
    kind=st.sampled_from(["pandas", "polars", "arrow"]),
    data=st.data(),
)
def test_integer_group_ids_match_sorted_distinct_values(dtype, kind, data):
    """The direct-addressing path (dense or gappy ranges, extremes of every width) numbers
    groups as a sort of the distinct values would, and keeps the key's type."""
    info = np.iinfo(dtype)
    narrow = st.integers(max(int(info.min), -5), min(int(info.max), 300))
    values = data.draw(
        st.lists(
            st.one_of(narrow, st.integers(int(info.min), int(info.max))), min_size=1, max_size=40
        )
    )
    frame = nw.from_native(_native(kind, values, dtype), eager_only=True)
    ids, keys = _frames.group_ids(frame, ["g"])
    distinct, inverse = np.unique(np.array(values, dtype=dtype), return_inverse=True)
    np.testing.assert_array_equal(ids, inverse)
    assert ids.dtype == np.int64
    assert keys["g"].to_list() == distinct.tolist()
    assert keys.schema == frame.select("g").schema
    if kind == "pandas":
        assert nw.to_native(keys)["g"].dtype == np.dtype(dtype)


def test_narrow_integer_keys_are_not_merged():
    """int8 keys whose offsets from the minimum exceed 127 (offsets are taken in 64 bits)."""
    frame = nw.from_native(pd.DataFrame({"g": np.array([-100, -27, 28, 100, 28], np.int8)}))
    ids, keys = _frames.group_ids(frame, ["g"])
    assert ids.tolist() == [0, 1, 2, 3, 2]
    assert keys["g"].to_list() == [-100, -27, 28, 100]


@pytest.mark.parametrize("dtype", ["Int64", "int64[pyarrow]", "Int16"])
@pytest.mark.parametrize("nulls", [False, True])
def test_pandas_extension_integer_keys_keep_dtype_and_sort_nulls_last(dtype, nulls):
    values = [5, 3, None, 5, 9] if nulls else [5, 3, 7, 5, 9]
    native = pd.DataFrame({"g": pd.Series(values, dtype=dtype)})
    ids, keys = _frames.group_ids(nw.from_native(native, eager_only=True), ["g"])
    assert ids.tolist() == ([1, 0, 3, 1, 2] if nulls else [1, 0, 2, 1, 3])
    assert nw.to_native(keys)["g"].dtype == native["g"].dtype


def test_group_ids_never_hand_back_a_writable_view_of_the_callers_column():
    native = pd.DataFrame({"g": np.arange(6, dtype=np.int64) % 3})
    ids, _ = _frames.group_ids(nw.from_native(native, eager_only=True), ["g"])
    assert not (np.shares_memory(ids, native["g"].to_numpy()) and ids.flags.writeable)
    assert native["g"].tolist() == [0, 1, 2, 0, 1, 2]


@pytest.mark.parametrize(
    "native",
    [
        pd.DataFrame({"v": pd.Series([1, None, 3], dtype="Int64")}),
        pd.DataFrame({"v": np.array([1, 2, 3], np.uint8)}),
        pd.DataFrame({"v": np.array([1.5, np.nan], np.float32)}),
        pl.DataFrame({"v": [1, None, 3]}),
        pa.table({"v": pa.array([1, None, 3], pa.int32())}),
    ],
    ids=["pandas-Int64", "pandas-uint8", "pandas-float32", "polars", "arrow"],
)
def test_column_as_float_matches_cast(native):
    frame = nw.from_native(native, eager_only=True)
    expected = frame["v"].cast(nw.Float64).to_numpy().astype(float)
    got = _frames.column(frame, "v")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "native",
    [
        pd.DataFrame({"v": np.array([4, 0, 7], np.int64)}),
        pl.DataFrame({"v": pl.Series([4, 0, 7], dtype=pl.Int32)}),
        pa.table({"v": pa.array([4, 0, 7], pa.uint16())}),
    ],
    ids=["pandas-int64", "polars-int32", "arrow-uint16"],
)
def test_counts_keep_integer_columns_as_integers(native):
    got = _frames.counts(nw.from_native(native, eager_only=True), "v")
    assert got.dtype.kind in "iu"
    assert got.tolist() == [4, 0, 7]


def test_counts_with_nulls_or_fractions_are_floats():
    frame = nw.from_native(pl.DataFrame({"a": [1, None], "b": [0.5, 2.0]}), eager_only=True)
    a, b = _frames.counts(frame, "a"), _frames.counts(frame, "b")
    assert a.dtype == b.dtype == np.float64
    assert np.isnan(a[1])
    assert b.tolist() == [0.5, 2.0]
