from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import to_polars

# PHE life expectancy calculator's example population (see test_life_expectancy.py)
from tests.methods._phe_example import AGES, DEATHS, POPS

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import healthy_life_expectancy, life_expectancy

GOOD = np.round(np.linspace(0.96, 0.45, 20), 3)  # a plausible gradient of good health
SAMPLE = [
    120,
    300,
    400,
    400,
    350,
    300,
    300,
    320,
    330,
    340,
    350,
    360,
    340,
    320,
    300,
    280,
    240,
    180,
    100,
    60,
]
Z95 = 1.959963984540054


def frame(**extra):
    return pl.DataFrame(
        {"age": AGES, "pops": POPS, "deaths": DEATHS, "good": GOOD, "n": SAMPLE, **extra}
    )


def sullivan_by_delta_method(pi, var_pi, h=1e-6):
    """HLE and its variance by numerical differentiation (independent of the closed form).

    HLE is written as a function of the closed bands' q, the open band's death rate M and
    the prevalences; Var = sum (dHLE/dq)^2 Var(q) + (dHLE/dM)^2 Var(M) + sum (dHLE/dpi)^2
    Var(pi), with Var(q) = q^2 (1 - q) / D (Chiang) and Var(M) = D / P^2 (Poisson).
    """
    starts = np.array(AGES, float)
    deaths, pops = np.array(DEATHS, float), np.array(POPS, float)
    n = np.diff(starts)
    a = np.where(starts[:-1] == 0, 0.1, 0.5)
    m = deaths / pops
    q0 = n * m[:-1] / (1 + (1 - a) * n * m[:-1])

    def hle(q, big_m, p):
        lx = 100000.0 * np.concatenate([[1.0], np.cumprod(1 - q)])
        big_l = np.append(n * lx[:-1] * (1 - (1 - a) * q), lx[-1] / big_m)
        return np.cumsum((p * big_l)[::-1])[::-1] / lx

    params = np.concatenate([q0, [m[-1]], pi])
    var_params = np.concatenate(
        [q0**2 * (1 - q0) / deaths[:-1], [deaths[-1] / pops[-1] ** 2], var_pi]
    )

    def f(x):
        return hle(x[:19], x[19], x[20:])

    value = f(params)
    grads = []
    for i in range(len(params)):
        step = h * max(abs(params[i]), 1e-3)
        up, down = params.copy(), params.copy()
        up[i] += step
        down[i] -= step
        grads.append((f(up) - f(down)) / (2 * step))
    return value, (np.array(grads) ** 2 * var_params[:, None]).sum(axis=0)


def test_value_and_variance_match_the_delta_method():
    out = healthy_life_expectancy(frame(), "deaths", "pops", "age", "good", prevalence_n="n")
    value, var = sullivan_by_delta_method(GOOD, GOOD * (1 - GOOD) / np.array(SAMPLE))
    np.testing.assert_allclose(out["value"].to_numpy(), value, rtol=1e-12)
    se = (out["uppercl"] - out["value"]).to_numpy() / Z95
    np.testing.assert_allclose(se, np.sqrt(var), rtol=1e-6)
    assert out["statistic"][0] == "healthy life expectancy at 0"
    assert out["method"][0] == (
        "Sullivan, Chiang II life table, Silcocks et al. for the open age band; prevalence "
        "variance from sample sizes; 20 age bands (0, 1-4, 5-9, ..., 85-89, 90+)"
    )


def test_everyone_healthy_is_life_expectancy_exactly(constructor):
    data = frame(good=[1.0] * 20).to_dict(as_series=False)
    hle = to_polars(
        healthy_life_expectancy(
            constructor(data),
            "deaths",
            "pops",
            "age",
            "good",
            prevalence_n="n",
            confidence=(0.95, 0.998),
        )
    )
    le = to_polars(
        life_expectancy(constructor(data), "deaths", "pops", "age", confidence=(0.95, 0.998))
    )
    for col in ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]:
        np.testing.assert_allclose(hle[col].to_numpy(), le[col].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        hle["life_expectancy"].to_numpy(), le["value"].to_numpy(), rtol=1e-12
    )


def test_prevalence_sources_agree():
    se = np.sqrt(GOOD * (1 - GOOD) / np.array(SAMPLE))
    df = frame(se=se, lo=GOOD - Z95 * se, hi=GOOD + Z95 * se)
    by_n = healthy_life_expectancy(df, "deaths", "pops", "age", "good", prevalence_n="n")
    by_se = healthy_life_expectancy(df, "deaths", "pops", "age", "good", prevalence_se="se")
    by_limits = healthy_life_expectancy(
        df, "deaths", "pops", "age", "good", prevalence_limits=("lo", "hi")
    )
    for other in (by_se, by_limits):
        np.testing.assert_allclose(
            other["lowercl"].to_numpy(), by_n["lowercl"].to_numpy(), rtol=1e-12
        )
    # ill-health prevalence 1 - pi gives the same health expectancy
    ill = healthy_life_expectancy(
        df.with_columns(bad=1 - pl.col("good")),
        "deaths",
        "pops",
        "age",
        "bad",
        prevalence_n="n",
        prevalence_of="unhealthy",
    )
    np.testing.assert_allclose(ill["uppercl"].to_numpy(), by_n["uppercl"].to_numpy(), rtol=1e-12)


def test_known_prevalence_leaves_only_the_life_table_term():
    known = healthy_life_expectancy(
        frame(se=[0.0] * 20), "deaths", "pops", "age", "good", prevalence_se="se"
    )
    _, var = sullivan_by_delta_method(GOOD, np.zeros(20))
    se = (known["uppercl"] - known["value"]).to_numpy() / Z95
    np.testing.assert_allclose(se, np.sqrt(var), rtol=1e-6)
    sampled = healthy_life_expectancy(frame(), "deaths", "pops", "age", "good", prevalence_n="n")
    assert (
        (sampled["uppercl"] - sampled["lowercl"]).to_numpy()
        > (known["uppercl"] - known["lowercl"]).to_numpy()
    ).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "confidence limits need the prevalence's sampling error"),
        ({"prevalence_n": "n", "prevalence_se": "n"}, "give only one of"),
        ({"prevalence_limits": "n"}, "must be two column names"),
        ({"prevalence_n": "n", "prevalence_of": "ill"}, "argument 'prevalence_of' must be one of"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        healthy_life_expectancy(frame(), "deaths", "pops", "age", "good", **kwargs)


def test_prevalence_outside_0_1_raises_or_withholds():
    df = pl.concat(
        [
            frame().with_columns(area=pl.lit("A")),
            frame(good=[*GOOD[:4], 1.2, *GOOD[5:]]).with_columns(area=pl.lit("B")),
        ]
    )
    with pytest.raises(
        InputError,
        match=r"column 'good' must be between 0 and 1: 1 of 40 "
        r"rows fail \(rows \[24\], values \[1.2\]\)",
    ):
        healthy_life_expectancy(
            df, "deaths", "pops", "age", "good", prevalence_n="n", group_by="area", errors="raise"
        )
    with pytest.warns(
        SuppressedWarning,
        match="column 'good' must be between 0 and 1 "
        r"\(1; first: B\)",
    ):
        out = healthy_life_expectancy(
            df, "deaths", "pops", "age", "good", prevalence_n="n", group_by="area"
        )
    assert out.filter(pl.col("area") == "B")["value"].null_count() == 20
    assert out.filter(pl.col("area") == "A")["value"].null_count() == 0


def test_repeated_band_rows_are_an_error():
    df = pl.concat([frame(), frame().head(1)])
    with pytest.raises(InputError, match="one row per age band"):
        healthy_life_expectancy(df, "deaths", "pops", "age", "good", prevalence_n="n")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=20, max_size=20),
    st.lists(st.integers(10, 5000), min_size=20, max_size=20),
)
def test_limits_bracket_value_and_hle_never_exceeds_le(good, sample):
    df = frame(good=good, n=sample)
    out = healthy_life_expectancy(df, "deaths", "pops", "age", "good", prevalence_n="n")
    value = out["value"].to_numpy()
    assert (out["lowercl"].to_numpy() <= value).all()
    assert (value <= out["uppercl"].to_numpy()).all()
    assert (value <= out["life_expectancy"].to_numpy() + 1e-9).all()
    # normal-approximation limits are symmetric about the value
    np.testing.assert_allclose(
        out["uppercl"] - out["value"], out["value"] - out["lowercl"], atol=1e-9
    )


@pytest.mark.realdata
def test_ons_published_hle_intervals_are_symmetric_like_sullivans(shared_data):
    # ONS "Health state life expectancies, UK" (via ONS Explore Local Statistics):
    # mortality/ons_els_healthy-life-expectancy.csv gives HLE at birth with 95% limits, for
    # 2011-13 to 2022-24, UK to local authority. It does not give what Sullivan's interval is
    # computed from: deaths and populations by age (for the life table and its variance)
    # and the age-specific prevalence of good health with its survey sample sizes (APS);
    # since 2020-22 ONS also models the prevalence by logistic regression (interim method,
    # stated in the .json), so no sample-size variance could be re-derived even with them.
    # What the file does let us test is the interval's form: Sullivan's interval is
    # value -/+ z * se, symmetric, as ours is; published to 0.1 year, every published
    # interval is symmetric to within the rounding of its three figures.
    data = pl.read_csv(
        shared_data / "mortality" / "ons_els_healthy-life-expectancy.csv", infer_schema_length=0
    )
    data = data.with_columns(pl.col("observation", "lci_95", "uci_95").cast(pl.Float64))
    assert len(data) == 5814
    upper = (data["uci_95"] - data["observation"]).to_numpy()
    lower = (data["observation"] - data["lci_95"]).to_numpy()
    assert (upper > 0).all()
    assert (lower > 0).all()
    assert (np.abs(upper - lower) <= 0.1 + 1e-9).all()
    # and London's boroughs (32; City of London excluded) have wider intervals than England,
    # as Var(HLE) falls with the sizes of population and survey sample
    london = data.filter(pl.col("areacd").str.starts_with("E09"))
    england = data.filter(pl.col("areacd") == "E92000001")
    assert london["areacd"].n_unique() == 32
    assert (london["uci_95"] - london["lci_95"]).min() > (
        england["uci_95"] - england["lci_95"]
    ).max()
