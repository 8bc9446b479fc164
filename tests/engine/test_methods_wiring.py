"""The engine's newer methods, each checked against the method called on hand-built inputs.

Means (Student's t), healthy life expectancy (Sullivan), age-group breakdowns of a DSR and of
a crude rate, WHO HEAT measures over ethnic groups, ratios of two indicators, attributable
fractions of an exposure and the decomposition of a life expectancy gap: the values are
computed once for the module, then single rows are compared with the raw test tables.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import polars as pl
import pytest

from healthgap.catalogue import Catalogue
from healthgap.engine import compute_counts, values_from_counts
from healthgap.engine.inequality import LIMITS_NOT_GIVEN, heat_labels
from healthgap.engine.statistics import derived_values
from healthgap.methods import (
    decompose_gap,
    dsr,
    healthy_life_expectancy,
    inequality_measures,
    life_expectancy,
    mean,
)
from healthgap.methods.standard_populations import ESP2013

from .conftest import BOROUGH, LSOAS, PM25, admissions, deaths, one_row, population, survey

ENGLAND = "E92000001"
CITY = "E09000001"  # the first borough: small areas 1-4
LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
ETHNIC = "Ethnic group"
AGE_GROUP = "Age group"
HEAT_MEASURES = ["d", "r", "bgv", "paf"]  # as in survey_and_ratios.yaml


def _in_area(code: str, area: str) -> bool:
    return area == ENGLAND or BOROUGH[code] == area or code == area


def _life_band(age: int) -> int:
    return 0 if age < 1 else 1 if age < 5 else min(age, 90) // 5 * 5


# --- mean ------------------------------------------------------------------------------------


def _satisfaction(area: str, year: int, sex: str, group: str | None = None) -> pl.DataFrame:
    """Raw life satisfaction scores as the definition keeps them: age >= 16, answered."""
    raw = pl.from_arrow(survey())
    kept = raw.filter(
        pl.col("year") == year,
        pl.col("age") >= 16,
        pl.col("life_satisfaction").is_not_null(),
        pl.col("lsoa_code").is_in([c for c in LSOAS if _in_area(c, area)]),
    )
    if sex != "Persons":
        kept = kept.filter(pl.col("sex") == sex)
    if group is not None:
        kept = kept.filter(pl.col("ethnic_group") == group)
    return kept.select("life_satisfaction")


@pytest.mark.parametrize(
    ("area", "sex", "group"),
    [
        (CITY, "Female", None),
        (CITY, "Persons", None),
        (ENGLAND, "Male", None),
        (ENGLAND, "Persons", None),
        (CITY, "Persons", "Black"),
        (ENGLAND, "Female", "Asian"),
    ],
)
def test_mean_equals_the_method_on_raw_values(values, area, sex, group):
    scores = _satisfaction(area, 2020, sex, group)
    expected = mean(scores, "life_satisfaction", confidence=(0.95, 0.998)).row(0, named=True)
    keys = {"category_type": ETHNIC, "category": group} if group else {}
    got = one_row(
        values,
        indicator_id="life_satisfaction_mean",
        area_code=area,
        period="2020",
        sex=sex,
        **keys,
    )
    assert got["count"] == len(scores)
    assert got["denominator"] is None
    np.testing.assert_allclose(
        [got[c] for c in ["value", *LIMITS]], [expected[c] for c in ["value", *LIMITS]], rtol=1e-9
    )
    assert got["value"] == pytest.approx(scores["life_satisfaction"].mean(), rel=1e-12)


def _single_value_rows(values: pl.DataFrame) -> pl.DataFrame:
    rows = values.filter(
        pl.col("indicator_id") == "life_satisfaction_mean",
        pl.col("area_code").is_in(LSOAS),
        pl.col("category_type") == ETHNIC,
        pl.col("count") == 1,
    )
    assert len(rows) > 0, "the test data should have a small area x ethnic group of one value"
    return rows


def test_mean_of_a_single_value_has_no_limits(values):
    rows = _single_value_rows(values)
    first = rows.row(0, named=True)
    raw = pl.from_arrow(survey()).filter(
        pl.col("lsoa_code") == first["area_code"],
        pl.col("year") == first["period_start"],
        pl.col("ethnic_group") == first["category"],
        pl.col("age") >= 16,
        pl.col("life_satisfaction").is_not_null(),
        *([pl.col("sex") == first["sex"]] if first["sex"] != "Persons" else []),
    )
    assert len(raw) == 1
    assert first["value"] == raw["life_satisfaction"][0]
    for c in LIMITS:
        assert rows[c].null_count() == len(rows), c


def test_mean_of_a_single_value_says_why_in_value_note(values):
    notes = _single_value_rows(values)["value_note"]
    assert notes.null_count() == 0
    assert all("single value" in note for note in notes)


def test_mean_counts_number_sum_and_squares(catalogue, data_dir):
    small = Catalogue(
        geography=catalogue.geography, indicators=(catalogue["life_satisfaction_mean"],)
    )
    counts = compute_counts(small, data_dir)["life_satisfaction_mean"]
    assert {"n", "s", "q"} <= set(counts.columns)
    area = LSOAS[2]
    for sex, group in [("Male", None), ("Persons", None), ("Female", "White")]:
        scores = _satisfaction(area, 2021, sex, group)["life_satisfaction"]
        keys = {
            "area_code": area,
            "period_start": 2021,
            "period_years": 1,
            "sex": sex,
            "category_type": ETHNIC if group else "",
            "category": group or "",
        }
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
    frame = pl.DataFrame(
        {
            "age": ages,
            "x": [float(x[a]) for a in ages],
            "n": [n[a] for a in ages],
            "good": [hx[a] / hn[a] for a in ages],
            "respondents": [float(hn[a]) for a in ages],
        }
    )
    expected = healthy_life_expectancy(
        frame,
        "x",
        "n",
        "age",
        "good",
        prevalence_n="respondents",
        hle_age=0,
        confidence=(0.95, 0.998),
    )
    got = one_row(
        values, indicator_id="hle_birth", area_code=ENGLAND, period="2019 - 21", sex="Male"
    )
    assert (got["count"], got["denominator"]) == (sum(x.values()), sum(n.values()))
    np.testing.assert_allclose(
        [got[c] for c in ["value", *LIMITS]], expected.select(["value", *LIMITS]).row(0), rtol=1e-9
    )
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
    return pl.DataFrame(
        {
            "age": bands,
            "x": [float(x[b]) for b in bands],
            "n": [n[b] for b in bands],
            "w": [float(ESP2013[b // 5]) for b in bands],
        }
    )


@pytest.mark.parametrize(
    ("group", "low", "high", "n_bands"),
    [
        ("45-64", 45, 64, 4),
        ("75+", 75, None, 4),
        ("", 0, None, 19),  # the total row: all 19 ESP2013 bands
    ],
)
def test_age_group_dsr_standardises_over_its_own_bands(values, group, low, high, n_bands):
    frame = _deaths_and_population_by_band(CITY, low, high)
    assert len(frame) == n_bands
    expected = dsr(frame, "x", "n", "w", multiplier=100000, confidence=(0.95, 0.998))
    got = one_row(
        values,
        indicator_id="mortality_by_age_group",
        area_code=CITY,
        period="2019 - 21",
        category_type=AGE_GROUP if group else "",
        category=group,
    )
    assert (got["count"], got["denominator"]) == (frame["x"].sum(), frame["n"].sum())
    np.testing.assert_allclose(
        [got[c] for c in ["value", *LIMITS]], expected.select(["value", *LIMITS]).row(0), rtol=1e-9
    )
    if group == "45-64":  # not the same as all bands' weights, or the 45-64 bands' crude rate
        assert frame["w"].to_list() == [float(w) for w in ESP2013[9:13]]
        crude = frame["x"].sum() / frame["n"].sum() * 100000
        assert got["value"] != pytest.approx(crude, rel=1e-6)


GROUPS = {"0-44": (0, 44), "45-64": (45, 64), "65-74": (65, 74), "75+": (75, 200)}


@pytest.mark.parametrize("area", [CITY, ENGLAND])
@pytest.mark.parametrize("year", [2019, 2021])
def test_age_group_rate_counts_by_hand(values, area, year):
    emergency = [
        r
        for r in admissions().to_pylist()
        if r["year"] == year
        and r["admission_method"] == "Emergency"
        and _in_area(r["lsoa_code"], area)
    ]
    pop = [
        r for r in population().to_pylist() if r["year"] == year and _in_area(r["lsoa_code"], area)
    ]
    total = one_row(
        values, indicator_id="admissions_by_age_group", area_code=area, period=str(year)
    )
    counts, denominators = [], []
    for label, (low, high) in GROUPS.items():
        x = sum(1 for r in emergency if low <= r["age"] <= high)
        n = sum(r["population"] for r in pop if low <= r["age"] <= high)
        got = one_row(
            values,
            indicator_id="admissions_by_age_group",
            area_code=area,
            period=str(year),
            category_type=AGE_GROUP,
            category=label,
        )
        assert (got["count"], got["denominator"]) == (x, n), label
        assert got["value"] == pytest.approx(1000 * x / n, rel=1e-12)
        counts.append(got["count"])
        denominators.append(got["denominator"])
    assert sum(counts) == total["count"] == len(emergency)
    assert sum(denominators) == total["denominator"]


# --- WHO HEAT measures -------------------------------------------------------------------------


def test_heat_labels_name_the_measures():
    assert heat_labels(HEAT_MEASURES) == {
        "d": "Difference (D)",
        "r": "Ratio (R)",
        "bgv": "Between-group variance (BGV)",
        "paf": "Population attributable fraction (PAF) x 100",
    }


@pytest.mark.parametrize(
    ("area", "period", "sex"), [(CITY, "2020", "Persons"), (ENGLAND, "2021", "Female")]
)
def test_heat_measures_equal_the_method_on_the_group_rows(values, area, period, sex):
    mine = values.filter(
        pl.col("indicator_id") == "life_satisfaction_mean",
        pl.col("area_code") == area,
        pl.col("period") == period,
        pl.col("sex") == sex,
        pl.col("category_type") == ETHNIC,
    )
    labels = heat_labels(HEAT_MEASURES)
    groups = mine.filter(~pl.col("category").is_in(list(labels.values()))).sort("category")
    assert groups["category"].to_list() == ["Asian", "Black", "Mixed", "Other", "White"]
    assert sorted(set(mine["category"]) - set(groups["category"])) == sorted(labels.values())
    # a mean has no denominator: the subgroups weigh by their number of values
    expected = inequality_measures(
        groups,
        "value",
        "count",
        dimension_type="non-ordered",
        favourable=True,
        measures=["d", "r", "bgv"],
        lower_cl="lower95_0cl",
        upper_cl="upper95_0cl",
        confidence=(0.95, 0.998),
    )
    for measure in ("d", "r", "bgv"):
        got = one_row(
            values,
            indicator_id="life_satisfaction_mean",
            area_code=area,
            period=period,
            sex=sex,
            category_type=ETHNIC,
            category=labels[measure],
        )
        want = expected.filter(pl.col("measure") == measure).row(0, named=True)
        np.testing.assert_allclose(
            [got[c] for c in ["value", *LIMITS]], [want[c] for c in ["value", *LIMITS]], rtol=1e-9
        )
        assert (got["count"], got["denominator"], got["value_note"]) == (None, None, None)
    # and by hand: highest - lowest, highest / lowest, variance weighted by the counts
    y = groups["value"].to_numpy()
    got = {
        m: one_row(
            values,
            indicator_id="life_satisfaction_mean",
            area_code=area,
            period=period,
            sex=sex,
            category_type=ETHNIC,
            category=labels[m],
        )["value"]
        for m in ("d", "r", "bgv")
    }
    assert got["d"] == pytest.approx(y.max() - y.min(), rel=1e-12)
    assert got["r"] == pytest.approx(y.max() / y.min(), rel=1e-12)
    p = groups["count"].to_numpy() / groups["count"].sum()
    assert got["bgv"] == pytest.approx((p * (y - (p * y).sum()) ** 2).sum(), rel=1e-12)
    equal = ((y - y.mean()) ** 2).mean()
    assert got["bgv"] != pytest.approx(equal, rel=1e-3)  # the test tells the weights apart


def test_heat_limits_contain_the_value_or_are_withheld_with_a_note(values):
    labels = list(heat_labels(HEAT_MEASURES).values())
    heat = values.filter(
        pl.col("indicator_id") == "life_satisfaction_mean", pl.col("category").is_in(labels)
    )
    assert len(heat) == len(labels) * len(
        values.filter(
            pl.col("indicator_id") == "life_satisfaction_mean", pl.col("category_type") == ""
        )
    )
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
            *KEYS, pl.col("value").alias(name)
        )

    share = of("circulatory_share_u75", "share")
    both = of("circulatory_u75", "a").join(of("u75_mortality", "b"), on=KEYS, how="inner")
    assert len(share) == len(both) == 9  # 2 boroughs and England x 3 years, no breakdowns
    joined = both.join(share, on=KEYS, how="left")
    np.testing.assert_allclose(
        joined["share"].to_numpy(), (100 * joined["a"] / joined["b"]).to_numpy(), rtol=1e-12
    )
    rows = values.filter(pl.col("indicator_id") == "circulatory_share_u75")
    for c in LIMITS:
        assert rows[c].null_count() == len(rows)


def test_ratio_withheld_when_either_value_is(catalogue, data_dir):
    ids = ("circulatory_u75", "u75_mortality", "circulatory_share_u75")
    small = Catalogue(geography=catalogue.geography, indicators=tuple(catalogue[i] for i in ids))
    counts = compute_counts(small, data_dir)
    # no circulatory deaths in the first borough in 2020: its DSR is withheld
    gone = (pl.col("area_code") == CITY) & (pl.col("period_start") == 2020)
    counts["circulatory_u75"] = counts["circulatory_u75"].with_columns(
        pl.when(gone).then(0.0).otherwise(pl.col("x")).alias("x")
    )
    values = pl.from_arrow(values_from_counts(small, counts))
    top = one_row(values, indicator_id="circulatory_u75", area_code=CITY, period="2020")
    assert top["value"] is None
    share = one_row(values, indicator_id="circulatory_share_u75", area_code=CITY, period="2020")
    assert share["value"] is None
    assert "circulatory_u75" in share["value_note"]
    assert "u75_mortality" in share["value_note"]
    other = one_row(values, indicator_id="circulatory_share_u75", area_code=CITY, period="2021")
    assert other["value"] is not None
    assert other["value_note"] is None

    # a denominator value of zero is withheld too
    tables = {i: values.filter(pl.col("indicator_id") == i).to_arrow() for i in ids[:2]}
    below = pl.from_arrow(tables["u75_mortality"]).with_columns(
        pl.when(
            (pl.col("area_code") == ENGLAND)
            & (pl.col("period") == "2021")
            & (pl.col("category_type") == "")
        )
        .then(0.0)
        .otherwise(pl.col("value"))
        .alias("value")
    )
    tables["u75_mortality"] = below.to_arrow()
    ratio = pl.from_arrow(derived_values(small["circulatory_share_u75"], tables, small))
    zero = one_row(ratio, area_code=ENGLAND, period="2021")
    assert zero["value"] is None
    assert "circulatory_u75" in zero["value_note"]


# --- attributable fraction (PM2.5) -----------------------------------------------------------

AF_ID = "pm25_attributable"


def _af(c: float) -> float:
    """COMEAP 2022: 1 - exp(-ln(1.08) c / 10), as in survey_and_ratios.yaml."""
    return 1 - math.exp(-math.log(1.08) * c / 10)


def _deaths_30_plus(area: str, year: int) -> int:
    return sum(
        1
        for r in deaths().to_pylist()
        if r["year"] == year and r["age"] >= 30 and _in_area(r["lsoa_code"], area)
    )


def _residents(area: str, year: int) -> float:
    return sum(
        r["population"]
        for r in population().to_pylist()
        if r["year"] == year and _in_area(r["lsoa_code"], area)
    )


@pytest.mark.parametrize("year", [2019, 2020])
def test_attributable_fraction_england_weights_the_boroughs_by_population(values, year):
    boroughs = sorted(set(BOROUGH.values()))
    weights = [_residents(b, year) for b in boroughs]
    assert weights == [2 * 91 * (10 + 11 + 12 + 13), 2 * 91 * (14 + 15 + 16 + 17)]
    c = sum(PM25[b, year] * w for b, w in zip(boroughs, weights, strict=True)) / sum(weights)
    got = one_row(values, indicator_id=AF_ID, area_code=ENGLAND, period=str(year))
    x = _deaths_30_plus(ENGLAND, year)
    assert got["value"] == pytest.approx(100 * _af(c), rel=1e-12)
    assert got["denominator"] == x
    assert got["count"] == pytest.approx(_af(c) * x, rel=1e-12)
    plain = sum(PM25[b, year] for b in boroughs) / 2  # the test tells the weights apart
    assert got["value"] != pytest.approx(100 * _af(plain), rel=1e-4)
    assert got["value_note"] is None
    for col in LIMITS:
        assert got[col] is None


@pytest.mark.parametrize(("borough", "year"), [(b, y) for b, y in PM25])
def test_attributable_fraction_of_a_borough_uses_its_own_exposure(values, borough, year):
    got = one_row(values, indicator_id=AF_ID, area_code=borough, period=str(year))
    x = _deaths_30_plus(borough, year)
    assert got["value"] == pytest.approx(100 * _af(PM25[borough, year]), rel=1e-12)
    assert (got["denominator"], got["value_note"]) == (x, None)
    assert got["count"] == pytest.approx(_af(PM25[borough, year]) * x, rel=1e-12)


@pytest.mark.parametrize("year", [2019, 2020, 2021])
def test_attributable_fraction_small_areas_take_their_borough_exposure(values, year):
    for code in LSOAS:
        got = one_row(values, indicator_id=AF_ID, area_code=code, period=str(year))
        x = _deaths_30_plus(code, year)
        if (BOROUGH[code], year) not in PM25:  # deaths count where the exposure is known
            assert got["denominator"] == 0
            continue
        assert got["denominator"] == x
        fraction = _af(PM25[BOROUGH[code], year])
        assert got["value"] == pytest.approx(100 * fraction, rel=1e-12), code
        assert got["count"] == pytest.approx(fraction * x, rel=1e-12), code


def test_attributable_fraction_without_exposure_is_withheld_with_a_note(values):
    rows = values.filter(pl.col("indicator_id") == AF_ID, pl.col("period") == "2021")
    no_exposure = [c for c in LSOAS if BOROUGH[c] != CITY] + ["E09000002"]
    assert ("E09000002", 2021) not in PM25
    withheld = rows.filter(pl.col("area_code").is_in(no_exposure))
    assert len(withheld) == len(no_exposure)  # a row each, with the reason
    assert withheld["value"].null_count() == withheld["count"].null_count() == len(withheld)
    assert withheld["value_note"].null_count() == 0
    # England's concentration is the first borough's: the only one with an exposure
    england = one_row(values, indicator_id=AF_ID, area_code=ENGLAND, period="2021")
    assert england["value"] == pytest.approx(100 * _af(PM25[CITY, 2021]), rel=1e-12)


def test_attributable_deaths_only_where_the_exposure_is_known(values):
    england = one_row(values, indicator_id=AF_ID, area_code=ENGLAND, period="2021")
    covered = _deaths_30_plus(CITY, 2021)
    assert _deaths_30_plus(ENGLAND, 2021) > covered
    # either withheld (the exposure covers part of England) or the covered deaths only
    assert england["value"] is None or england["denominator"] == covered


# --- decomposition of the life expectancy gap ------------------------------------------------

GAP_ID = "le_gap_by_age_and_cause"
DECILE = {code: i + 1 for i, code in enumerate(LSOAS)}  # lookup(): national deciles 1..8
CAUSES = {
    "Cancer": ("C00", "D48"),
    "Circulatory": ("I00", "I99"),
    "External causes": ("V01", "Y98"),
}  # as in survey_and_ratios.yaml; first match
LIFE_BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]
GROUPS_AT = {
    ENGLAND: ([5, 6, 7, 8], [1, 2, 3, 4]),
    CITY: ([3, 4], [1, 2]),
    "E09000002": ([7, 8], [5, 6]),
}  # (reference, comparison) deciles in the area


def _cause(code: str) -> str:
    return next(
        (label for label, (low, high) in CAUSES.items() if low <= code[:3] <= high), "Other"
    )


def _pooled(deciles: list[int]) -> pl.DataFrame:
    """Deaths by life-table band and cause, with the band's population: 2019-21, Persons."""
    areas = [c for c in LSOAS if DECILE[c] in deciles]
    x, n = Counter(), Counter()
    for r in deaths().to_pylist():
        if r["lsoa_code"] in areas:
            x[_life_band(r["age"]), _cause(r["icd10"])] += 1
    for r in population().to_pylist():
        if r["lsoa_code"] in areas:
            n[_life_band(r["age"])] += r["population"]
    bands = sorted(n)
    assert len(bands) == 20
    return pl.DataFrame(
        [(b, cause, float(x[b, cause]), n[b]) for b in bands for cause in [*CAUSES, "Other"]],
        schema=["age", "cause", "deaths", "population"],
        orient="row",
    )


def _gap_rows(values: pl.DataFrame, area: str, category_type: str) -> pl.DataFrame:
    return values.filter(
        pl.col("indicator_id") == GAP_ID,
        pl.col("area_code") == area,
        pl.col("period") == "2019 - 21",
        pl.col("sex") == "Persons",
        pl.col("category_type") == category_type,
    )


def test_gap_rows_are_labelled_by_life_table_band_and_cause(values):
    rows = values.filter(pl.col("indicator_id") == GAP_ID)
    assert set(rows["area_code"]) == {ENGLAND, CITY, "E09000002"}
    assert set(rows["category_type"]) == {"Age band", "Cause"}
    for area in GROUPS_AT:
        assert (
            sorted(_gap_rows(values, area, "Age band")["category"], key=LIFE_BANDS.index)
            == LIFE_BANDS
        )
        assert set(_gap_rows(values, area, "Cause")["category"]) == {
            "Cancer",
            "Circulatory",
            "External causes",
            "Other",
        }
        assert len(_gap_rows(values, area, "Cause")) == 4
    assert rows["count"].null_count() == rows["denominator"].null_count() == len(rows)


@pytest.mark.parametrize("area", list(GROUPS_AT))
def test_gap_contributions_add_up_to_the_life_expectancy_gap(values, area):
    reference, comparison = GROUPS_AT[area]

    def e0(deciles: list[int]) -> float:
        table = (
            _pooled(deciles)
            .group_by("age")
            .agg(  # all causes
                pl.col("deaths").sum(), pl.col("population").first()
            )
            .sort("age")
        )
        return life_expectancy(table, "deaths", "population", "age", le_age=0)["value"][0]

    gap = e0(reference) - e0(comparison)
    by_age = _gap_rows(values, area, "Age band")
    by_cause = _gap_rows(values, area, "Cause")
    assert by_age["value"].null_count() == by_cause["value"].null_count() == 0
    assert by_age["value"].sum() == pytest.approx(gap, rel=1e-9)
    assert by_cause["value"].sum() == pytest.approx(gap, rel=1e-9)
    assert abs(gap) > 1  # deciles 5-8 outlive 1-4 by years in the test data, not by chance


def test_gap_by_cause_and_age_equal_the_method_on_raw_deaths(values):
    reference, comparison = GROUPS_AT[ENGLAND]
    long = pl.concat(
        [
            _pooled(reference).with_columns(group=pl.lit("reference")),
            _pooled(comparison).with_columns(group=pl.lit("comparison")),
        ]
    )
    expected = decompose_gap(
        long,
        "deaths",
        "population",
        "age",
        "group",
        reference="reference",
        comparison="comparison",
        cause="cause",
    )
    want = expected.group_by("cause").agg(pl.col("value").sum()).sort("cause")
    got = _gap_rows(values, ENGLAND, "Cause").sort("category")
    assert got["category"].to_list() == want["cause"].to_list()
    np.testing.assert_allclose(
        got["value"].to_numpy(), want["value"].to_numpy(), rtol=1e-9, atol=1e-12
    )
    labels = dict(zip([0, 1, *range(5, 95, 5)], LIFE_BANDS, strict=True))
    want = (
        expected.group_by("age")
        .agg(pl.col("value").sum())
        .with_columns(pl.col("age").replace_strict(labels).alias("category"))
    )
    got = _gap_rows(values, ENGLAND, "Age band").join(want, on="category", how="inner")
    assert len(got) == 20
    np.testing.assert_allclose(
        got["value"].to_numpy(), got["value_right"].to_numpy(), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("how", ["no people", "absent"])
def test_gap_withheld_where_a_group_lacks_people(catalogue, data_dir, values, how):
    small = Catalogue(geography=catalogue.geography, indicators=(catalogue[GAP_ID],))
    counts = compute_counts(small, data_dir)
    # the second borough's comparison group (deciles 5 and 6) has nobody in it
    gone = (
        (pl.col("area_code") == "E09000002")
        & (pl.col("level") == "borough")
        & pl.col("category").is_in(["5", "6"])
    )
    frame = counts[GAP_ID]
    assert len(frame.filter(gone)) == 40
    measures = [c for c in frame.columns if c == "n" or c == "x" or c.startswith("cause_")]
    counts[GAP_ID] = (
        frame.with_columns(pl.when(gone).then(0.0).otherwise(pl.col(m)).alias(m) for m in measures)
        if how == "no people"
        else frame.filter(~gone)
    )
    out = pl.from_arrow(values_from_counts(small, counts))
    withheld = out.filter(pl.col("area_code") == "E09000002")
    assert len(withheld) == 24  # 20 age bands and 4 causes, each with the reason
    assert withheld["value"].null_count() == len(withheld)
    assert withheld["value_note"].null_count() == 0
    assert all("population" in note for note in withheld["value_note"])
    kept = out.filter(pl.col("area_code") != "E09000002").sort(
        "area_code", "category_type", "category"
    )
    before = values.filter(
        pl.col("indicator_id") == GAP_ID, pl.col("area_code") != "E09000002"
    ).sort("area_code", "category_type", "category")
    assert kept["value"].to_list() == before["value"].to_list()
    assert kept["value_note"].null_count() == len(kept)
