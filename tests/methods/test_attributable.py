"""Attributable fraction of mortality for a population-weighted mean exposure (PHOF D01)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import to_polars

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import attributable_fraction

RR = 1.08  # COMEAP 2022: relative risk of death per 10 ug/m3 of PM2.5


def _af(c: float, rr: float = RR, increment: float = 10.0) -> float:
    """The attributable fraction by its formula, 1 - RR^(-c / increment)."""
    return 1 - rr ** (-c / increment)


def _one(rows: dict, **kwargs) -> dict:
    out = attributable_fraction(pl.DataFrame(rows), "e", "w", **{"relative_risk": RR, **kwargs})
    assert len(out) == 1
    return out.row(0, named=True)


# --- worked examples ---------------------------------------------------------------------------


def test_ten_micrograms_is_one_minus_one_over_the_relative_risk():
    # c = 10 ug/m3 = one increment: AF = 1 - 1/1.08 = 0.0740740... (7.407% of deaths)
    got = _one({"e": [10.0 * 5000], "w": [5000.0]})
    assert got["exposure"] == pytest.approx(10.0, rel=1e-15)
    assert got["value"] == pytest.approx(100 * (1 - 1 / 1.08), rel=1e-12)
    assert got["value"] == pytest.approx(7.407407407407, rel=1e-12)
    assert got["statistic"] == "attributable fraction"
    assert got["method"] == "Attributable fraction: 1 - exp(-ln(RR) c / increment)"
    assert got["confidence"] is None  # OHID publishes no limits


def test_zero_exposure_attributes_nothing():
    got = _one({"e": [0.0], "w": [1200.0], "d": [40.0]}, deaths="d")
    assert got["value"] == 0.0
    assert got["attributable_deaths"] == 0.0


def test_rows_of_a_group_are_weighted_by_population():
    # two areas at 8 and 14 ug/m3 with 3,000 and 1,000 residents:
    # c = (8 x 3000 + 14 x 1000) / 4000 = 38000 / 4000 = 9.5, not the plain mean 11
    got = _one({"e": [8.0 * 3000, 14.0 * 1000], "w": [3000.0, 1000.0]})
    assert got["exposure"] == pytest.approx(9.5, rel=1e-15)
    assert (got["e"], got["w"]) == (38000.0, 4000.0)
    assert got["value"] == pytest.approx(100 * (1 - 1.08**-0.95), rel=1e-12)
    # ln 1.08 = 0.0769610; exp(-0.95 x 0.0769610) = 0.9294958: 7.0504% to 4 decimal places
    assert got["value"] == pytest.approx(7.0504, abs=5e-5)
    assert got["value"] != pytest.approx(100 * _af(11.0), rel=1e-3)


def test_attributable_deaths_are_the_fraction_of_deaths():
    # 10 and 12 ug/m3, 1,000 and 3,000 residents (c = 11.5), 30 + 90 deaths at 30+
    got = _one(
        {"e": [10.0 * 1000, 12.0 * 3000], "w": [1000.0, 3000.0], "d": [30.0, 90.0]}, deaths="d"
    )
    fraction = 1 - 1.08**-1.15
    assert got["d"] == 120.0
    assert got["value"] == pytest.approx(100 * fraction, rel=1e-12)
    assert got["attributable_deaths"] == pytest.approx(120 * fraction, rel=1e-12)
    assert got["attributable_deaths"] == pytest.approx(10.164, abs=5e-4)


def test_groups_are_sorted_and_each_has_its_own_mean():
    d = pl.DataFrame(
        {
            "area": ["b", "a", "b", "a"],
            "e": [9.0 * 10, 12.0 * 30, 11.0 * 30, 10.0],
            "w": [10.0, 30.0, 30.0, 1.0],
            "d": [1.0, 2.0, 3.0, 4.0],
        }
    )
    out = attributable_fraction(d, "e", "w", relative_risk=RR, deaths="d", group_by="area")
    assert out["area"].to_list() == ["a", "b"]
    c = [(12.0 * 30 + 10.0) / 31, (9.0 * 10 + 11.0 * 30) / 40]
    np.testing.assert_allclose(out["exposure"].to_numpy(), c, rtol=1e-14)
    np.testing.assert_allclose(out["value"].to_numpy(), [100 * _af(x) for x in c], rtol=1e-12)
    np.testing.assert_allclose(
        out["attributable_deaths"].to_numpy(), [6 * _af(c[0]), 4 * _af(c[1])], rtol=1e-12
    )


def test_multiplier_and_increment():
    rows = {"e": [12.0 * 100], "w": [100.0]}
    assert _one(rows, multiplier=1)["value"] == pytest.approx(_af(12.0), rel=1e-12)
    # a relative risk of 1.06 per 5 ug/m3 (the RR per 10 would be 1.06^2)
    got = _one(rows, relative_risk=1.06, increment=5)["value"]
    assert got == pytest.approx(100 * _af(12.0, 1.06**2, 10), rel=1e-12)


@pytest.mark.parametrize(
    ("kind", "columns"),
    [
        ("value", ["value"]),
        (
            "full",
            [
                "e",
                "w",
                "d",
                "value",
                "exposure",
                "attributable_deaths",
                "confidence",
                "statistic",
                "method",
            ],
        ),
    ],
)
def test_output_types(kind, columns):
    out = attributable_fraction(
        pl.DataFrame({"e": [10.0], "w": [1.0], "d": [3.0]}),
        "e",
        "w",
        relative_risk=RR,
        deaths="d",
        type=kind,
    )
    assert out.columns == columns


# --- withheld groups and errors ------------------------------------------------------------------


def test_a_group_with_no_weight_is_withheld_with_one_warning():
    d = pl.DataFrame(
        {
            "area": ["a", "a", "b", "c"],
            "e": [0.0, 0.0, 10.0, 0.0],
            "w": [0.0, 0.0, 1.0, 5.0],
            "d": [3.0, 4.0, 2.0, 1.0],
        }
    )
    with pytest.warns(SuppressedWarning) as record:
        out = attributable_fraction(d, "e", "w", relative_risk=RR, deaths="d", group_by="area")
    assert len(record) == 1
    assert str(record[0].message) == (
        "attributable fraction withheld for 1 of 3 groups with no weight (no population with a "
        "known exposure) (first: a)"
    )
    a, b, c = out.rows(named=True)
    assert (a["value"], a["exposure"], a["attributable_deaths"]) == (None, None, None)
    assert a["statistic"] == (
        "attributable fraction; no weight (no population with a known exposure)"
    )
    assert a["d"] == 7.0  # the deaths are still reported
    assert b["value"] == pytest.approx(100 * _af(10.0), rel=1e-12)
    assert (c["value"], c["statistic"]) == (0.0, "attributable fraction")


def test_negative_exposure_raises_naming_the_column():
    d = pl.DataFrame({"e": [10.0, -5.0, 3.0], "w": [1.0, 2.0, 3.0]})
    with pytest.raises(
        InputError,
        match=r"column 'e' must be >= 0: 1 of 3 rows fail "
        r"\(rows \[1\], values \[-5\]\)",
    ):
        attributable_fraction(d, "e", "w", relative_risk=RR)


@pytest.mark.parametrize("column", ["w", "d"])
def test_negative_weight_or_deaths_raise_naming_the_column(column):
    d = pl.DataFrame({"e": [10.0, 5.0], "w": [1.0, 2.0], "d": [1.0, 1.0]})
    d = d.with_columns(
        pl.when(pl.int_range(2) == 1).then(-1.0).otherwise(pl.col(column)).alias(column)
    )
    with pytest.raises(InputError, match=rf"column '{column}' must be >= 0"):
        attributable_fraction(d, "e", "w", relative_risk=RR, deaths="d")


def test_missing_weight_raises():
    d = pl.DataFrame({"e": [10.0, 5.0], "w": [1.0, None]})
    with pytest.raises(InputError, match="column 'w' must not be missing or infinite"):
        attributable_fraction(d, "e", "w", relative_risk=RR)


def _flagged() -> pl.DataFrame:
    return attributable_fraction(
        pl.DataFrame(
            {
                "area": ["a", "b", "b", "c"],
                "e": [100.0, 50.0, -5.0, 240.0],
                "w": [10.0, 5.0, 3.0, 20.0],
                "d": [5.0, 7.0, 2.0, 1.0],
            }
        ),
        "e",
        "w",
        relative_risk=RR,
        deaths="d",
        group_by="area",
        errors="flag",
    )


def test_errors_flag_withholds_only_the_bad_group():
    with warnings.catch_warnings():  # whether it warns is tested below
        warnings.simplefilter("ignore", SuppressedWarning)
        out = _flagged()
    a, b, c = out.rows(named=True)
    assert (b["value"], b["exposure"], b["attributable_deaths"]) == (None, None, None)
    assert b["statistic"] == "column 'e' must be >= 0"
    assert a["value"] == pytest.approx(100 * _af(10.0), rel=1e-12)
    assert c["value"] == pytest.approx(100 * _af(12.0), rel=1e-12)
    assert c["attributable_deaths"] == pytest.approx(_af(12.0), rel=1e-12)
    assert a["statistic"] == c["statistic"] == "attributable fraction"


def test_errors_flag_warns_once_for_invalid_input():
    with pytest.warns(SuppressedWarning, match="invalid input") as record:
        _flagged()
    assert len(record) == 1


def test_errors_flag_reports_the_bad_group_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        b = _flagged().row(1, named=True)
    assert (b["e"], b["w"], b["d"]) == (45.0, 8.0, 9.0)


@pytest.mark.parametrize(
    ("argument", "kwargs"),
    [
        ("relative_risk", {"relative_risk": 0}),
        ("relative_risk", {"relative_risk": -1.08}),
        ("relative_risk", {"relative_risk": math.nan}),
        ("relative_risk", {"relative_risk": "1.08"}),
        ("increment", {"relative_risk": RR, "increment": 0}),
        ("increment", {"relative_risk": RR, "increment": -10}),
        ("increment", {"relative_risk": RR, "increment": math.inf}),
    ],
)
def test_bad_relative_risk_or_increment_raise_naming_the_argument(argument, kwargs):
    with pytest.raises(InputError, match=f"argument '{argument}' must be"):
        attributable_fraction(pl.DataFrame({"e": [10.0], "w": [1.0]}), "e", "w", **kwargs)


def test_text_columns_and_missing_columns_are_errors():
    with pytest.raises(InputError, match="columns must be numeric: 'e' is String"):
        attributable_fraction(pl.DataFrame({"e": ["10"], "w": [1.0]}), "e", "w", relative_risk=RR)
    with pytest.raises(InputError, match=r"columns \['d'\] not found"):
        attributable_fraction(
            pl.DataFrame({"e": [10.0], "w": [1.0]}), "e", "w", relative_risk=RR, deaths="d"
        )


# --- frames in, the same kind out ---------------------------------------------------------------


def test_same_answer_from_pandas_polars_arrow(constructor):
    d = {
        "area": ["E2", "E1", "E2"],
        "e": [9.0 * 20, 11.0 * 40, 13.0 * 60],
        "w": [20.0, 40.0, 60.0],
        "d": [2.0, 4.0, 6.0],
    }
    native = constructor(d)
    out = attributable_fraction(native, "e", "w", relative_risk=RR, deaths="d", group_by="area")
    assert type(out) is type(native)
    got = to_polars(out)
    ref = attributable_fraction(
        pl.DataFrame(d), "e", "w", relative_risk=RR, deaths="d", group_by="area"
    )
    assert got["area"].to_list() == ["E1", "E2"]
    cols = ["e", "w", "d", "value", "exposure", "attributable_deaths"]
    np.testing.assert_allclose(got.select(cols).to_numpy(), ref.select(cols).to_numpy(), rtol=1e-15)
    assert got["exposure"].to_list() == [11.0, 12.0]


@pytest.mark.parametrize(
    "native",
    [
        pd.DataFrame({"e": [10.0], "w": [1.0]}),
        pl.DataFrame({"e": [10.0], "w": [1.0]}),
        pa.table({"e": [10.0], "w": [1.0]}),
    ],
    ids=["pandas", "polars", "arrow"],
)
def test_the_input_is_not_modified(native):
    before = to_polars(native).clone()
    attributable_fraction(native, "e", "w", relative_risk=RR)
    assert to_polars(native).equals(before)


# --- properties ---------------------------------------------------------------------------------

concentrations = st.floats(0, 50)
risks = st.floats(1.001, 2)
increments = st.floats(5, 20)


def _fraction(c: float, rr: float, increment: float) -> float:
    return _one(
        {"e": [c * 1000], "w": [1000.0]}, relative_risk=rr, increment=increment, multiplier=1
    )["value"]


@settings(max_examples=60, deadline=None)
@given(concentrations, st.floats(0.1, 50), risks, increments)
def test_fraction_is_in_zero_one_and_increases_with_exposure(c, more, rr, increment):
    low, high = _fraction(c, rr, increment), _fraction(c + more, rr, increment)
    assert 0 <= low < high < 1
    assert low == pytest.approx(_af(c, rr, increment), rel=1e-12, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.1, 50), risks, st.floats(0.01, 1), increments)
def test_fraction_increases_with_the_relative_risk(c, rr, more, increment):
    assert _fraction(c, rr, increment) < _fraction(c, rr + more, increment)


@settings(max_examples=60, deadline=None)
@given(concentrations, risks, increments)
def test_only_the_exposure_in_increments_matters(c, rr, increment):
    assert _fraction(2 * c, rr, 2 * increment) == pytest.approx(
        _fraction(c, rr, increment), rel=1e-14, abs=1e-300
    )


rows = st.lists(
    st.tuples(concentrations, st.floats(1, 1e5), st.integers(0, 500)), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(rows, st.data())
def test_splitting_a_group_rows_changes_nothing(rows, data):
    c, w, d = (np.array(v, float) for v in zip(*rows, strict=True))
    whole = attributable_fraction(
        pl.DataFrame({"e": c * w, "w": w, "d": d}), "e", "w", relative_risk=RR, deaths="d"
    ).row(0, named=True)
    # each row becomes two rows with the same exposure, its weight and deaths shared
    share = np.array(data.draw(st.lists(st.floats(0, 1), min_size=len(c), max_size=len(c))))
    w2 = np.concatenate([w * share, w * (1 - share)])
    split = pl.DataFrame(
        {"e": np.tile(c, 2) * w2, "w": w2, "d": np.concatenate([d * share, d * (1 - share)])}
    )
    split = split.sample(fraction=1.0, shuffle=True, seed=data.draw(st.integers(0, 1000)))
    parts = attributable_fraction(split, "e", "w", relative_risk=RR, deaths="d").row(0, named=True)
    for col in ("exposure", "value", "attributable_deaths"):
        assert parts[col] == pytest.approx(whole[col], rel=1e-9, abs=1e-12), col
    assert whole["exposure"] == pytest.approx((c * w).sum() / w.sum(), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(rows, st.lists(st.sampled_from("abc"), min_size=12, max_size=12))
def test_grouped_equals_each_group_alone(rows, labels):
    c, w, d = (np.array(v, float) for v in zip(*rows, strict=True))
    frame = pl.DataFrame({"g": labels[: len(c)], "e": c * w, "w": w, "d": d})
    together = attributable_fraction(frame, "e", "w", relative_risk=RR, deaths="d", group_by="g")
    for row in together.rows(named=True):
        alone = attributable_fraction(
            frame.filter(pl.col("g") == row["g"]), "e", "w", relative_risk=RR, deaths="d"
        ).row(0, named=True)
        for col in ("exposure", "value", "attributable_deaths"):
            assert row[col] == pytest.approx(alone[col], rel=1e-12, abs=1e-15), col
