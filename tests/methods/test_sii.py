"""Tests of the OHID slope and relative index of inequality (healthgap.methods.sii)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import to_polars

from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import sii

# PHEindicatormethods' phe_sii documentation example (two areas, ten deciles)
PHE_EXAMPLE = {
    "area": ["Area1"] * 10 + ["Area2"] * 10,
    "decile": list(range(1, 11)) * 2,
    "population": [
        7291,
        7997,
        6105,
        7666,
        5790,
        6934,
        5918,
        5974,
        7147,
        7534,
        21675,
        20065,
        19750,
        24713,
        20112,
        19618,
        22408,
        19752,
        18939,
        19312,
    ],
    "value": [
        75.9,
        78.3,
        83.8,
        83.6,
        80.5,
        81.1,
        81.7,
        84.2,
        80.6,
        86.3,
        70.5,
        71.6,
        72.5,
        73.5,
        73.1,
        76.2,
        78.7,
        80.6,
        80.9,
        80.0,
    ],
    "lowercl": [
        72.7,
        75.3,
        80.9,
        80.2,
        77.1,
        78,
        79,
        81.4,
        75.8,
        83.2,
        70.1,
        71.1,
        72,
        73.1,
        72.7,
        75.7,
        78.2,
        80.1,
        80.4,
        79.5,
    ],
    "uppercl": [
        79.1,
        81.4,
        86.8,
        87.1,
        83.8,
        84.2,
        84.4,
        86.9,
        85.4,
        89.4,
        71,
        72.1,
        73.2,
        73.7,
        75.8,
        78.8,
        79.8,
        81.2,
        81.3,
        80.9,
    ],
    "se": [
        1.64,
        1.58,
        1.51,
        1.78,
        1.7,
        1.56,
        1.37,
        1.4,
        2.43,
        1.57,
        0.23,
        0.26,
        0.3,
        0.16,
        0.79,
        0.78,
        0.4,
        0.28,
        0.23,
        0.35,
    ],
}


def ranks(pop: np.ndarray) -> np.ndarray:
    a = pop / pop.sum()
    return np.concatenate([[0.0], np.cumsum(a)[:-1]]) + a / 2


def reference_fit(pop: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of sqrt(a)*y ~ sqrt(a) + b*sqrt(a) - 1 by lstsq (Low & Low 2004)."""
    a = pop / pop.sum()
    root = np.sqrt(a)
    design = np.column_stack([root, ranks(pop) * root])
    coef, *_ = np.linalg.lstsq(design, root * y, rcond=None)
    return float(coef[0]), float(coef[1])


def test_linear_gradient_sii_is_the_range_over_the_rank_scale():
    pop = np.array([900, 1500, 1200, 800, 1100, 1000, 950, 1300], float)
    y = 60 + 12.5 * ranks(pop)  # exactly linear in the relative rank
    d = pl.DataFrame({"q": range(1, 9), "n": pop, "v": y, "s": [0.4] * 8})
    out = sii(d, "q", "n", value="v", se="s", rii=True, repetitions=1000, seed=3)
    assert out["sii"][0] == pytest.approx(12.5, rel=1e-12)
    assert out["rii"][0] == pytest.approx(72.5 / 60, rel=1e-12)
    neg = sii(d, "q", "n", value="v", se="s", rii=True, repetitions=1000, seed=3, multiplier=-2)
    assert neg["sii"][0] == pytest.approx(-25.0, rel=1e-12)
    assert neg["rii"][0] == pytest.approx(60 / 72.5, rel=1e-12)
    assert neg["sii_lower95_0cl"][0] < -25 < neg["sii_upper95_0cl"][0]


def test_flat_gradient_has_rii_one_and_sii_zero():
    d = pl.DataFrame({"q": range(1, 6), "n": [5, 9, 2, 7, 4], "v": [3.2] * 5, "s": [0.1] * 5})
    out = sii(d, "q", "n", value="v", se="s", rii=True, repetitions=1000, seed=1)
    assert out["sii"][0] == pytest.approx(0.0, abs=1e-12)
    assert out["rii"][0] == pytest.approx(1.0, rel=1e-12)


def test_point_estimates_match_an_independent_least_squares_fit():
    # PHE example: the estimates are deterministic and exact (lstsq of the documented model)
    d = pl.DataFrame(PHE_EXAMPLE)
    out = sii(
        d,
        "decile",
        "population",
        value="value",
        lower_cl="lowercl",
        upper_cl="uppercl",
        group_by="area",
        rii=True,
        intercept=True,
        repetitions=1000,
        seed=1,
    )
    for i, area in enumerate(["Area1", "Area2"]):
        rows = slice(10 * i, 10 * i + 10)
        b0, b1 = reference_fit(
            np.array(PHE_EXAMPLE["population"][rows], float), np.array(PHE_EXAMPLE["value"][rows])
        )
        assert out["area"][i] == area
        assert out["sii"][i] == pytest.approx(b1, rel=1e-10)
        assert out["rii"][i] == pytest.approx((b0 + b1) / b0, rel=1e-10)
        assert out["intercept"][i] == pytest.approx(b0, rel=1e-10)
    # PHE's documented output rounds to 7.000235 and 12.62274
    np.testing.assert_allclose(out["sii"].to_numpy(), [7.000235, 12.622739], atol=1e-6)


def test_transform_fits_on_the_log_scale_and_takes_back():
    d = pl.DataFrame(PHE_EXAMPLE).filter(pl.col("area") == "Area2")
    out = sii(
        d,
        "decile",
        "population",
        value="value",
        lower_cl="lowercl",
        upper_cl="uppercl",
        value_type=1,
        transform=True,
        rii=True,
        repetitions=1000,
        seed=2,
        multiplier=100,
    )
    b0, b1 = reference_fit(d["population"].to_numpy().astype(float), np.log(d["value"].to_numpy()))
    assert out["sii"][0] == pytest.approx(100 * (np.exp(b0 + b1) - np.exp(b0)), rel=1e-10)
    assert out["rii"][0] == pytest.approx(np.exp(b1), rel=1e-10)
    assert out["method"][0].startswith("OHID SII (Low & Low 2004)")
    assert "log" in out["statistic"][0]


def reference_limits(pop, value, se, *, value_type, transform, reps, seed, level=0.95):
    """Independent simulation: draw every quantile value, refit each draw by lstsq."""
    rng = np.random.default_rng(seed)
    a = pop / pop.sum()
    root = np.sqrt(a)
    design = np.column_stack([root, ranks(pop) * root])
    link = {0: lambda v: v, 1: np.log, 2: lambda v: np.log(v / (1 - v))}[value_type]
    back = {0: lambda v: v, 1: np.exp, 2: lambda v: 1 / (1 + np.exp(-v))}[value_type]
    draws = rng.normal(link(value)[:, None], se[:, None], size=(len(pop), reps))
    y = draws if transform else back(draws)
    coef, *_ = np.linalg.lstsq(design, root[:, None] * y, rcond=None)
    slopes = coef[1]
    lo, hi = np.quantile(slopes, [(1 - level) / 2, (1 + level) / 2])
    ratios = (coef[0] + coef[1]) / coef[0]
    rii_lo, rii_hi = np.quantile(ratios, [(1 - level) / 2, (1 + level) / 2])
    if transform:
        b0, b1 = reference_fit(pop, link(value))
        mid = b0 + b1 / 2
        lo, hi = (back(mid + s / 2) - back(mid - s / 2) for s in (lo, hi))
    return lo, hi, np.std(slopes), (rii_lo, rii_hi, np.std(ratios))


@pytest.mark.parametrize(
    ("value_type", "transform"), [(0, False), (1, False), (1, True), (2, False), (2, True)]
)
def test_simulated_limits_agree_with_an_independent_simulation(value_type, transform):
    rng = np.random.default_rng(11)
    pop = rng.integers(2000, 9000, 10).astype(float)
    if value_type == 0:
        value, se = np.linspace(72, 81, 10) + rng.normal(0, 1, 10), rng.uniform(0.5, 2, 10)
    elif value_type == 1:
        value, se = np.linspace(900, 500, 10), rng.uniform(0.05, 0.15, 10)
    else:
        value, se = np.linspace(0.3, 0.15, 10), rng.uniform(0.05, 0.2, 10)
    reps = 20_000
    d = pl.DataFrame({"q": range(1, 11), "n": pop, "v": value, "s": se})
    kwargs = {"se": "s"}
    if transform:  # transform needs limits: give 95% limits on the link scale
        link = np.log if value_type == 1 else (lambda v: np.log(v / (1 - v)))
        back = np.exp if value_type == 1 else (lambda v: 1 / (1 + np.exp(-v)))
        d = d.with_columns(
            lo=back(link(value) - 1.959963984540054 * se),
            hi=back(link(value) + 1.959963984540054 * se),
        )
        kwargs = {"lower_cl": "lo", "upper_cl": "hi"}
    out = sii(
        d,
        "q",
        "n",
        value="v",
        value_type=value_type,
        transform=transform,
        repetitions=reps,
        seed=123,
        rii=True,
        **kwargs,
    )
    lo, hi, sd, (rii_lo, rii_hi, rii_sd) = reference_limits(
        pop, value, se, value_type=value_type, transform=transform, reps=reps, seed=987
    )
    # MC standard error of a 2.5% quantile ~ 0.019 sd per run; allow ~6 SE of the difference
    scale = sd if not transform else abs(hi - lo) / 3.92
    assert out["sii_lower95_0cl"][0] == pytest.approx(lo, abs=0.16 * scale)
    assert out["sii_upper95_0cl"][0] == pytest.approx(hi, abs=0.16 * scale)
    if not transform:  # the RII of every draw (with transform it follows from the SII limits)
        assert out["rii_lower95_0cl"][0] == pytest.approx(rii_lo, abs=0.16 * rii_sd)
        assert out["rii_upper95_0cl"][0] == pytest.approx(rii_hi, abs=0.16 * rii_sd)


def test_seed_reproducibility_and_reliability_statistic():
    d = pl.DataFrame(PHE_EXAMPLE)
    kw = {
        "value": "value",
        "se": "se",
        "group_by": "area",
        "rii": True,
        "repetitions": 2000,
        "confidence": (0.95, 0.998),
    }
    a = sii(d, "decile", "population", seed=5, **kw)
    b = sii(d, "decile", "population", seed=5, **kw)
    c = sii(d, "decile", "population", seed=6, **kw)
    assert a.equals(b)
    assert not a.equals(c)
    r = sii(d, "decile", "population", seed=5, reliability_stat=True, **kw)
    for col in ["sii_lower95_0cl", "sii_upper99_8cl", "rii_lower99_8cl"]:
        assert r[col].to_list() == a[col].to_list()
    mad = r.select("sii_mad95_0", "sii_mad99_8", "rii_mad95_0", "rii_mad99_8").to_numpy()
    assert (mad > 0).all()
    assert (mad[:, 0] < (a["sii_upper95_0cl"] - a["sii_lower95_0cl"]).to_numpy()).all()


def test_same_answer_from_every_frame_library(constructor):
    out = sii(
        constructor(PHE_EXAMPLE),
        "decile",
        "population",
        value="value",
        se="se",
        group_by="area",
        rii=True,
        repetitions=1000,
        seed=9,
    )
    assert type(out) is type(constructor({"a": [1]}))
    ref = sii(
        pl.DataFrame(PHE_EXAMPLE),
        "decile",
        "population",
        value="value",
        se="se",
        group_by="area",
        rii=True,
        repetitions=1000,
        seed=9,
    )
    assert to_polars(out).equals(ref)
    assert list(ref.columns) == [
        "area",
        "sii",
        "sii_lower95_0cl",
        "sii_upper95_0cl",
        "rii",
        "rii_lower95_0cl",
        "rii_upper95_0cl",
        "indicator_type",
        "multiplier",
        "transform",
        "CI_confidence",
        "CI_method",
        "confidence",
        "statistic",
        "method",
    ]
    # issue #17 item 7: phe_sii's parameter columns
    params = ref.select("indicator_type", "multiplier", "transform", "CI_confidence", "CI_method")
    assert params.row(0) == ("normal", 1.0, False, "95%", "simulation 1000 reps")


def test_repetitions_are_bounded_and_errors_flag_withholds_bad_groups():
    # issue #14: repetitions=10**12 tried to allocate 3.6 TiB
    d = pl.DataFrame(PHE_EXAMPLE)
    with pytest.raises(InputError, match=r"'repetitions' must be between 1,000 and 10,000,000"):
        sii(d, "decile", "population", value="value", se="se", repetitions=10**12)
    with pytest.raises(InputError, match=r"argument 'transform' must be True or False"):
        sii(d, "decile", "population", value="value", se="se", transform="no")
    areas = sorted(set(PHE_EXAMPLE["area"]))
    bad = d.with_columns(
        se=pl.when((pl.col("area") == areas[0]) & (pl.col("decile") == 3))
        .then(-1.0)
        .otherwise(pl.col("se"))
    )
    with pytest.raises(InputError, match=r"column 'se' must be >= 0"):
        sii(bad, "decile", "population", value="value", se="se", group_by="area")
    kw = {"value": "value", "se": "se", "group_by": "area", "repetitions": 1000, "seed": 2}
    with pytest.warns(SuppressedWarning, match="or invalid rows"):
        out = sii(bad, "decile", "population", errors="flag", **kw)
    good = sii(d, "decile", "population", **kw)
    assert out["sii"][0] is None
    assert out["statistic"][0] == "sii NA: column 'se' must be >= 0"
    assert (
        out.slice(1)
        .select("sii", "sii_lower95_0cl")
        .equals(good.slice(1).select("sii", "sii_lower95_0cl"))
    )


def test_proportions_from_counts():
    n = np.array([1000, 1200, 900, 1100, 1000.0])
    x = np.array([300, 300, 200, 220, 150.0])
    d = pl.DataFrame({"q": range(1, 6), "x": x, "n": n})
    out = sii(d, "q", "n", x="x", value_type=2, repetitions=1000, seed=1, type="standard")
    _, b1 = reference_fit(n, x / n)
    assert out["sii"][0] == pytest.approx(b1, rel=1e-10)
    assert "confidence" not in out.columns


def test_missing_quantile_withholds_the_group_with_a_warning():
    d = pl.DataFrame(PHE_EXAMPLE).filter(~((pl.col("area") == "Area2") & (pl.col("decile") == 4)))
    with pytest.warns(SuppressedWarning, match=r"1 of 2 groups.*'Area2'"):
        out = sii(
            d,
            "decile",
            "population",
            value="value",
            se="se",
            group_by="area",
            repetitions=1000,
            seed=1,
        )
    assert out["sii"][1] is None
    assert out["sii_lower95_0cl"][1] is None
    assert "misses one of the 10 quantiles" in out["statistic"][1]
    assert out["sii"][0] == pytest.approx(7.0002348, abs=1e-6)


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        ({"decile": [1, 2, 3, 4] * 5}, {}, "between 5 and 100 distinct quantiles; found 4"),
        ({"decile": list(range(101))}, {}, "found 101"),
        (
            {"population": [0] + [5] * 19},
            {},
            r"'population' must be > 0: 1 of 20 rows fail "
            r"\(rows \[0\], values \[0\]\)",
        ),
        ({"se": [-1.0] + [1.0] * 19}, {}, "'se' must be >= 0"),
        ({}, {"repetitions": 999}, "'repetitions' must be between 1,000 and"),
        ({}, {"value_type": 3}, "value_type"),
        ({}, {"transform": True, "value_type": 0}, "transform=True needs value_type"),
        ({}, {"transform": True, "value_type": 1}, "not 'se'"),
        ({"decile": [1] * 2 + list(range(2, 20))}, {}, "once per group"),
        ({"value": [0.5] * 19 + [1.5]}, {"value_type": 2}, r"within 0-1: 1 of 20 rows fail"),
    ],
)
def test_bad_input_names_the_problem(change, kwargs, message):
    base = dict(PHE_EXAMPLE)
    if len(change.get("decile", [])) == 101:
        base = {
            "decile": list(range(101)),
            "population": [5] * 101,
            "value": [1.0] * 101,
            "se": [1.0] * 101,
        }
        change = {}
    else:
        base.pop("area")
        base["decile"] = list(range(1, 21))
    base.update(change)
    kw = {"value": "value", "se": "se", "repetitions": 1000, "seed": 1} | kwargs
    with pytest.raises(InputError, match=message):
        sii(pl.DataFrame(base), "decile", "population", **kw)


def test_no_computable_group_still_gives_its_rows_with_keys_and_reasons():
    # issue #17 item 7: a single group that cannot be computed kept no row (an error), so its
    # grouping columns were lost; it is withheld like any other group instead
    d = pl.DataFrame(PHE_EXAMPLE).with_columns(pl.lit(None, pl.Float64).alias("se"))
    with pytest.warns(SuppressedWarning, match="sii withheld for 2 of 2 groups"):
        out = sii(
            d, "decile", "population", value="value", se="se", group_by="area", repetitions=1000
        )
    assert out["area"].to_list() == sorted(set(PHE_EXAMPLE["area"]))
    assert out["sii"].null_count() == 2
    assert out["statistic"][0].startswith("sii NA: missing value")


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(100, 10**5), st.floats(50, 100), st.floats(0.05, 5)),
        min_size=5,
        max_size=12,
    ),
    st.sampled_from([1, -1, 100]),
)
def test_limits_bracket_the_estimate(rows, multiplier):
    pop, value, se = (np.array(c, float) for c in zip(*rows, strict=True))
    d = pl.DataFrame({"q": range(len(pop)), "n": pop, "v": value, "s": se})
    out = sii(
        d,
        "q",
        "n",
        value="v",
        se="s",
        rii=True,
        repetitions=1000,
        seed=0,
        multiplier=multiplier,
        confidence=(0.95, 0.998),
    )
    row = out.row(0, named=True)
    for stat in ("sii", "rii"):
        seq = [
            row[f"{stat}_lower99_8cl"],
            row[f"{stat}_lower95_0cl"],
            row[stat],
            row[f"{stat}_upper95_0cl"],
            row[f"{stat}_upper99_8cl"],
        ]
        if stat == "rii" and not all(np.isfinite(seq)):
            continue  # a fitted value near 0 at rank 0 makes the RII unbounded
        assert np.all(np.diff(seq) >= -1e-6 * np.abs(seq).max())
