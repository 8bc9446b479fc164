import contextlib
import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthgap.errors import (
    ColumnNotFoundError,
    InputError,
    MissingCountWarning,
    SuppressedWarning,
)
from healthgap.methods import dsr
from healthgap.methods.standard_populations import ESP2013, esp2013, esp2013_bands

ESP = list(ESP2013)


def dobson_by_hand(x, n, w, level, multiplier=100_000):
    """Dobson et al. 1991 re-derived in exact fractions, Byar's limits on the total count."""
    sw = sum(Fraction(v) for v in w)
    value = sum(Fraction(wi) * xi / ni for xi, ni, wi in zip(x, n, w, strict=True)) / sw
    var = (
        sum(Fraction(wi) ** 2 * xi / Fraction(ni) ** 2 for xi, ni, wi in zip(x, n, w, strict=True))
        / sw**2
    )
    total = sum(x)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    o_lo = total * (1 - 1 / (9 * total) - z / (3 * math.sqrt(total))) ** 3
    t1 = total + 1
    o_hi = t1 * (1 - 1 / (9 * t1) + z / (3 * math.sqrt(t1))) ** 3
    scale = math.sqrt(var / total)
    v = float(value)
    return (
        v * multiplier,
        (v + scale * (o_lo - total)) * multiplier,
        (v + scale * (o_hi - total)) * multiplier,
    )


def esp_data(seed=1, groups=("E1", "E2")):
    rng = np.random.default_rng(seed)
    k = len(groups)
    return pl.DataFrame(
        {
            "area": np.repeat(groups, 19),
            "band": np.tile(np.arange(0, 95, 5), k),
            "deaths": rng.integers(0, 60, 19 * k),
            "pop": rng.integers(2_000, 9_000, 19 * k),
        }
    )


def test_esp2013_default_matches_hand_derivation_both_levels():
    d = esp_data()
    out = dsr(d, "deaths", "pop", group_by="area", confidence=(0.95, 0.998))
    assert out.columns == [
        "area",
        "total_count",
        "total_pop",
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
        "confidence",
        "statistic",
        "method",
    ]
    for row in out.iter_rows(named=True):
        part = d.filter(pl.col("area") == row["area"])
        x, n = part["deaths"].to_list(), part["pop"].to_list()
        assert row["total_count"] == sum(x)
        assert row["total_pop"] == sum(n)
        for level, suffix in ((0.95, "95_0"), (0.998, "99_8")):
            value, lo, hi = dobson_by_hand(x, n, ESP, level)
            assert row["value"] == pytest.approx(value, rel=1e-9)
            assert row[f"lower{suffix}cl"] == pytest.approx(lo, rel=1e-9)
            assert row[f"upper{suffix}cl"] == pytest.approx(hi, rel=1e-9)
        assert row["statistic"] == "dsr per 100000"
        assert row["method"] == "Dobson"
        assert row["confidence"] == "95%, 99.8%"


def test_stdpop_column_vector_and_default_agree():
    d = esp_data().with_columns(pl.Series("esp", ESP * 2))
    by_default = dsr(d, "deaths", "pop", group_by="area")
    by_column = dsr(d, "deaths", "pop", "esp", group_by="area")
    by_vector = dsr(d, "deaths", "pop", ESP, group_by="area")
    for other in (by_column, by_vector):
        np.testing.assert_allclose(
            other.select("value", "lowercl", "uppercl").to_numpy(),
            by_default.select("value", "lowercl", "uppercl").to_numpy(),
            rtol=1e-12,
        )


def test_under_75s_with_truncated_standard():
    d = esp_data().filter(pl.col("band") < 75)
    out = dsr(d, "deaths", "pop", esp2013(stop=75), group_by="area", multiplier=1000)
    assert out["statistic"].to_list() == ["dsr per 1000"] * 2
    for row in out.iter_rows(named=True):
        part = d.filter(pl.col("area") == row["area"])
        value, lo, hi = dobson_by_hand(
            part["deaths"].to_list(), part["pop"].to_list(), ESP[:15], 0.95, multiplier=1000
        )
        assert (row["value"], row["lowercl"], row["uppercl"]) == pytest.approx(
            (value, lo, hi), rel=1e-9
        )


def test_rows_matched_to_standard_by_row_order_within_group():
    # interleaved groups: the age bands of each group are still taken in row order
    d = esp_data()
    shuffled = d.with_row_index("i").sort(pl.col("i") % 19, "area").drop("i")
    np.testing.assert_allclose(
        dsr(shuffled, "deaths", "pop", group_by="area")["value"].to_numpy(),
        dsr(d, "deaths", "pop", group_by="area")["value"].to_numpy(),
        rtol=1e-12,
    )


@pytest.mark.parametrize("labels", ["starts", "text"])
def test_esp2013_matched_by_band_when_there_is_an_age_column(labels):
    # issue #17 item 4: shuffled rows gave DSRs wrong by up to 207% when ESP2013 was matched
    # by position; with the age column it is matched by band, in any row order
    d = esp_data(seed=7, groups=("E1", "E2", "E3"))
    if labels == "text":
        names = dict(zip(range(0, 95, 5), esp2013_bands(), strict=True))
        d = d.with_columns(pl.col("band").replace_strict(names, return_dtype=pl.String))
    expected = dsr(d, "deaths", "pop", group_by="area", confidence=(0.95, 0.998))
    shuffled = d.sample(fraction=1.0, shuffle=True, seed=3)
    out = dsr(shuffled, "deaths", "pop", group_by="area", ageband="band", confidence=(0.95, 0.998))
    cols = ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
    np.testing.assert_allclose(
        out.select(cols).to_numpy(), expected.select(cols).to_numpy(), rtol=1e-12
    )
    # by hand for one group: the weight of each row follows its band
    e2 = d.filter(pl.col("area") == "E2")
    value, lo, hi = dobson_by_hand(e2["deaths"].to_list(), e2["pop"].to_list(), ESP, 0.95)
    row = out.filter(pl.col("area") == "E2").row(0, named=True)
    assert (row["value"], row["lower95_0cl"], row["upper95_0cl"]) == pytest.approx(
        (value, lo, hi), rel=1e-9
    )


def test_esp2013_by_band_takes_each_group_over_its_own_bands():
    # an "under 75" group (15 bands) beside an "all ages" group (19): each is standardised
    # over the ESP2013 bands it has
    d = esp_data(seed=2, groups=("all", "u75"))
    d = d.filter((pl.col("area") == "all") | (pl.col("band") < 75))
    out = dsr(d, "deaths", "pop", group_by="area", ageband="band")
    u75 = d.filter(pl.col("area") == "u75")
    value, lo, hi = dobson_by_hand(u75["deaths"].to_list(), u75["pop"].to_list(), ESP[:15], 0.95)
    row = out.row(1, named=True)
    assert (row["value"], row["lowercl"], row["uppercl"]) == pytest.approx(
        (value, lo, hi), rel=1e-9
    )
    # issue #17 item 2: the same with the standard population in a column, no band rule
    with_column = d.with_columns(
        w=pl.col("band").replace_strict(dict(zip(range(0, 95, 5), ESP, strict=True)))
    )
    by_column = dsr(with_column, "deaths", "pop", "w", group_by="area")
    cols = ["value", "lowercl", "uppercl"]
    np.testing.assert_allclose(
        by_column.select(cols).to_numpy(), out.select(cols).to_numpy(), rtol=1e-12
    )


def test_bands_outside_esp2013_and_unsorted_rows_for_a_sequence_are_errors():
    d = esp_data(groups=("E1",))
    with pytest.raises(
        InputError,
        match=r"column 'band' has age bands that are not bands of the 2013 European "
        r"Standard Population .*: \['85\+'\]",
    ):
        dsr(
            d.with_columns(pl.col("band").cast(pl.String).replace("85", "85+")),
            "deaths",
            "pop",
            ageband="band",
        )
    shuffled = d.reverse()
    with pytest.raises(
        InputError, match=r"rows of each group must be in age order, youngest first.*\(all rows\)"
    ):
        dsr(shuffled, "deaths", "pop", ESP, ageband="band")
    # in age order, the sequence is matched by position, as without the age column
    assert dsr(d, "deaths", "pop", ESP, ageband="band")["value"][0] == pytest.approx(
        dsr(d, "deaths", "pop")["value"][0], rel=1e-12
    )


def test_missing_count_is_zero_events_with_a_warning_as_r():
    # issue #17 item 1: calculate_dsr counts a missing count as 0 events and gives a DSR
    d = esp_data(groups=("E1", "E2"))
    holed = d.with_columns(
        deaths=pl.when((pl.col("area") == "E2") & (pl.col("band") == 40))
        .then(None)
        .otherwise(pl.col("deaths"))
    )
    zeroed = holed.with_columns(pl.col("deaths").fill_null(0))
    with pytest.warns(
        MissingCountWarning,
        match=r"column 'deaths' has missing counts, taken as 0 events: 1 of 38 rows fail "
        r"\(rows \[27\]\); pass errors='raise'",
    ):
        out = dsr(holed, "deaths", "pop", group_by="area")
    ref = dsr(zeroed, "deaths", "pop", group_by="area")
    assert (
        out.select("total_count", "value", "lowercl", "uppercl").rows()
        == ref.select("total_count", "value", "lowercl", "uppercl").rows()
    )
    with pytest.raises(InputError, match=r"column 'deaths' must not be missing or infinite"):
        dsr(holed, "deaths", "pop", group_by="area", errors="raise")
    with pytest.warns(SuppressedWarning, match=r"dsr withheld for 1 of 2 groups"):
        flagged = dsr(holed, "deaths", "pop", group_by="area", errors="flag")
    assert flagged["value"].to_list()[1] is None
    assert flagged["value"][0] == pytest.approx(ref["value"][0], rel=1e-12)


@pytest.mark.parametrize("flag", ["no", "False", 0, 1, None])
def test_independent_events_takes_booleans_only(flag):
    # issue #17 item 3: "no" is truthy in Python and silently gave the unadjusted result
    d = esp_data(groups=("E1",)).with_columns(pl.lit(1).alias("freq"))
    with pytest.raises(InputError, match=r"argument 'independent_events' must be True or False"):
        dsr(d, "deaths", "pop", independent_events=flag, eventfreq="freq", ageband="band")


def test_non_independent_events_x_counts_people_as_r():
    # two people with 3 events each: 6 events, and a variance term 2 * 3**2 = 18
    d = pl.DataFrame(
        {
            "band": [0, 0, 5],
            "freq": [1, 3, 1],
            "people": [10, 2, 20],
            "n": [1000, 1000, 2000],
            "w": [1, 1, 1],
        }
    )
    out = dsr(d, "people", "n", "w", independent_events=False, eventfreq="freq", ageband="band")
    row = out.row(0, named=True)
    assert row["total_count"] == 36  # 10 + 2 * 3 + 20 events
    value = (Fraction(16, 1000) + Fraction(20, 2000)) / 2 * 100_000
    assert row["value"] == pytest.approx(float(value), rel=1e-12)
    var = (Fraction(10 + 18) / 1000**2 + Fraction(20) / 2000**2) / 4
    z = NormalDist().inv_cdf(0.975)
    o = 36
    o_hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    expected_hi = (float(value) / 100_000 + math.sqrt(var / o) * (o_hi - o)) * 100_000
    assert row["uppercl"] == pytest.approx(expected_hi, rel=1e-9)


def test_total_count_nine_withheld_ten_given():
    # 9 and 10 events spread over two bands; standard population 1 and 1
    d = pl.DataFrame(
        {"g": ["a", "a", "b", "b"], "x": [4, 5, 4, 6], "n": [100, 200, 100, 200], "w": [1, 1, 1, 1]}
    )
    with pytest.warns(
        SuppressedWarning,
        match=r"dsr withheld for 1 of 2 groups with total count < 10 \(first: a\)",
    ):
        out = dsr(d, "x", "n", "w", group_by="g", confidence=(0.95, 0.998))
    first, second = out.rows(named=True)
    assert first["total_count"] == 9
    assert first["value"] is None
    assert first["lower95_0cl"] is None
    assert first["upper99_8cl"] is None
    assert first["statistic"] == "dsr NA for total count < 10"
    value, lo, hi = dobson_by_hand([4, 6], [100, 200], [1, 1], 0.95)
    assert (second["value"], second["lower95_0cl"], second["upper95_0cl"]) == pytest.approx(
        (value, lo, hi), rel=1e-9
    )
    assert second["statistic"] == "dsr per 100000"


def test_zero_events_in_some_bands():
    d = pl.DataFrame({"x": [0, 0, 12], "n": [500, 800, 900], "w": [3, 2, 1]})
    row = dsr(d, "x", "n", "w").row(0, named=True)
    assert (row["value"], row["lowercl"], row["uppercl"]) == pytest.approx(
        dobson_by_hand([0, 0, 12], [500, 800, 900], [3, 2, 1], 0.95), rel=1e-9
    )


def test_non_independent_events_with_frequency_one_equals_independent():
    d = esp_data().with_columns(pl.lit(1).alias("freq"))
    a = dsr(d, "deaths", "pop", group_by="area")
    b = dsr(
        d,
        "deaths",
        "pop",
        group_by="area",
        independent_events=False,
        eventfreq="freq",
        ageband="band",
    )
    np.testing.assert_allclose(
        b.select("value", "lowercl", "uppercl").to_numpy(),
        a.select("value", "lowercl", "uppercl").to_numpy(),
        rtol=1e-12,
    )


def test_non_independent_events_hand_derivation():
    # band 0: 6 people with 1 event, 2 people with 3 events (12 events); band 1: 10 people with
    # one event and 1 person with 2 (12 events); rows arrive out of order on purpose. As in
    # PHEindicatormethods' calculate_dsr, x counts the people with each event frequency.
    d = pl.DataFrame(
        {
            "band": ["b1", "b0", "b1", "b0"],
            "freq": [2, 1, 1, 3],
            "x": [1, 6, 10, 2],
            "n": [4000, 1000, 4000, 1000],
            "w": [40, 60, 40, 60],
        }
    )
    out = dsr(d, "x", "n", "w", independent_events=False, eventfreq="freq", ageband="band")
    row = out.row(0, named=True)
    # per band (n and w repeat on its rows): b0 has 12 events, sum f^2 x = 6*1 + 2*9 = 24;
    # b1 has 12 events, sum f^2 x = 10*1 + 1*4 = 14
    sw = Fraction(100)
    exact_value = (Fraction(60) * 12 / 1000 + Fraction(40) * 12 / 4000) / sw * 100_000
    assert row["value"] == pytest.approx(float(exact_value), rel=1e-12)
    var = (
        Fraction(60) ** 2 * (6 * 1 + 6 * 3) / Fraction(1000) ** 2
        + Fraction(40) ** 2 * (10 * 1 + 2 * 2) / Fraction(4000) ** 2
    ) / sw**2
    z = NormalDist().inv_cdf(0.975)
    o = 24
    o_lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    o_hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    v = float(exact_value) / 100_000
    expected_lo = (v + math.sqrt(var / o) * (o_lo - o)) * 100_000
    expected_hi = (v + math.sqrt(var / o) * (o_hi - o)) * 100_000
    assert row["lowercl"] == pytest.approx(expected_lo, rel=1e-9)
    assert row["uppercl"] == pytest.approx(expected_hi, rel=1e-9)
    assert row["total_count"] == 24
    assert row["total_pop"] == 5000
    assert row["method"] == "Dobson, with confidence adjusted for non-independent events"
    # wider than if the events were independent
    events = d.with_columns(x=pl.col("x") * pl.col("freq"))
    indep = dsr(
        events.group_by("band").agg(pl.col("x").sum(), pl.col("n", "w").first()), "x", "n", "w"
    ).row(0, named=True)
    assert indep["method"] == "Dobson"
    assert indep["value"] == pytest.approx(row["value"], rel=1e-12)
    assert row["uppercl"] - row["lowercl"] > indep["uppercl"] - indep["lowercl"]


def test_non_independent_bands_matched_to_esp_by_band():
    d = esp_data(groups=("E1",)).with_columns(pl.lit(1).alias("freq"))
    # each band's deaths: a quarter of them (rounded down) twice over in people with two
    # events, the rest in people with one; the rows of the bands in reverse order
    twos = d.with_columns((pl.col("deaths") // 4).alias("deaths"), pl.lit(2).alias("freq"))
    ones = d.with_columns((pl.col("deaths") - 2 * (pl.col("deaths") // 4)).alias("deaths"))
    long = pl.concat([twos, ones]).reverse()
    out = dsr(long, "deaths", "pop", independent_events=False, eventfreq="freq", ageband="band")
    ref = dsr(d, "deaths", "pop")
    assert out["value"][0] == pytest.approx(ref["value"][0], rel=1e-12)


def test_same_answer_from_pandas_polars_arrow(constructor):
    d = esp_data(seed=5, groups=("E3", "E1", "E2"))
    out = dsr(
        constructor(d.to_dict(as_series=False)),
        "deaths",
        "pop",
        group_by="area",
        confidence=(0.95, 0.998),
    )
    assert type(out) is type(constructor({"a": [1]}))
    got = pl.DataFrame(out)
    ref = dsr(d, "deaths", "pop", group_by="area", confidence=(0.95, 0.998))
    assert got["area"].to_list() == ["E1", "E2", "E3"]
    cols = [
        "total_count",
        "total_pop",
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
    ]
    np.testing.assert_allclose(got.select(cols).to_numpy(), ref.select(cols).to_numpy(), rtol=1e-12)


def test_unequal_bands_named():
    d = esp_data(groups=("E1", "E2", "E3")).filter(
        ~((pl.col("area") == "E2") & (pl.col("band") == 90))
    )
    with pytest.raises(
        InputError,
        match=r"each group must have 19 age bands, as the 2013 "
        r"European Standard Population.*1 of 3 groups differ: "
        r"\(E2\) has 18",
    ):
        dsr(d, "deaths", "pop", group_by="area")
    with pytest.raises(
        InputError,
        match=r"each group must have 19 age bands, as the standard "
        r"population 'stdpop'",
    ):
        dsr(d, "deaths", "pop", ESP, group_by="area")
    # a standard population column: each row carries its weight, no rule on band counts
    dsr(d.with_columns(pl.lit(1).alias("w")), "deaths", "pop", "w", group_by="area")


def test_unequal_bands_flagged():
    d = esp_data(groups=("E1", "E2")).filter(~((pl.col("area") == "E2") & (pl.col("band") == 0)))
    with pytest.warns(SuppressedWarning, match=r"dsr withheld for 1 of 2 groups with invalid"):
        out = dsr(d, "deaths", "pop", group_by="area", errors="flag")
    assert out["value"][0] is not None
    assert out["value"][1] is None
    assert out["statistic"][1] == "group has 18 age bands, expected 19"


def test_bad_rows_and_arguments():
    d = pl.DataFrame({"x": [10, -1], "n": [100, 0], "w": [1, 1], "f": [1, 1], "b": [0, 5]})
    with pytest.raises(
        InputError,
        match=r"column 'x' must be >= 0: 1 of 2 rows fail.*"
        r"column 'n' must be > 0: 1 of 2 rows fail",
    ):
        dsr(d, "x", "n", "w")
    ok = pl.DataFrame({"x": [10, 1], "n": [100, 20], "w": [1, 1], "f": [1, 0], "b": [0, 0]})
    with pytest.raises(InputError, match=r"column 'f' must hold whole numbers >= 1"):
        dsr(ok, "x", "n", "w", independent_events=False, eventfreq="f", ageband="b")
    with pytest.raises(InputError, match=r"column 'n' must be the same on every row of an age"):
        dsr(
            ok.with_columns(pl.lit(1).alias("f")),
            "x",
            "n",
            "w",
            independent_events=False,
            eventfreq="f",
            ageband="b",
        )
    with pytest.raises(
        InputError,
        match=r"independent_events=False needs arguments "
        r"\['eventfreq', 'ageband'\]",
    ):
        dsr(ok, "x", "n", "w", independent_events=False)
    with pytest.raises(InputError, match=r"argument 'eventfreq' is only used"):
        dsr(ok, "x", "n", "w", eventfreq="f")
    with pytest.raises(
        InputError,
        match=r"argument 'stdpop' must hold finite numbers >= 0: "
        r"positions \[1\] hold \[-2.0\]",
    ):
        dsr(ok, "x", "n", [1, -2])
    with pytest.raises(InputError, match=r"argument 'stdpop' must have a positive sum"):
        dsr(ok, "x", "n", [0, 0])
    with pytest.raises(InputError, match=r"argument 'stdpop' must be None, a column name"):
        dsr(ok, "x", "n", ["a", "b"])
    with pytest.raises(ColumnNotFoundError, match=r"columns \['esp'\] not found"):
        dsr(ok, "x", "n", "esp")
    with pytest.raises(InputError, match=r"columns must be numeric: 'w' is String"):
        dsr(ok.with_columns(pl.col("w").cast(pl.String)), "x", "n", "w")
    with pytest.raises(InputError, match=r"two confidence levels must be 95% and 99\.8%"):
        dsr(ok, "x", "n", "w", confidence=(0.9, 0.95))


def test_type_value_and_standard():
    d = esp_data()
    assert dsr(d, "deaths", "pop", group_by="area", type="value").columns == ["area", "value"]
    assert dsr(d, "deaths", "pop", group_by="area", type="standard").columns == [
        "area",
        "total_count",
        "total_pop",
        "value",
        "lowercl",
        "uppercl",
    ]


bands = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 10**6), st.integers(1, 10_000)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=50, deadline=None)
@given(bands)
def test_limits_bracket_value_and_widen(rows):
    x, n, w = (list(c) for c in zip(*rows, strict=True))
    if sum(x) < 10:
        x[0] += 10
    out = dsr(pl.DataFrame({"x": x, "n": n, "w": w}), "x", "n", "w", confidence=(0.95, 0.998))
    vals = out.select(
        "lower99_8cl", "lower95_0cl", "value", "upper95_0cl", "upper99_8cl"
    ).to_numpy()[0]
    assert (np.diff(vals) >= -1e-9 * np.abs(vals[1:])).all()


@settings(max_examples=40, deadline=None)
@given(bands, st.sampled_from([1, 1000, 2.5]))
def test_multiplier_scales(rows, multiplier):
    x, n, w = (list(c) for c in zip(*rows, strict=True))
    x[0] += 10
    d = pl.DataFrame({"x": x, "n": n, "w": w})
    base = dsr(d, "x", "n", "w", multiplier=1).select("value", "lowercl", "uppercl").to_numpy()
    scaled = dsr(d, "x", "n", "w", multiplier=multiplier)
    np.testing.assert_allclose(
        scaled.select("value", "lowercl", "uppercl").to_numpy(), base * multiplier, rtol=1e-12
    )


@settings(max_examples=30, deadline=None)
@given(st.lists(bands.filter(lambda b: len(b) == 3), min_size=1, max_size=5))
def test_grouped_equals_each_group_alone(groups):
    rows = [(g, *band) for g, bs in enumerate(groups) for band in bs]
    d = pl.DataFrame(rows, schema=["g", "x", "n", "w"], orient="row")
    small = any(sum(b[0] for b in bs) < 10 for bs in groups)
    with pytest.warns(SuppressedWarning) if small else contextlib.nullcontext():
        grouped = dsr(d, "x", "n", "w", group_by="g")
    for row in grouped.iter_rows(named=True):
        part = d.filter(pl.col("g") == row["g"])
        if row["total_count"] < 10:
            assert row["value"] is None
            continue
        alone = dsr(part, "x", "n", "w").row(0, named=True)
        for col in ("total_count", "total_pop", "value", "lowercl", "uppercl"):
            assert row[col] == pytest.approx(alone[col], rel=1e-12)


def test_zero_standard_population_and_small_count_warn_once():
    d = pl.DataFrame(
        {
            "g": ["a", "a", "b", "b", "c", "c"],
            "x": [20, 20, 1, 2, 30, 40],
            "n": [100] * 6,
            "w": [0, 0, 1, 1, 1, 2],
        }
    )
    with pytest.raises(
        InputError,
        match=r"standard population 'w' must not be 0 on "
        r"every band of a group: 1 of 3 groups fail: \(a\)",
    ):
        dsr(d, "x", "n", "w", group_by="g")
    with pytest.warns(SuppressedWarning) as record:
        out = dsr(d, "x", "n", "w", group_by="g", errors="flag")
    assert len(record) == 1
    assert str(record[0].message) == (
        "dsr withheld for 2 of 3 groups with invalid input or total count < 10 (first: a)"
    )
    assert out["value"].to_list()[:2] == [None, None]
    assert out["statistic"].to_list() == [
        "standard population 'w' must not be 0 on every band of a group",
        "dsr NA for total count < 10",
        "dsr per 100000",
    ]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_esp2013_by_band_is_the_same_in_any_row_order(seed, n_groups):
    d = esp_data(seed=seed % 1000, groups=tuple(f"E{i}" for i in range(n_groups)))
    expected = dsr(d, "deaths", "pop", group_by="area")
    shuffled = d.sample(fraction=1.0, shuffle=True, seed=seed)
    out = dsr(shuffled, "deaths", "pop", group_by="area", ageband="band")
    np.testing.assert_allclose(
        out.select("value", "lowercl", "uppercl").to_numpy(),
        expected.select("value", "lowercl", "uppercl").to_numpy(),
        rtol=1e-12,
    )
