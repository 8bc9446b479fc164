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
from tests.methods._phe_example import AGES, DEATHS, POPS

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import life_expectancy

LABELS = ["<1", "1-4", *[f"{a} – {a + 4}" for a in AGES[2:-1]], "90 +"]

# PHE Life Expectancy Calculator (Fingertips technical guidance), its example population,
# as published with PHEindicatormethods' tests (testLifeExpectancy.R, answer1), 10 s.f.
# The calculator's limits use z = 1.96 exactly.
PHE_VALUE = [
    80.16960813,
    79.36245674,
    75.44193645,
    70.47299936,
    65.52909542,
    60.67510088,
    55.78835987,
    50.92752727,
    46.06740425,
    41.24505636,
    36.49322717,
    31.83343842,
    27.26027992,
    22.9719144,
    18.76856852,
    14.95858336,
    11.51684445,
    8.618849241,
    6.163942934,
    6.16210635,
]
PHE_LOWER = [
    79.88268548,
    79.0898816,
    75.17407307,
    70.20675732,
    65.26548673,
    60.41876577,
    55.53801579,
    50.68279939,
    45.82666794,
    41.00842831,
    36.26223216,
    31.60996318,
    27.04337271,
    22.76653134,
    18.57570352,
    14.77985004,
    11.34831778,
    8.451134045,
    5.978358351,
    5.887683386,
]
PHE_UPPER = [
    80.45653078,
    79.63503188,
    75.70979983,
    70.7392414,
    65.79270412,
    60.931436,
    56.03870395,
    51.17225516,
    46.30814055,
    41.48168441,
    36.72422219,
    32.05691365,
    27.47718713,
    23.17729746,
    18.96143352,
    15.13731667,
    11.68537112,
    8.786564437,
    6.349527517,
    6.436529314,
]
Z95 = 1.959963984540054


def reference_life_table(starts, deaths, pops):
    """Plain one-band-at-a-time life table and variance (PHE guidance; Silcocks et al.)."""
    k = len(starts)
    lx, big_l, s2q, a, n = [100000.0], [], [], [], []
    for i in range(k):
        m = deaths[i] / pops[i]
        ai = 0.1 if starts[i] == 0 else 0.5
        a.append(ai)
        if i < k - 1:
            ni = starts[i + 1] - starts[i]
            n.append(ni)
            qi = ni * m / (1 + (1 - ai) * ni * m) if ai * ni * m <= 1 else 1.0
            lx.append(lx[i] * (1 - qi))
            big_l.append(ni * (lx[i + 1] + ai * (lx[i] - lx[i + 1])))
            s2q.append(qi * qi * (1 - qi) / deaths[i] if lx[i] > lx[i + 1] else 0.0)
        else:
            big_l.append(lx[i] / m)
    e = [sum(big_l[i:]) / lx[i] for i in range(k)]
    var = []
    for i in range(k):
        total = 0.0
        for j in range(i, k - 1):
            total += lx[j] ** 2 * ((1 - a[j]) * n[j] + e[j + 1]) ** 2 * s2q[j]
        m = deaths[-1] / pops[-1]
        total += lx[-1] ** 2 / (deaths[-1] * m * m)
        var.append(total / lx[i] ** 2)
    return np.array(e), np.array(var)


def phe_frame(**extra):
    return pl.DataFrame({"age": AGES, "pops": POPS, "deaths": DEATHS, **extra})


def test_matches_phe_calculator_example():
    out = life_expectancy(phe_frame(), "deaths", "pops", "age")
    np.testing.assert_allclose(out["value"].to_numpy(), PHE_VALUE, rtol=1e-9)
    # the calculator's standard errors, recovered from its z = 1.96 limits
    se = (out["uppercl"] - out["value"]).to_numpy() / Z95
    np.testing.assert_allclose(se, (np.array(PHE_UPPER) - PHE_VALUE) / 1.96, rtol=1e-6)
    np.testing.assert_allclose(se, (np.array(PHE_VALUE) - PHE_LOWER) / 1.96, rtol=1e-6)
    assert out["statistic"][0] == "life expectancy at 0"
    assert out["confidence"][0] == "95%"
    assert out["pops_used"][0] == sum(POPS)
    assert out["dths_used"][-1] == DEATHS[-1]
    assert out["method"][0] == (
        "Chiang II, Silcocks et al. for the open age band; "
        "20 age bands (0, 1-4, 5-9, ..., 85-89, 90+)"
    )


def test_same_answer_from_pandas_polars_arrow(constructor):
    data = {
        "area": ["A"] * 20 + ["B"] * 20,
        "age": AGES * 2,
        "pops": POPS * 2,
        "deaths": DEATHS + [d * 2 for d in DEATHS],
    }
    native = constructor(data)
    out = life_expectancy(
        native, "deaths", "pops", "age", group_by="area", confidence=(0.95, 0.998)
    )
    assert type(out) is type(native)
    out = to_polars(out)
    assert out.columns == [
        "area",
        "age",
        "value",
        "pops_used",
        "dths_used",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
        "confidence",
        "statistic",
        "method",
    ]
    np.testing.assert_allclose(out["value"][:20].to_numpy(), PHE_VALUE, rtol=1e-9)
    assert (out["value"][20:].to_numpy() < out["value"][:20].to_numpy()).all()
    assert out["confidence"][0] == "95%, 99.8%"


def test_labels_in_any_order_match_numbers():
    order = np.random.default_rng(3).permutation(20)
    df = pl.DataFrame(
        {
            "age": [LABELS[i] for i in order],
            "pops": [POPS[i] for i in order],
            "deaths": [DEATHS[i] for i in order],
        }
    )
    out = life_expectancy(df, "deaths", "pops", "age")
    assert out["age"].to_list() == LABELS
    np.testing.assert_allclose(out["value"].to_numpy(), PHE_VALUE, rtol=1e-9)
    assert out["statistic"][1] == "life expectancy at 1-4"


@pytest.mark.parametrize(
    "labels",
    [
        ["0", "1-4", *[f"{a}-{a + 4}" for a in AGES[2:-1]], "90 and over"],
        ["Under 1", "1 to 4", *[f"{a} to {a + 4}" for a in AGES[2:-1]], "90+ years"],
    ],
)
def test_age_contents_fixes_the_layout(labels):
    df = pl.DataFrame({"age": labels[::-1], "pops": POPS[::-1], "deaths": DEATHS[::-1]})
    out = life_expectancy(df, "deaths", "pops", "age", age_contents=labels, le_age=labels[3])
    np.testing.assert_allclose(out["value"].to_numpy(), PHE_VALUE[3], rtol=1e-9)


def _five_year(ages, values, top):
    """Merge bands into 0-4, 5-9, ..., with an open band from ``top``."""
    starts = [0, *range(5, top + 1, 5)]
    idx = np.searchsorted(starts, ages, side="right") - 1
    return starts, np.bincount(idx, weights=values).tolist()


@pytest.mark.parametrize(("top", "first_band"), [(90, "0-4"), (85, "0-4")])
def test_other_layouts_match_a_plain_life_table(top, first_band):
    starts, pops = _five_year(AGES, POPS, top)
    _, deaths = _five_year(AGES, DEATHS, top)
    out = life_expectancy(
        pl.DataFrame({"age": starts, "pops": pops, "deaths": deaths}), "deaths", "pops", "age"
    )
    e, var = reference_life_table(starts, deaths, pops)
    np.testing.assert_allclose(out["value"].to_numpy(), e, rtol=1e-12)
    np.testing.assert_allclose(out["uppercl"].to_numpy(), e + Z95 * np.sqrt(var), rtol=1e-12)
    assert (
        f"{len(starts)} age bands ({first_band}, 5-9, 10-14, ..., {top - 5}-{top - 1}, "
        f"{top}+)" in out["method"][0]
    )


def test_single_years_match_a_plain_life_table():
    ages = np.arange(0, 101)
    pops = np.full(101, 20000.0)
    deaths = np.round(pops * np.exp(-9 + 0.085 * ages))
    out = life_expectancy(
        pl.DataFrame({"age": ages, "pops": pops, "deaths": deaths}), "deaths", "pops", "age"
    )
    e, var = reference_life_table(ages, deaths, pops)
    np.testing.assert_allclose(out["value"].to_numpy(), e, rtol=1e-12)
    np.testing.assert_allclose(out["lowercl"].to_numpy(), e - Z95 * np.sqrt(var), rtol=1e-12)
    assert "101 age bands (0, 1, 2, ..., 99, 100+)" in out["method"][0]


def test_layouts_by_group_are_each_computed_with_their_own_bands():
    starts5, pops5 = _five_year(AGES, POPS, 85)
    _, deaths5 = _five_year(AGES, DEATHS, 85)
    df = pl.DataFrame(
        {
            "area": ["A"] * 20 + ["B"] * len(starts5),
            "age": AGES + starts5,
            "pops": POPS + pops5,
            "deaths": DEATHS + deaths5,
        },
        strict=False,
    )
    out = life_expectancy(df, "deaths", "pops", "age", group_by="area", age_contents="by group")
    a, b = out.filter(pl.col("area") == "A"), out.filter(pl.col("area") == "B")
    np.testing.assert_allclose(a["value"].to_numpy(), PHE_VALUE, rtol=1e-9)
    np.testing.assert_allclose(
        b["value"].to_numpy(), reference_life_table(starts5, deaths5, pops5)[0], rtol=1e-12
    )
    assert "20 age bands" in a["method"][0]
    assert "18 age bands" in b["method"][0]


def test_grouped_equals_one_group_at_a_time_and_duplicates_add_up():
    rng = np.random.default_rng(7)
    frames, singles = [], []
    for area in ["E1", "E2", "E3"]:
        d = rng.poisson(np.array(DEATHS) * rng.uniform(0.5, 1.5))
        part = pl.DataFrame({"area": area, "age": AGES, "pops": POPS, "deaths": d})
        frames.append(part)
        singles.append(life_expectancy(part, "deaths", "pops", "age")["value"].to_numpy())
    both = pl.concat(frames)
    grouped = life_expectancy(both, "deaths", "pops", "age", group_by="area")
    np.testing.assert_allclose(grouped["value"].to_numpy(), np.concatenate(singles), rtol=1e-12)
    # the same data split into two rows per band (e.g. by sex) adds up to the same table
    halves = pl.concat([both.with_columns(pl.col("pops", "deaths") / 2)] * 2)
    split = life_expectancy(halves, "deaths", "pops", "age", group_by="area")
    np.testing.assert_allclose(split["value"].to_numpy(), grouped["value"].to_numpy(), rtol=1e-12)


def _grouped_with_problems():
    good = {"area": ["good"] * 20, "age": AGES, "pops": POPS, "deaths": DEATHS}
    neg = dict(good, area=["neg deaths"] * 20, deaths=[*DEATHS[:3], -2, *DEATHS[4:]])
    zero = dict(
        good,
        area=["zero pop"] * 20,
        pops=[*POPS[:5], 0, *POPS[6:]],
        deaths=[*DEATHS[:5], 0, *DEATHS[6:]],
    )
    more = dict(good, area=["deaths > pop"] * 20, deaths=[*DEATHS[:5], 50000, *DEATHS[6:]])
    small = dict(good, area=["small"] * 20, pops=[250] * 20, deaths=[1] * 20)
    parts = [pl.DataFrame(p) for p in (good, neg, zero, more, small)]
    return pl.concat(parts)


def test_withheld_groups_get_nulls_a_reason_and_one_warning():
    with pytest.warns(SuppressedWarning) as record:
        out = life_expectancy(_grouped_with_problems(), "deaths", "pops", "age", group_by="area")
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith("life expectancy withheld for 4 of 5 groups:")
    for text in [
        "column 'deaths' must be >= 0 (1; first: neg deaths)",
        "column 'pops' must be > 0 (1; first: zero pop)",
        "column 'deaths' must be <= column 'pops' (1; first: deaths > pop)",
        "total population 5,000 or less (1; first: small)",
    ]:
        assert text in message
    by_area = {a: g for (a,), g in out.group_by("area")}
    np.testing.assert_allclose(by_area["good"]["value"].to_numpy(), PHE_VALUE, rtol=1e-9)
    for area in ["neg deaths", "zero pop", "deaths > pop", "small"]:
        rows = by_area[area]
        assert len(rows) == 20
        assert rows["value"].null_count() == 20
        assert rows["lowercl"].null_count() == 20
    assert (
        by_area["small"]["statistic"][0]
        == "life expectancy at 0 NA: total population 5,000 or less"
    )


def test_population_of_exactly_5000_is_withheld_and_5001_is_not():
    base = {"age": [0, 1, 50], "deaths": [3, 5, 400]}
    with pytest.warns(SuppressedWarning, match="total population 5,000 or less"):
        out = life_expectancy(
            pl.DataFrame({**base, "pops": [500, 2500, 2000]}), "deaths", "pops", "age", le_age=0
        )
    assert out["value"][0] is None
    out = life_expectancy(
        pl.DataFrame({**base, "pops": [500, 2500, 2001]}), "deaths", "pops", "age", le_age=0
    )
    assert out["value"][0] is not None


def test_errors_raise_names_column_and_rows():
    df = pl.DataFrame({"age": AGES, "pops": POPS, "deaths": [*DEATHS[:3], -2, *DEATHS[4:]]})
    with pytest.raises(
        InputError,
        match=r"column 'deaths' must be >= 0: 1 of 20 rows fail "
        r"\(rows \[3\], values \[-2\]\)",
    ):
        life_expectancy(df, "deaths", "pops", "age", errors="raise")


def test_no_deaths_in_the_open_band_is_withheld():
    df = phe_frame().with_columns(
        deaths=pl.when(pl.col("age") == 90).then(0).otherwise(pl.col("deaths"))
    )
    with pytest.warns(SuppressedWarning, match="no deaths in the open age band"):
        out = life_expectancy(df, "deaths", "pops", "age")
    assert out["value"].null_count() == 20


def test_value_withheld_when_95_interval_is_wider_than_20_years():
    # two deaths in a small open band: only the oldest value's interval is too wide
    df = pl.DataFrame(
        {"age": [0, 1, 45, 85], "pops": [1000, 4000, 40000, 20], "deaths": [5, 2, 800, 2]}
    )
    with pytest.warns(SuppressedWarning, match="95% confidence interval wider than 20 years"):
        out = life_expectancy(df, "deaths", "pops", "age", confidence=(0.95, 0.998))
    # the 95% interval by hand from the variance (Chiang; the open band alone at 85):
    # Var(e_85) = 1 / (D M^2) with M = 2/20, so the 95% half-width is 1.96 * sqrt(50) > 10
    assert 1.959964 * math.sqrt(1 / (2 * 0.1**2)) > 10
    wide = np.array([False, False, False, True])
    # issue #17 item 8: OHID withholds the limits with the value
    for column in ("value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"):
        assert out[column].is_null().to_list() == wide.tolist()
    assert out.filter(pl.Series(wide))["statistic"][0].endswith(
        "NA: 95% confidence interval wider than 20 years"
    )


def test_implausible_life_expectancy_is_flagged_and_withheld():
    # issue #14: populations of 1e300 gave a life expectancy of 1e299 years with no flag
    df = phe_frame().with_columns(pops=pl.col("pops").cast(pl.Float64) * 1e295)
    with pytest.warns(SuppressedWarning, match="implausible"):
        out = life_expectancy(df, "deaths", "pops", "age")
    assert out["value"].null_count() == len(out)
    assert out["lowercl"].null_count() == len(out)
    assert out["statistic"][0] == (
        "life expectancy at 0 NA: implausible: life expectancy above 150 years "
        "(populations far too large for the deaths?)"
    )


def test_missing_band_withholds_the_group_or_raises():
    full = pl.DataFrame({"area": "A", "age": AGES, "pops": POPS, "deaths": DEATHS})
    short = full.filter(pl.col("age") != 40).with_columns(area=pl.lit("B"))
    both = pl.concat([full, short])
    with pytest.warns(SuppressedWarning, match=r"missing age bands \(1; first: B\)"):
        out = life_expectancy(both, "deaths", "pops", "age", group_by="area")
    assert out.filter(pl.col("area") == "B")["value"].null_count() == 19
    with pytest.raises(InputError, match=r"every age band of the layout .* \(B\)"):
        life_expectancy(both, "deaths", "pops", "age", group_by="area", errors="raise")


@pytest.mark.parametrize(
    ("kwargs", "data", "match"),
    [
        ({"age_contents": [0, 5, 1]}, None, r"ascending order of age; out of position: \[1\]"),
        ({"age_contents": [1, 5, 10]}, None, "must start at age 0"),
        ({"le_age": 3}, None, r"argument 'le_age' must be 'all' or age bands .* \[3\]"),
        (
            {},
            {"age": ["0", "1-4", "ten"], "pops": [1, 2, 3], "deaths": [0, 0, 1]},
            r"cannot read 1 value\(s\): \['ten'\]",
        ),
        (
            {},
            {"age": ["0", "1-4", "10-14", "15+"], "pops": [1] * 4, "deaths": [0] * 4},
            r"band '1-4' ends at 4 but the next band '10-14' starts at 10",
        ),
        (
            {},
            {"age": ["0", "5+", "10+"], "pops": [1] * 3, "deaths": [0] * 3},
            r"open band '5\+' is not the last",
        ),
        ({}, {"age": [1, 5], "pops": [1] * 2, "deaths": [0] * 2}, "must start at age 0"),
        ({"confidence": 0.5}, None, "confidence must be between 0.9 and 1"),
        ({"type": "all"}, None, "argument 'type' must be one of"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, data, match):
    df = phe_frame() if data is None else pl.DataFrame(data)
    with pytest.raises(InputError, match=match):
        life_expectancy(df, "deaths", "pops", "age", **kwargs)


def test_missing_columns_and_text_counts_are_errors():
    with pytest.raises(InputError, match=r"columns \['pop'\] not found"):
        life_expectancy(phe_frame(), "deaths", "pop", "age")
    with pytest.raises(InputError, match="columns must be numeric: 'deaths' is String"):
        life_expectancy(
            phe_frame().with_columns(pl.col("deaths").cast(pl.String)), "deaths", "pops", "age"
        )


@pytest.mark.parametrize(
    ("type_", "columns"),
    [
        ("value", ["age", "value"]),
        ("lower", ["age", "lowercl"]),
        ("upper", ["age", "uppercl"]),
        ("standard", ["age", "value", "lowercl", "uppercl"]),
    ],
)
def test_output_types(type_, columns):
    out = life_expectancy(phe_frame(), "deaths", "pops", "age", type=type_, le_age=[5, 25])
    assert out.columns == columns
    assert out["age"].to_list() == [5, 25]


def test_pandas_input_is_not_modified_and_gets_a_fresh_index():
    df = pd.DataFrame(
        {"age": AGES[::-1], "pops": POPS[::-1], "deaths": DEATHS[::-1]}, index=range(100, 120)
    )
    before = df.copy()
    out = life_expectancy(df, "deaths", "pops", "age")
    pd.testing.assert_frame_equal(df, before)
    assert list(out.index) == list(range(20))
    assert out["age"].tolist() == AGES


def test_arrow_keeps_integer_ages():
    out = life_expectancy(
        pa.table({"age": AGES, "pops": POPS, "deaths": DEATHS}), "deaths", "pops", "age", le_age=65
    )
    assert out.schema.field("age").type == pa.int64()
    assert out["value"].to_pylist()[0] == pytest.approx(PHE_VALUE[14], rel=1e-9)


scales = st.lists(st.floats(0.2, 3.0), min_size=20, max_size=20)


@settings(max_examples=40, deadline=None)
@given(scales, st.integers(0, 19), st.floats(1.05, 3.0))
def test_limits_bracket_value_and_more_deaths_lower_life_expectancy(scale, band, factor):
    # deaths up to 30% of the band's population, so no band empties the table (q < 1)
    deaths = np.clip(np.round(np.array(DEATHS) * scale), 1.0, np.floor(0.3 * np.array(POPS)))
    df = pl.DataFrame({"age": AGES, "pops": POPS, "deaths": deaths})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)  # the 20-year rule may apply
        out = life_expectancy(df, "deaths", "pops", "age", confidence=(0.95, 0.998))
    order = ["lower99_8cl", "lower95_0cl", "upper95_0cl", "upper99_8cl"]
    steps = np.diff(out.select(order).to_numpy(), axis=1)
    assert (steps > 0).all()
    e, _ = reference_life_table(AGES, deaths, POPS)
    lo, hi = out["lower95_0cl"].to_numpy(), out["upper95_0cl"].to_numpy()
    assert ((lo < e) & (e < hi)).all()
    more = deaths.copy()
    more[band] = min(math.ceil(more[band] * factor), math.floor(0.38 * POPS[band]))
    e_more, _ = reference_life_table(AGES, more, POPS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        out_more = life_expectancy(
            df.with_columns(deaths=pl.Series(more)),
            "deaths",
            "pops",
            "age",
            type="value",
            confidence=None,
        )
    values = out_more["value"].fill_null(np.nan).to_numpy()
    np.testing.assert_allclose(values[np.isfinite(values)], e_more[np.isfinite(values)], rtol=1e-12)
    assert e_more[0] < e[0]


@pytest.mark.realdata
def test_published_ward_intervals_have_the_form_of_chiangs(shared_data):
    # GLA/ONS life expectancy at birth by London ward and borough, 5-year pooled periods
    # 1999-2003 to 2010-14, with 95% limits (mortality/gla_life-expectancy-ward-at-Birth.csv).
    # Deaths and populations by age are not published with it, so the values cannot be
    # recomputed; what can be checked is the form of the interval our method gives:
    # Chiang's interval is value -/+ z * se, symmetric (to the 0.1-year rounding of the
    # file), and no published value has a 95% interval wider than OHID's 20 years.
    data = pl.read_csv(
        shared_data / "mortality" / "gla_life-expectancy-ward-at-Birth.csv", infer_schema_length=0
    )
    checked = 0
    for column in [c for c in data.columns if c.endswith(";Life expectancy at birth")]:
        stem = column.rsplit(";", 1)[0]
        value, lower, upper = (
            data[c].cast(pl.Float64, strict=False).to_numpy()
            for c in (column, f"{stem};95% Lower", f"{stem};95% Upper")
        )
        ok = np.isfinite(value) & np.isfinite(lower) & np.isfinite(upper)
        checked += int(ok.sum())
        assert (np.abs((upper - value) - (value - lower))[ok] <= 0.1 + 1e-9).all()
        assert ((upper - lower)[ok] <= 20).all()
    assert checked > 15_000
    # and ours is exactly symmetric
    out = life_expectancy(phe_frame(), "deaths", "pops", "age")
    np.testing.assert_allclose(
        out["uppercl"] - out["value"], out["value"] - out["lowercl"], rtol=1e-12
    )


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("<1", 0, 0),
        ("Under 1", 0, 0),
        ("0", 0, -1),
        (0, 0, -1),
        (5.0, 5, -1),
        ("1-4", 1, 4),
        ("10 – 14", 10, 14),
        ("10—14", 10, 14),
        ("15 to 19", 15, 19),
        ("Aged 20-24", 20, 24),
        ("25-29 years", 25, 29),
        ("90+", 90, -2),
        ("90 +", 90, -2),
        ("85 and over", 85, -2),
        ("85 plus", 85, -2),
        ("100 or older", 100, -2),
    ],
)
def test_age_labels_are_read(label, start, end):
    from healthgap.methods._ages import parse_label

    assert tuple(parse_label(label)) == (start, end)


@pytest.mark.parametrize("label", ["ten", "4-1", "<0", -1, 2.5, None, True, "1-4-9"])
def test_what_is_not_an_age_band(label):
    from healthgap.methods._ages import parse_label

    assert parse_label(label) is None


def test_categorical_labels_and_missing_ages():
    labels = pl.Series("age", LABELS, dtype=pl.Categorical)
    df = pl.DataFrame({"age": labels, "pops": POPS, "deaths": DEATHS})
    out = life_expectancy(df, "deaths", "pops", "age", le_age="<1")
    assert out["value"][0] == pytest.approx(PHE_VALUE[0], rel=1e-9)
    with pytest.raises(InputError, match=r"column 'age' must not be missing: 1 of 20 rows"):
        life_expectancy(phe_frame(age=[None, *AGES[1:]]), "deaths", "pops", "age")
