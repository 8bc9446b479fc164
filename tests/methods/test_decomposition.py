from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import to_polars
from tests.methods._phe_example import AGES, DEATHS, POPS

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import life_expectancy
from healthgap.methods.decomposition import decompose_gap


def pair(scale_most, pops_most=None, key=None):
    """Least deprived = PHE's example population; most deprived = its deaths scaled."""
    most = np.round(np.array(DEATHS) * np.asarray(scale_most)).astype(float)
    out = pl.DataFrame(
        {
            "quintile": ["least"] * 20 + ["most"] * 20,
            "age": AGES * 2,
            "pops": [float(p) for p in POPS]
            + [float(p) for p in (pops_most if pops_most is not None else POPS)],
            "deaths": [float(d) for d in DEATHS] + most.tolist(),
        }
    )
    return out if key is None else out.with_columns(area=pl.lit(key))


def le0(df, label, age=0):
    sub = df.filter(pl.col("quintile") == label)
    return life_expectancy(sub, "deaths", "pops", "age", le_age=age)["value"][0]


def test_contributions_add_up_to_the_gap():
    df = pair(np.linspace(1.2, 1.6, 20), pops_most=np.array(POPS) * 0.9)
    out = decompose_gap(df, "deaths", "pops", "age", "quintile", reference="least")
    gap = le0(df, "least") - le0(df, "most")
    assert out["value"].sum() == pytest.approx(gap, abs=1e-9)
    np.testing.assert_allclose(out["gap"].to_numpy(), gap, rtol=1e-12)
    np.testing.assert_allclose(out["share"].sum(), 1.0, rtol=1e-9)
    assert (out["value"].to_numpy() > 0).all()  # higher mortality at every age
    assert out["statistic"][0] == "contribution to the gap in life expectancy at 0"
    assert out["method"][0] == (
        "Arriaga (1984), Chiang II life tables; 20 age bands (0, 1-4, 5-9, ..., 85-89, 90+)"
    )


def test_matches_stepwise_replacement_from_the_oldest_band():
    # Independent re-derivation: Arriaga's contributions equal the stepwise replacement of
    # the compared population's death rates by the reference's, band by band from the open
    # band down (Andreev, Shkolnikov & Begun, Demographic Research 2002;7:499-522), each
    # step's change in e0 computed with life_expectancy itself.
    rng = np.random.default_rng(11)
    df = pair(rng.uniform(0.8, 1.8, 20), pops_most=rng.integers(20000, 60000, 20))
    out = decompose_gap(df, "deaths", "pops", "age", "quintile", reference="least")
    least = df.filter(pl.col("quintile") == "least")
    most = df.filter(pl.col("quintile") == "most")
    steps, previous = [], None
    for band in range(19, -1, -1):
        mixed = pl.concat([least[band:], most[:band]]).sort("age")
        e = life_expectancy(mixed, "deaths", "pops", "age", le_age=0)["value"][0]
        if previous is None:
            previous = le0(df, "most")
        steps.append(e - previous)
        previous = e
    np.testing.assert_allclose(out["value"].to_numpy(), steps[::-1], rtol=1e-9, atol=1e-12)


def test_gap_at_a_later_age_uses_bands_from_that_age():
    df = pair(np.linspace(1.1, 1.5, 20))
    out = decompose_gap(df, "deaths", "pops", "age", "quintile", reference="least", age=65)
    assert out["age"].to_list() == AGES[14:]
    gap = le0(df, "least", 65) - le0(df, "most", 65)
    assert out["value"].sum() == pytest.approx(gap, abs=1e-9)
    assert out["statistic"][0] == "contribution to the gap in life expectancy at 65"


def test_causes_split_each_band_and_add_up(constructor):
    rng = np.random.default_rng(5)
    rows = []
    for label, factor in (("least", 1.0), ("most", 1.5)):
        for age, pop, deaths in zip(AGES, POPS, DEATHS, strict=True):
            circulatory = round(deaths * 0.3 * factor)
            cancer = round(deaths * 0.3 * rng.uniform(0.9, 1.3))
            other = deaths - round(deaths * 0.6)
            for cause, d in (("circulatory", circulatory), ("cancer", cancer), ("other", other)):
                rows.append(
                    {
                        "area": "X",
                        "quintile": label,
                        "age": age,
                        "pops": pop,
                        "cause": cause,
                        "deaths": float(d),
                    }
                )
    data = pl.DataFrame(rows)
    out = to_polars(
        decompose_gap(
            constructor(data.to_dict(as_series=False)),
            "deaths",
            "pops",
            "age",
            "quintile",
            reference="least",
            cause="cause",
            group_by="area",
        )
    )
    assert out.columns[:4] == ["area", "age", "cause", "value"]
    assert out.height == 60
    totals = data.group_by("quintile", "age", maintain_order=True).agg(
        pl.col("deaths").sum(), pl.col("pops").first()
    )
    by_age = decompose_gap(totals, "deaths", "pops", "age", "quintile", reference="least")
    summed = out.group_by("age", maintain_order=True).agg(pl.col("value").sum())
    np.testing.assert_allclose(
        summed["value"].to_numpy(), by_age["value"].to_numpy(), rtol=1e-9, atol=1e-12
    )
    assert out["value"].sum() == pytest.approx(by_age["gap"][0], abs=1e-9)
    # circulatory deaths are 50% higher in the most deprived: they carry the gap
    by_cause = out.group_by("cause").agg(pl.col("value").sum()).sort("value")
    assert by_cause["cause"][-1] == "circulatory"
    assert "causes in proportion to their death-rate differences" in out["method"][0]


def test_many_pairs_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(2)
    parts = [pair(rng.uniform(0.9, 1.6, 20), key=f"E0{i}") for i in range(6)]
    together = decompose_gap(
        pl.concat(parts),
        "deaths",
        "pops",
        "age",
        "quintile",
        reference="least",
        group_by="area",
        type="value",
    )
    assert together.columns == ["area", "age", "value"]
    alone = [
        decompose_gap(p, "deaths", "pops", "age", "quintile", reference="least", type="value")[
            "value"
        ].to_numpy()
        for p in parts
    ]
    np.testing.assert_allclose(together["value"].to_numpy(), np.concatenate(alone), rtol=1e-12)


def test_identical_populations_have_no_gap_and_swapping_negates_it():
    same = pair(np.ones(20))
    out = decompose_gap(same, "deaths", "pops", "age", "quintile", reference="least")
    np.testing.assert_allclose(out["value"].to_numpy(), 0.0, atol=1e-12)
    df = pair(np.linspace(1.1, 1.4, 20))
    forward = decompose_gap(df, "deaths", "pops", "age", "quintile", reference="least")
    backward = decompose_gap(df, "deaths", "pops", "age", "quintile", reference="most")
    assert backward["gap"][0] == pytest.approx(-forward["gap"][0], rel=1e-12)
    assert backward["value"].sum() == pytest.approx(-forward["value"].sum(), rel=1e-9)


def test_withheld_pair_warns_and_others_are_computed():
    good = pair(np.full(20, 1.3), key="good")
    small = pair(np.full(20, 1.3), pops_most=[200] * 20, key="small")
    small = small.with_columns(
        deaths=pl.when(pl.col("quintile") == "most").then(10.0).otherwise(pl.col("deaths"))
    )
    lone = pair(np.full(20, 1.3), key="lone").filter(pl.col("quintile") == "least")
    with pytest.warns(SuppressedWarning) as record:
        out = decompose_gap(
            pl.concat([good, small, lone]),
            "deaths",
            "pops",
            "age",
            "quintile",
            reference="least",
            group_by="area",
        )
    message = str(record[0].message)
    assert len(record) == 1
    assert message.startswith("life expectancy gap decomposition withheld for 2 of 3 groups")
    assert "total population 5,000 or less (1; first: small)" in message
    assert "one of the two populations is missing (1; first: lone)" in message
    assert out.filter(pl.col("area") == "good")["value"].null_count() == 0
    assert out.filter(pl.col("area") != "good")["value"].null_count() == 40


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reference": "top"}, r"reference 'top' not found in column 'quintile'"),
        ({"reference": "least", "comparison": "mid"}, "comparison 'mid' not found"),
        ({"reference": "least", "age": 3}, r"argument 'age' must be 'all' or age bands"),
        ({"reference": "least", "type": "lower"}, "argument 'type' must be one of"),
        ({"reference": "least", "age_contents": "by group"}, "needs one age-band layout"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        decompose_gap(pair(np.ones(20)), "deaths", "pops", "age", "quintile", **kwargs)


def test_three_populations_need_a_comparison():
    df = pl.concat(
        [
            pair(np.ones(20)),
            pair(np.ones(20))
            .filter(pl.col("quintile") == "most")
            .with_columns(quintile=pl.lit("mid")),
        ]
    )
    with pytest.raises(InputError, match="has 3 values; name the compared population"):
        decompose_gap(df, "deaths", "pops", "age", "quintile", reference="least")
    out = decompose_gap(
        df, "deaths", "pops", "age", "quintile", reference="least", comparison="mid"
    )
    assert out.height == 20


def test_cause_rows_must_repeat_the_band_population():
    rows = [
        {
            "q": q,
            "age": a,
            "pops": p + (1 if c == "b" and a == 5 else 0),
            "cause": c,
            "deaths": float(d // 2),
        }
        for q in ("least", "most")
        for a, p, d in zip(AGES, POPS, DEATHS, strict=True)
        for c in ("a", "b")
    ]
    with pytest.raises(InputError, match="must repeat the band's population on every cause"):
        decompose_gap(
            pl.DataFrame(rows), "deaths", "pops", "age", "q", reference="least", cause="cause"
        )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.5, 2.0), min_size=20, max_size=20), st.sampled_from([0, 1, 45]))
def test_identity_holds_for_any_mortality(scale, age):
    df = pair(scale)
    out = decompose_gap(df, "deaths", "pops", "age", "quintile", reference="least", age=age)
    gap = le0(df, "least", age) - le0(df, "most", age)
    assert abs(out["value"].sum() - gap) <= 1e-9
