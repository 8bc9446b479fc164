import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import to_polars

from healthgap.compare import quintiles
from healthgap.errors import InputError

PLAIN = [
    "Lowest quintile",
    "2nd lowest quintile",
    "Middle quintile",
    "2nd highest quintile",
    "Highest quintile",
]


def test_ten_values_two_per_quintile(constructor):
    # 1..10: bounds at 2.8, 4.6, 6.4, 8.2 (PERCENTILE.INC: x_(k) + d (x_(k+1) - x_(k)) with
    # k + d = 9 q + 1), so two values per quintile
    out = to_polars(quintiles(constructor({"value": [float(v) for v in range(10, 0, -1)]})))
    assert out["quintile"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert out["comparison"].to_list() == [label for label in PLAIN[::-1] for _ in (0, 1)]
    assert out["reason"].null_count() == 10
    assert out.schema["quintile"] == pl.Int64


def test_a_value_on_a_bound_goes_in_the_lower_quintile():
    # 1..6: bounds 2, 3, 4, 5 exactly; each value equals a bound
    out = quintiles(pl.DataFrame({"value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}))
    assert out["quintile"].to_list() == [1, 1, 2, 3, 4, 5]


def test_ties_share_a_quintile_and_may_leave_quintiles_empty():
    out = quintiles(pl.DataFrame({"value": [1.0, 1.0, 1.0, 1.0, 1.0, 2.0]}))
    assert out["quintile"].to_list() == [1, 1, 1, 1, 1, 5]


def test_fewer_than_five_values_are_not_compared(constructor):
    df = constructor(
        {"g": ["a"] * 4 + ["b"] * 5, "value": [1.0, 2.0, 3.0, None, 1.0, 2.0, 3.0, 4.0, 5.0]}
    )
    out = to_polars(quintiles(df, group_by="g"))
    assert out["comparison"].to_list()[:4] == ["Not compared"] * 4
    assert out["reason"].to_list()[:4] == ["fewer than 5 values in the group"] * 3 + [
        "value missing"
    ]
    assert out["quintile"].to_list()[4:] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("polarity", "expected"),
    [
        (
            "high_is_good",
            [
                "Worst quintile",
                "2nd worst quintile",
                "Middle quintile",
                "2nd best quintile",
                "Best quintile",
            ],
        ),
        (
            "low_is_good",
            [
                "Best quintile",
                "2nd best quintile",
                "Middle quintile",
                "2nd worst quintile",
                "Worst quintile",
            ],
        ),
        ("no_judgement", PLAIN),
    ],
)
def test_polarity_turns_lowest_highest_into_best_worst(polarity, expected):
    out = quintiles(pl.DataFrame({"value": [1.0, 2.0, 3.0, 4.0, 5.0]}), polarity=polarity)
    assert out["comparison"].to_list() == expected
    assert out["quintile"].to_list() == [1, 2, 3, 4, 5]


def test_null_polarity_in_a_column_is_said():
    df = pl.DataFrame(
        {
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
            "polarity": [None, None, None, "low_is_good", "low_is_good"],
        }
    )
    out = quintiles(df, polarity="polarity")
    assert out["comparison"].to_list() == [*PLAIN[:3], "2nd worst quintile", "Worst quintile"]
    assert out["reason"].to_list()[0] == "polarity not set: quintiles shown without judgement"


def test_grouped_equals_each_group_alone():
    rng = np.random.default_rng(7)
    df = pl.DataFrame({"g": rng.integers(0, 20, 2_000), "value": rng.normal(0, 1, 2_000)})
    together = quintiles(df, group_by="g")
    for g, part in df.with_row_index().group_by("g"):
        alone = quintiles(part.drop("index"))
        rows = part["index"].to_list()
        assert together["quintile"].gather(rows).to_list() == alone["quintile"].to_list(), g


def test_errors_name_the_argument():
    with pytest.raises(InputError, match="columns \\['rate'\\] not found"):
        quintiles(pl.DataFrame({"value": [1.0]}), "rate")
    with pytest.raises(InputError, match="must be numeric: 'value' is String"):
        quintiles(pl.DataFrame({"value": ["1"]}))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=5, max_size=60))
def test_a_higher_value_never_has_a_lower_quintile(values):
    out = quintiles(pl.DataFrame({"value": values}))
    order = np.argsort(values, kind="stable")
    ranked = out["quintile"].to_numpy()[order]
    assert (np.diff(ranked) >= 0).all()
    assert ranked[0] == 1
    assert ranked[-1] == 5 or values.count(max(values)) > len(values) // 5
