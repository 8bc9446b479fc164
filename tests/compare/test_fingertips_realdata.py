"""Reproduce Fingertips' own judgements from the values in its exports (../shared/data).

The exports (see ``fingertips/SOURCES.md``) carry Fingertips' comparison with England, with
the parent area (column named ``Compared to Region value or percentiles`` or ``Compared to
parent value or percentiles``) and the recent trend, next to the values, limits, counts and
denominators it judged. Each test recomputes a column from the file alone and measures the
agreement.

Thresholds: the comparisons use the published values and 95% limits with Fingertips' own rule
(benchmark value inside the interval, limits inclusive), so they should agree row for row; the
exports round values and limits to 4-5 significant figures, which could flip a benchmark
lying within that rounding of a limit, so at least 99% is required (observed: 100%).

What cannot be measured: recent trends in two of the exports were computed by Fingertips from
earlier periods that the files do not hold (one period per indicator), and England quintiles
in the Liverpool City Region file need all 150 upper-tier authorities (it holds 6). There
the tests check that we never judge what we cannot see: "Cannot be calculated" with its reason.
"""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.compare import benchmark, quintiles, recent_trend

pytestmark = pytest.mark.realdata

KEYS = ["Indicator ID", "Sex", "Age", "Category Type", "Category", "Time period"]
NUMBERS = [
    "Value",
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Lower CI 99.8 limit",
    "Upper CI 99.8 limit",
    "Count",
    "Denominator",
]
ENGLAND = "E92000001"
ENGLAND_COLUMN = "Compared to England value or percentiles"
#: area types that are themselves a parent: Fingertips does not compare them with a parent
PARENT_TYPES = {"England", "Country", "Region", "Combined authorities"}

INJURIES = "ansarikasim_injuries-in-children__Compare_areas.csv"
CAMPYLOBACTER = "jargonautical_data-dev__indicators-CountyUA.data.csv"
FAMILY = "gss-cogs_family-disability__indicators-CountyUApre419.data.csv"
LCR = "lcr-evidence_test-repo__Compare_areas.csv"

#: file -> polarity of its indicators: injury admissions and campylobacter incidence are
#: "low is good" (RAG); the family-disability indicators are blue-orange-blue
POLARITY = {INJURIES: "low_is_good", CAMPYLOBACTER: "low_is_good", FAMILY: "no_judgement"}


def load(shared_data, name: str) -> pl.DataFrame:
    """An export as Polars: numbers parsed (thousands separators and HTML placeholders of
    missing counts become null), keys filled so nulls match, and the parent's value joined."""
    raw = pl.read_csv(
        shared_data / "fingertips" / name, infer_schema_length=0, truncate_ragged_lines=True
    )  # CountyUA rows omit the last header field
    df = raw.with_columns(
        [pl.col(c).str.replace_all(",", "").cast(pl.Float64, strict=False) for c in NUMBERS]
        + [pl.col(c).fill_null("") for c in KEYS]
        + [pl.col(c).fill_null("") for c in raw.columns if c.startswith("Compared to")]
    )
    parents = df.select(
        *KEYS, pl.col("Area Code").alias("Parent Code"), pl.col("Value").alias("parent_value")
    ).unique([*KEYS, "Parent Code"])
    df = df.join(parents, on=[*KEYS, "Parent Code"], how="left", maintain_order="left")
    return df.with_columns(
        parent_value=pl.when(pl.col("Area Type").is_in(PARENT_TYPES))
        .then(None)
        .otherwise(pl.col("parent_value"))
    )


def parent_column(df: pl.DataFrame) -> str:
    return next(
        c
        for c in df.columns
        if c.startswith("Compared to") and c not in (ENGLAND_COLUMN, "Compared to goal")
    )


def compared_indicators(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """Rows of indicators Fingertips compares at all: an indicator whose every row is "Not
    compared" has the comparator method "No comparison" (metadata the export lacks)."""
    judged = df.filter(~pl.col(column).is_in(["Not compared", ""]))["Indicator ID"].unique()
    return df.filter(pl.col("Indicator ID").is_in(judged) & (pl.col(column) != ""))


def agreement(out: pl.DataFrame, column: str) -> tuple[float, pl.DataFrame]:
    same = out["comparison"] == out[column]
    return same.mean(), out.filter(~same).select(
        "Area Name" if "Area Name" in out.columns else "AreaName", column, "comparison", "reason"
    )


@pytest.mark.parametrize("name", [INJURIES, CAMPYLOBACTER, FAMILY])
def test_compared_with_england_is_reproduced(shared_data, name):
    df = compared_indicators(load(shared_data, name), ENGLAND_COLUMN)
    out = benchmark(
        df,
        "Value",
        "Lower CI 95.0 limit",
        "Upper CI 95.0 limit",
        polarity=POLARITY[name],
        area="Area Code",
        benchmark_area=ENGLAND,
        group_by=KEYS,
    )
    rate, differences = agreement(out, ENGLAND_COLUMN)
    assert len(out) >= 40
    assert rate >= 0.99, differences


@pytest.mark.parametrize("name", [INJURIES, CAMPYLOBACTER, FAMILY])
def test_compared_with_the_parent_is_reproduced(shared_data, name):
    df = load(shared_data, name)
    column = parent_column(df)
    df = compared_indicators(df, column)
    out = benchmark(
        df,
        "Value",
        "Lower CI 95.0 limit",
        "Upper CI 95.0 limit",
        "parent_value",
        polarity=POLARITY[name],
    )
    rate, differences = agreement(out, column)
    assert len(out) >= 40
    assert rate >= 0.99, differences


def test_the_london_boroughs_judged_as_fingertips_did(shared_data):
    df = load(shared_data, INJURIES)
    out = benchmark(
        df,
        "Value",
        "Lower CI 95.0 limit",
        "Upper CI 95.0 limit",
        polarity="low_is_good",
        area="Area Code",
        benchmark_area=ENGLAND,
        group_by=KEYS,
    ).filter(pl.col("Area Code").str.starts_with("E09"))
    assert len(out) == 33
    assert (out["comparison"] == out[ENGLAND_COLUMN]).all()


def test_parent_quintiles_are_reproduced(shared_data):
    df = load(shared_data, LCR)
    areas = df.filter(~pl.col("Area Type").is_in(PARENT_TYPES))
    out = quintiles(areas, "Value", group_by=[*KEYS, "Parent Code"])
    column = parent_column(df)
    assert len(out) == 6
    assert out["comparison"].to_list() == out[column].to_list()


def test_england_quintiles_cannot_be_formed_from_six_authorities(shared_data):
    # Fingertips formed them among all 150 authorities; from the file's 6 we would get
    # different, wrong, quintiles: this documents why they are not reproduced
    df = load(shared_data, LCR).filter(~pl.col("Area Type").is_in(PARENT_TYPES))
    assert df[ENGLAND_COLUMN].to_list().count("Highest quintile") == 4


def test_recent_trend_with_three_periods_cannot_be_calculated(shared_data):
    # Campylobacter incidence 2015-2017: three annual points per series, so Fingertips says
    # "Cannot be calculated" on every 2017 row; so must we, with the reason
    df = load(shared_data, CAMPYLOBACTER).with_columns(year=pl.col("Time period").cast(pl.Int64))
    series = ["Area Code", "Indicator ID", "Sex", "Age", "Category Type", "Category"]
    out = recent_trend(
        df,
        period="year",
        value="Value",
        lower_cl="Lower CI 95.0 limit",
        upper_cl="Upper CI 95.0 limit",
        kind="rate",
        group_by=series,
        polarity="low_is_good",
    )
    latest = df.filter(pl.col("year") == 2017).join(out, on=series, how="left")
    assert len(latest) == 182
    assert (latest["trend"] == latest["Recent Trend"]).all()
    assert set(latest["reason"]) == {"fewer than 5 points"}


@pytest.mark.parametrize("name", [INJURIES, FAMILY])
def test_recent_trend_from_periods_the_file_lacks_is_not_guessed(shared_data, name):
    # Fingertips' trends here come from earlier periods not in the export (one period per
    # indicator): we cannot reproduce them, and never judge from a single point
    df = load(shared_data, name).with_columns(year=pl.lit(2020))
    out = recent_trend(
        df.filter(pl.col("Value").is_not_null()),
        period="year",
        value="Value",
        lower_cl="Lower CI 95.0 limit",
        upper_cl="Upper CI 95.0 limit",
        kind="rate",
        group_by=["Area Code", *KEYS],
        polarity=POLARITY[name],
    )
    assert set(out["trend"]) == {"Cannot be calculated"}
    assert set(out["reason"]) == {"fewer than 5 points"}
    judged = df.filter(~pl.col("Recent Trend").is_in(["Cannot be calculated", ""]))
    assert len(judged) > 0  # Fingertips did judge some: from data we do not have
