import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest

from healthgap import _limits, _output


def test_suffixes_labels_and_names():
    assert _output.level_suffix(0.95) == "95_0"
    assert _output.level_suffix(0.998) == "99_8"
    assert _output.level_label((0.95,)) == "95%"
    assert _output.level_label((0.95, 0.998)) == "95%, 99.8%"
    assert _output.level_label((0.9,)) == "90%"
    assert _output.level_label(()) is None
    assert _output.limit_names((0.99,)) == [("lowercl", "uppercl")]
    assert _output.limit_names((0.95, 0.998)) == [
        ("lower95_0cl", "upper95_0cl"),
        ("lower99_8cl", "upper99_8cl"),
    ]


def _keys(native):
    return nw.from_native(native, eager_only=True)


@pytest.mark.parametrize(
    ("type_", "columns"),
    [
        (
            "full",
            [
                "g",
                "x",
                "value",
                "lower95_0cl",
                "upper95_0cl",
                "lower99_8cl",
                "upper99_8cl",
                "confidence",
                "statistic",
                "method",
            ],
        ),
        (
            "standard",
            ["g", "x", "value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"],
        ),
        ("value", ["g", "value"]),
        ("lower", ["g", "lower95_0cl", "lower99_8cl"]),
        ("upper", ["g", "upper95_0cl", "upper99_8cl"]),
    ],
)
def test_assemble_selects_by_type(type_, columns):
    keys = _keys(pl.DataFrame({"g": ["a", "b"], "x": [1, 2]}))
    limits = {
        0.95: _limits.Limits(np.array([0.1, 0.2]), np.array([0.3, 0.4])),
        0.998: _limits.Limits(np.array([0.0, 0.1]), np.array([0.5, 0.6])),
    }
    out = _output.assemble(
        keys,
        value=np.array([0.2, 0.3]),
        limits=limits,
        levels=(0.95, 0.998),
        statistic="s",
        method="m",
        type=type_,
        inputs=["x"],
    )
    assert out.columns == columns


def test_assemble_withheld_rows_become_null_and_keeps_kind(constructor):
    keys = _keys(constructor({"g": ["a", "b"]}))
    limits = {0.95: _limits.Limits(np.array([0.1, 0.2]), np.array([0.3, 0.4]))}
    out = _output.assemble(
        keys,
        value=np.array([0.2, np.nan]),
        limits=limits,
        levels=(0.95,),
        statistic=np.array(["ok", "why"], dtype=object),
        method="m",
        type="full",
        withheld=np.array([False, True]),
    )
    native = nw.to_native(out)
    assert type(native) is type(constructor({"g": ["a"]}))
    got = pl.DataFrame(native) if not isinstance(native, pd.DataFrame) else pl.from_pandas(native)
    assert got["value"].to_list() == [0.2, None]
    assert got["lowercl"].to_list() == [0.1, None]
    assert got["uppercl"].to_list() == [0.3, None]
    assert got["statistic"].to_list() == ["ok", "why"]
    assert got["confidence"].to_list() == ["95%", "95%"]


def test_assemble_without_limits():
    keys = _keys(pl.DataFrame({"g": ["a"]}))
    out = _output.assemble(
        keys, value=np.array([1.0]), limits={}, levels=(), statistic="s", method="m", type="full"
    )
    assert out.columns == ["g", "value", "confidence", "statistic", "method"]
    assert nw.to_native(out)["confidence"].to_list() == [None]


def test_with_arrays_broadcasts_scalars():
    frame = _keys(pl.DataFrame({"g": [1, 2]}))
    out = nw.to_native(_output.with_arrays(frame, {"s": "txt", "f": 1.5, "a": np.array([3, 4])}))
    assert out["s"].to_list() == ["txt", "txt"]
    assert out["f"].to_list() == [1.5, 1.5]
    assert out["a"].to_list() == [3, 4]


def test_pandas_with_arrays_matches_narwhals_with_columns():
    """The one-step pandas construction gives what ``with_columns`` gives, column by column:
    a non-default index, a replaced column, text/null scalars, object and narwhals columns."""
    native = pd.DataFrame({"g": ["b", "a", "c"], "v": [1, 2, 3]}, index=[10, 5, 7])
    native.columns.name = "cols"
    frame = nw.from_native(native, eager_only=True)
    arrays = {
        "v": np.array([0.5, np.nan, 2.0]),
        "s": "txt",
        "none": None,
        "f": 1.5,
        "o": np.array(["x", None, "z"], dtype=object),
        "i": np.array([1, 2, 3]),
        "mixed": np.array([1, None, 2.5], dtype=object),
        "ser": nw.new_series("other", [True, False, True], backend="pandas"),
    }
    fast = nw.to_native(_output.with_arrays(frame, arrays))
    slow = nw.to_native(
        frame.with_columns(*(_output._series(frame, k, v) for k, v in arrays.items()))
    )
    pd.testing.assert_frame_equal(fast, slow)
    assert list(fast.columns) == ["g", "v", "s", "none", "f", "o", "i", "mixed", "ser"]
    assert fast.columns.name == "cols"
    assert native["v"].tolist() == [1, 2, 3]  # the caller's frame is untouched
