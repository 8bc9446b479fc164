"""The engine's newer methods, each checked against the method called on hand-built inputs.

Means (Student's t), healthy life expectancy (Sullivan), age-group breakdowns of a DSR and of
a crude rate, WHO HEAT measures over ethnic groups and ratios of two indicators: the values
are computed once for the module, then single rows are compared with the raw test tables.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest

from healthgap.catalogue import Catalogue
from healthgap.engine import compute_counts, compute_values, values_from_counts
from healthgap.engine.inequality import LIMITS_NOT_GIVEN, heat_labels
from healthgap.engine.statistics import derived_values
from healthgap.methods import healthy_life_expectancy, inequality_measures, mean
from healthgap.methods.dsr import dsr
from healthgap.methods.standard_populations import ESP2013

from .conftest import BOROUGH, LSOAS, admissions, deaths, population, survey

ENGLAND = "E92000001"
CITY = "E09000001"  # the first borough: small areas 1-4
LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
ETHNIC = "Ethnic group"
AGE_GROUP = "Age group"
HEAT_MEASURES = ["d", "r", "bgv", "paf"]  # as in survey_and_ratios.yaml


@pytest.fixture(scope="module")
def values(catalogue, data_dir) -> pl.DataFrame:
    return pl.from_arrow(compute_values(catalogue, data_dir))


def _row(values: pl.DataFrame, **keys) -> dict:
    keys = {"sex": "Persons", "category_type": "", "category": "", **keys}
    rows = values.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert len(rows) == 1, (keys, rows)
    return rows.row(0, named=True)


def _in_area(code: str, area: str) -> bool:
    return area == ENGLAND or BOROUGH[code] == area or code == area


def _life_band(age: int) -> int:
    return 0 if age < 1 else 1 if age < 5 else min(age, 90) // 5 * 5


# --- mean ------------------------------------------------------------------------------------

def _satisfaction(area: str, year: int, sex: str, group: str | None = None) -> pl.DataFrame:
    """Raw life satisfaction scores as the definition keeps them: age >= 16, answered."""
    raw = pl.from_arrow(survey())
    kept = raw.filter(pl.col("year") == year, pl.col("age") >= 16,
                      pl.col("life_satisfaction").is_not_null(),
                      pl.col("lsoa_code").is_in([c for c in LSOAS if _in_area(c, area)]))
    if sex != "Persons":
        kept = kept.filter(pl.col("sex") == sex)
    if group is not None:
        kept = kept.filter(pl.col("ethnic_group") == group)
    return kept.select("life_satisfaction")


@pytest.mark.parametrize(("area", "sex", "group"), [
    (CITY, "Female", None),
    (CITY, "Persons", None),
    (ENGLAND, "Male", None),
    (ENGLAND, "Persons", None),
    (CITY, "Persons", "Black"),
    (ENGLAND, "Female", "Asian"),
])
def test_mean_equals_the_method_on_raw_values(values, area, sex, group):
    scores = _satisfaction(area, 2020, sex, group)
    expected = mean(scores, "life_satisfaction", confidence=(0.95, 0.998)).row(0, named=True)
    keys = {"category_type": ETHNIC, "category": group} if group else {}
    got = _row(values, indicator_id="life_satisfaction_mean", area_code=area, period="2020",
               sex=sex, **keys)
    assert got["count"] == len(scores)
    assert got["denominator"] is None
    np.testing.assert_allclose([got[c] for c in ["value", *LIMITS]],
                               [expected[c] for c in ["value", *LIMITS]], rtol=1e-9)
    assert got["value"] == pytest.approx(scores["life_satisfaction"].mean(), rel=1e-12)


def _single_value_rows(values: pl.DataFrame) -> pl.DataFrame:
    rows = values.filter(pl.col("indicator_id") == "life_satisfaction_mean",
                         pl.col("area_code").is_in(LSOAS), pl.col("category_type") == ETHNIC,
                         pl.col("count") == 1)
    assert len(rows) > 0, "the test data should have a small area x ethnic group of one value"
    return rows


def test_mean_of_a_single_value_has_no_limits(values):
    rows = _single_value_rows(values)
    first = rows.row(0, named=True)
    raw = pl.from_arrow(survey()).filter(
        pl.col("lsoa_code") == first["area_code"], pl.col("year") == first["period_start"],
        pl.col("ethnic_group") == first["category"], pl.col("age") >= 16,
        pl.col("life_satisfaction").is_not_null(),
        *([pl.col("sex") == first["sex"]] if first["sex"] != "Persons" else []))
    assert len(raw) == 1
    assert first["value"] == raw["life_satisfaction"][0]
    for c in LIMITS:
        assert rows[c].null_count() == len(rows), c


def test_mean_of_a_single_value_says_why_in_value_note(values):
    notes = _single_value_rows(values)["value_note"]
    assert notes.null_count() == 0
    assert all("single value" in note for note in notes)


def test_mean_counts_number_sum_and_squares(catalogue, data_dir):
    small = Catalogue(geography=catalogue.geography,
                      indicators=(catalogue["life_satisfaction_mean"],))
    counts = compute_counts(small, data_dir)["life_satisfaction_mean"]
    assert {"n", "s", "q"} <= set(counts.columns)
    area = LSOAS[2]
    for sex, group in [("Male", None), ("Persons", None), ("Female", "White")]:
        scores = _satisfaction(area, 2021, sex, group)["life_satisfaction"]
        keys = {"area_code": area, "period_start": 2021, "period_years": 1, "sex": sex,
                "category_type": ETHNIC if group else "", "category": group or ""}
        rows = counts.filter(*[pl.col(k) == v for k, v in keys.items()])
        assert len(rows) == 1, (keys, rows)
        got = rows.row(0, named=True)
        assert got["n"] == len(scores)
        assert got["s"] == pytest.approx(scores.sum(), rel=1e-12)
        assert got["q"] == pytest.approx((scores**2).sum(), rel=1e-12)


# --- healthy life expectancy -----------------------------------------------------------------

def test_healthy_life_expectancy_pooled_against_the_method(values):
    x, n, hx, hn = Counter(), Counter(), Counter(), Counter()
    for r in deaths().to_pylist():
        if r["sex"] == "Male":
            x[_life_band(r["age"])] += 1
    for r in population().to_pylist():
        if r["sex"] == "Male":
            n[_life_band(r["age"])] += r["population"]
    for r in survey().to_pylist():
        if r["sex"] == "Male":
            hn[_life_band(r["age"])] += 1
            hx[_life_band(r["age"])] += r["good_health"]
    ages = sorted(n)
    assert ages == [0, 1, *range(5, 95, 5)]
    frame = pl.DataFrame({"age": ages, "x": [float(x[a]) for a in ages],
                          "n": [n[a] for a in ages],
                          "good": [hx[a] / hn[a] for a in ages],
                          "respondents": [float(hn[a]) for a in ages]})
    expected = healthy_life_expectancy(frame, "x", "n", "age", "good",
                                       prevalence_n="respondents", hle_age=0,
                                       confidence=(0.95, 0.998))
    got = _row(values, indicator_id="hle_birth", area_code=ENGLAND, period="2019 - 21",
               sex="Male")
    assert (got["count"], got["denominator"]) == (sum(x.values()), sum(n.values()))
    np.testing.assert_allclose([got[c] for c in ["value", *LIMITS]],
                               expected.select(["value", *LIMITS]).row(0), rtol=1e-9)
    # the prevalence matters: well below life expectancy from the same life table
    assert got["value"] < expected["life_expectancy"][0] - 5


# --- age groups --------------------------------------------------------------------------------

def _deaths_and_population_by_band(area: str, low: int, high: int | None) -> pl.DataFrame:
    x, n = Counter(), Counter()
    top = 200 if high is None else high
    for r in deaths().to_pylist():
        if _in_area(r["lsoa_code"], area) and low <= r["age"] <= top:
            x[min(r["age"], 90) // 5 * 5] += 1
    for r in population().to_pylist():
        if _in_area(r["lsoa_code"], area) and low <= r["age"] <= top:
            n[r["age"] // 5 * 5] += r["population"]
    bands = sorted(n)
    return pl.DataFrame({"age": bands, "x": [float(x[b]) for b in bands],
                         "n": [n[b] for b in bands],
                         "w": [float(ESP2013[b // 5]) for b in bands]})


@pytest.mark.parametrize(("group", "low", "high", "n_bands"), [
    ("45-64", 45, 64, 4),
    ("75+", 75, None, 4),
    ("", 0, None, 19),  # the total row: all 19 ESP2013 bands
])
def test_age_group_dsr_standardises_over_its_own_bands(values, group, low, high, n_bands):
    frame = _deaths_and_population_by_band(CITY, low, high)
    assert len(frame) == n_bands
    expected = dsr(frame, "x", "n", "w", multiplier=100000, confidence=(0.95, 0.998))
    got = _row(values, indicator_id="mortality_by_age_group", area_code=CITY,
               period="2019 - 21", category_type=AGE_GROUP if group else "", category=group)
    assert (got["count"], got["denominator"]) == (frame["x"].sum(), frame["n"].sum())
    np.testing.assert_allclose([got[c] for c in ["value", *LIMITS]],
                               expected.select(["value", *LIMITS]).row(0), rtol=1e-9)
    if group == "45-64":  # not the same as all bands' weights, or the 45-64 bands' crude rate
        assert frame["w"].to_list() == [float(w) for w in ESP2013[9:13]]
        crude = frame["x"].sum() / frame["n"].sum() * 100000
        assert got["value"] != pytest.approx(crude, rel=1e-6)


GROUPS = {"0-44": (0, 44), "45-64": (45, 64), "65-74": (65, 74), "75+": (75, 200)}


@pytest.mark.parametrize("area", [CITY, ENGLAND])
@pytest.mark.parametrize("year", [2019, 2021])
def test_age_group_rate_counts_by_hand(values, area, year):
    emergency = [r for r in admissions().to_pylist() if r["year"] == year
                 and r["admission_method"] == "Emergency" and _in_area(r["lsoa_code"], area)]
    pop = [r for r in population().to_pylist() if r["year"] == year
           and _in_area(r["lsoa_code"], area)]
    total = _row(values, indicator_id="admissions_by_age_group", area_code=area,
                 period=str(year))
    counts, denominators = [], []
    for label, (low, high) in GROUPS.items():
        x = sum(1 for r in emergency if low <= r["age"] <= high)
        n = sum(r["population"] for r in pop if low <= r["age"] <= high)
        got = _row(values, indicator_id="admissions_by_age_group", area_code=area,
                   period=str(year), category_type=AGE_GROUP, category=label)
        assert (got["count"], got["denominator"]) == (x, n), label
        assert got["value"] == pytest.approx(1000 * x / n, rel=1e-12)
        counts.append(got["count"])
        denominators.append(got["denominator"])
    assert sum(counts) == total["count"] == len(emergency)
    assert sum(denominators) == total["denominator"]


# --- WHO HEAT measures -------------------------------------------------------------------------

def test_heat_labels_name_the_measures():
    assert heat_labels(HEAT_MEASURES) == {
        "d": "Difference (D)", "r": "Ratio (R)", "bgv": "Between-group variance (BGV)",
        "paf": "Population attributable fraction (PAF) x 100"}


@pytest.mark.parametrize(("area", "period", "sex"), [(CITY, "2020", "Persons"),
                                                     (ENGLAND, "2021", "Female")])
def test_heat_measures_equal_the_method_on_the_group_rows(values, area, period, sex):
    mine = values.filter(pl.col("indicator_id") == "life_satisfaction_mean",
                         pl.col("area_code") == area, pl.col("period") == period,
                         pl.col("sex") == sex, pl.col("category_type") == ETHNIC)
    labels = heat_labels(HEAT_MEASURES)
    groups = mine.filter(~pl.col("category").is_in(list(labels.values()))).sort("category")
    assert groups["category"].to_list() == ["Asian", "Black", "Mixed", "Other", "White"]
    assert sorted(set(mine["category"]) - set(groups["category"])) == sorted(labels.values())
    # a mean has no denominator: the subgroups weigh by their number of values
    expected = inequality_measures(groups, "value", "count", dimension_type="non-ordered",
                                   favourable=True, measures=["d", "r", "bgv"],
                                   lower_cl="lower95_0cl", upper_cl="upper95_0cl",
                                   confidence=(0.95, 0.998))
    for measure in ("d", "r", "bgv"):
        got = _row(values, indicator_id="life_satisfaction_mean", area_code=area,
                   period=period, sex=sex, category_type=ETHNIC, category=labels[measure])
        want = expected.filter(pl.col("measure") == measure).row(0, named=True)
        np.testing.assert_allclose([got[c] for c in ["value", *LIMITS]],
                                   [want[c] for c in ["value", *LIMITS]], rtol=1e-9)
        assert (got["count"], got["denominator"], got["value_note"]) == (None, None, None)
    # and by hand: highest - lowest, highest / lowest, variance weighted by the counts
    y = groups["value"].to_numpy()
    got = {m: _row(values, indicator_id="life_satisfaction_mean", area_code=area,
                   period=period, sex=sex, category_type=ETHNIC,
                   category=labels[m])["value"] for m in ("d", "r", "bgv")}
    assert got["d"] == pytest.approx(y.max() - y.min(), rel=1e-12)
    assert got["r"] == pytest.approx(y.max() / y.min(), rel=1e-12)
    p = groups["count"].to_numpy() / groups["count"].sum()
    assert got["bgv"] == pytest.approx((p * (y - (p * y).sum()) ** 2).sum(), rel=1e-12)
    equal = ((y - y.mean()) ** 2).mean()
    assert got["bgv"] != pytest.approx(equal, rel=1e-3)  # the test tells the weights apart


def test_heat_limits_contain_the_value_or_are_withheld_with_a_note(values):
    labels = list(heat_labels(HEAT_MEASURES).values())
    heat = values.filter(pl.col("indicator_id") == "life_satisfaction_mean",
                         pl.col("category").is_in(labels))
    assert len(heat) == len(labels) * len(values.filter(
        pl.col("indicator_id") == "life_satisfaction_mean", pl.col("category_type") == ""))
    dropped = heat.filter(pl.col("value_note") == LIMITS_NOT_GIVEN)
    assert len(dropped) > 0
    assert dropped["value"].null_count() == 0
    for c in LIMITS:
        assert dropped[c].null_count() == len(dropped)
    given = heat.filter(pl.col("lower95_0cl").is_not_null())
    for low, high in (LIMITS[:2], LIMITS[2:]):
        assert (given[low] <= given["value"]).all()
        assert (given["value"] <= given[high]).all()
    # a setting with a one-value subgroup (no limits) is withheld by the method
    withheld = heat.filter(pl.col("value").is_null())
    assert len(withheld) > 0
    assert set(withheld["area_code"]) <= set(LSOAS)
    assert withheld["value_note"].null_count() == 0


# --- ratio of two indicators -------------------------------------------------------------------

KEYS = ["area_code", "period", "sex", "age", "category_type", "category"]


def test_ratio_of_two_indicators_on_every_matching_key(values):
    def of(indicator_id: str, name: str) -> pl.DataFrame:
        return values.filter(pl.col("indicator_id") == indicator_id).select(
            *KEYS, pl.col("value").alias(name))

    share = of("circulatory_share_u75", "share")
    both = of("circulatory_u75", "a").join(of("u75_mortality", "b"), on=KEYS, how="inner")
    assert len(share) == len(both) == 9  # 2 boroughs and England x 3 years, no breakdowns
    joined = both.join(share, on=KEYS, how="left")
    np.testing.assert_allclose(joined["share"].to_numpy(),
                               (100 * joined["a"] / joined["b"]).to_numpy(), rtol=1e-12)
    rows = values.filter(pl.col("indicator_id") == "circulatory_share_u75")
    for c in LIMITS:
        assert rows[c].null_count() == len(rows)


def test_ratio_withheld_when_either_value_is(catalogue, data_dir):
    ids = ("circulatory_u75", "u75_mortality", "circulatory_share_u75")
    small = Catalogue(geography=catalogue.geography,
                      indicators=tuple(catalogue[i] for i in ids))
    counts = compute_counts(small, data_dir)
    # no circulatory deaths in the first borough in 2020: its DSR is withheld
    gone = (pl.col("area_code") == CITY) & (pl.col("period_start") == 2020)
    counts["circulatory_u75"] = counts["circulatory_u75"].with_columns(
        pl.when(gone).then(0.0).otherwise(pl.col("x")).alias("x"))
    values = pl.from_arrow(values_from_counts(small, counts))
    top = _row(values, indicator_id="circulatory_u75", area_code=CITY, period="2020")
    assert top["value"] is None
    share = _row(values, indicator_id="circulatory_share_u75", area_code=CITY, period="2020")
    assert share["value"] is None
    assert "circulatory_u75" in share["value_note"]
    assert "u75_mortality" in share["value_note"]
    other = _row(values, indicator_id="circulatory_share_u75", area_code=CITY, period="2021")
    assert other["value"] is not None
    assert other["value_note"] is None

    # a denominator value of zero is withheld too
    tables = {i: values.filter(pl.col("indicator_id") == i).to_arrow() for i in ids[:2]}
    below = pl.from_arrow(tables["u75_mortality"]).with_columns(
        pl.when((pl.col("area_code") == ENGLAND) & (pl.col("period") == "2021")
                & (pl.col("category_type") == "")).then(0.0).otherwise(pl.col("value"))
        .alias("value"))
    tables["u75_mortality"] = below.to_arrow()
    ratio = pl.from_arrow(derived_values(small["circulatory_share_u75"], tables))
    zero = _row(ratio, area_code=ENGLAND, period="2021")
    assert zero["value"] is None
    assert "circulatory_u75" in zero["value_note"]
