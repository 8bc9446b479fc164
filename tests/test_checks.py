import narwhals as nw
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthgap import _checks
from healthgap.errors import ColumnNotFoundError, InputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.95, (0.95,)),
        (95, (0.95,)),
        (99.8, (0.998,)),
        (0.9, (0.9,)),
        (1, (1.0,)),
        (100, (1.0,)),
        ((0.95, 0.998), (0.95, 0.998)),
        ([99.8, 95], (0.95, 0.998)),
        (None, ()),
    ],
)
def test_confidence_normalised(value, expected):
    assert _checks.confidence(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0.85, r"confidence must be between 0\.9 and 1 \(or 90 and 100\); got 0\.85"),
        (89, r"confidence must be between 0\.9 and 1"),
        (100.5, r"confidence must be between 0\.9 and 1"),
        ((0.95, 0.99), r"two confidence levels must be 95% and 99\.8% \(0\.95, 0\.998\)"),
        ((0.95, 0.998, 0.9), r"two confidence levels must be 95% and 99\.8%"),
        ("0.95", r"confidence must be a number or a pair of numbers; got '0\.95'"),
        (True, r"confidence must be a number"),
    ],
)
def test_confidence_rejected(value, message):
    with pytest.raises(InputError, match=message):
        _checks.confidence(value)


def test_one_of_and_number():
    _checks.one_of("type", "full", ("full", "value"))
    with pytest.raises(
        InputError,
        match=r"argument 'type' must be one of \['full', 'value'\]; "
        r"got 'all'",
    ):
        _checks.one_of("type", "all", ("full", "value"))
    assert _checks.number("m", 3) == 3.0
    with pytest.raises(InputError, match=r"argument 'm' must be > 0; got 0"):
        _checks.number("m", 0, low=0, low_open=True)
    with pytest.raises(InputError, match=r"argument 'm' must be >= 1; got 0\.5"):
        _checks.number("m", 0.5, low=1)
    with pytest.raises(InputError, match=r"argument 'm' must be <= 2; got 3"):
        _checks.number("m", 3, high=2)
    with pytest.raises(InputError, match=r"argument 'm' must be a number; got '3'"):
        _checks.number("m", "3")
    with pytest.raises(InputError, match=r"argument 'm' must be finite; got inf"):
        _checks.number("m", float("inf"))


def test_columns_and_numeric():
    frame = nw.from_native(pl.DataFrame({"a": [1], "b": ["x"]}), eager_only=True)
    _checks.columns(frame, "a", None)
    with pytest.raises(
        ColumnNotFoundError,
        match=r"columns \['c', 'd'\] not found; available: "
        r"\['a', 'b'\]",
    ):
        _checks.columns(frame, "a", "c", "d")
    _checks.numeric(frame, "a")
    with pytest.raises(InputError, match=r"columns must be numeric: 'b' is String"):
        _checks.numeric(frame, "a", "b")


def test_where_lists_first_rows_and_values():
    mask = np.zeros(10, bool)
    mask[[1, 3, 4, 5, 7, 9]] = True
    values = np.arange(10) * 1.5
    text = _checks.where(mask, values)
    assert text == (
        "6 of 10 rows fail (rows [1, 3, 4, 5, 7], values [1.5, 4.5, 6, 7.5, 10.5], ...)"
    )
    assert _checks.where(np.array([False, True]), np.array([np.nan, np.nan])) == (
        "1 of 2 rows fail (rows [1], values [NaN])"
    )


def test_row_checks_raise_lists_every_rule():
    checks = _checks.RowChecks(4)
    checks.count_column("x", np.array([1.0, -1.0, np.nan, 2.5]), integer=True)
    checks.positive_column("n", np.array([1.0, 0.0, 2.0, 3.0]))
    checks.at_most("x", np.array([1.0, 0.0, 0.0, 5.0]), "n", np.array([1.0, 1.0, 1.0, 3.0]))
    with pytest.raises(InputError) as info:
        checks.resolve("raise")
    msg = str(info.value)
    assert "column 'x' must not be missing or infinite: 1 of 4 rows fail (rows [2]" in msg
    assert "column 'x' must be >= 0: 1 of 4 rows fail (rows [1], values [-1])" in msg
    assert "column 'x' must hold whole numbers: 1 of 4 rows fail (rows [3], values [2.5])" in msg
    assert "column 'n' must be > 0: 1 of 4 rows fail (rows [1], values [0])" in msg
    assert "column 'x' must be <= column 'n': 1 of 4 rows fail (rows [3], values [5])" in msg


def test_row_checks_flag_gives_reasons_per_group():
    checks = _checks.RowChecks(5, np.array([0, 0, 1, 2, 2]))
    checks.count_column("x", np.array([1.0, -1.0, 2.0, 3.0, 4.0]))
    checks.positive_column("n", np.array([1.0, 0.0, 1.0, 1.0, 0.0]))
    reasons = checks.resolve("flag")
    assert reasons.tolist() == [
        "column 'x' must be >= 0; column 'n' must be > 0",
        None,
        "column 'n' must be > 0",
    ]


def test_row_checks_clean_and_bad_errors_argument():
    checks = _checks.RowChecks(2)
    checks.count_column("x", np.array([1.0, 2.0]))
    assert checks.resolve("raise") is None
    with pytest.raises(InputError, match=r"argument 'errors' must be one of"):
        checks.resolve("warn")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, -0.0, 1e308, -1.0, 3.0]),
        ),
        min_size=0,
        max_size=12,
    )
)
def test_row_checks_quick_pass_agrees_with_row_masks(values):
    """Clean columns skip the row masks (min and sum); any NaN, infinity, value out of range or
    overflowing total falls back to them, so the failures are always those of the rows."""
    x = np.array(values, dtype=float)
    checks = _checks.RowChecks(len(x))
    checks.count_column("x", x)
    checks.positive_column("n", x)
    with np.errstate(invalid="ignore"):
        expected = [
            np.flatnonzero(m).tolist()
            for m in (
                ~np.isfinite(x),
                np.isfinite(x) & (x < 0),
                ~np.isfinite(x),
                np.isfinite(x) & (x <= 0),
            )
        ]
    assert [np.flatnonzero(mask).tolist() for mask, _ in checks.failures] == [
        rows for rows in expected if rows
    ]
