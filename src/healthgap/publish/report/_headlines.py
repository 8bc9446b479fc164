"""Headline gaps and key messages, written from the comparisons and traceable to numbers.

Three kinds of headline, from whatever the data allow:

* **inequality measures in the store** (slope index of inequality, gaps between deprivation
  groups: indicators whose metadata names a gap or whose name says "slope index" or "gap"):
  the region's latest value with its 95% interval, against its earliest value, "wider",
  "narrower" or "similar" by the overlap of the two intervals;
* **the range across the areas**: the highest and lowest area's latest value of each
  headline indicator, and the difference between them;
* **the gap to the nation**: the region's value against the nation's, judged by Fingertips'
  CI-overlap method.

Each message is one sentence holding its numbers, and each is a row of the headline table
(``overview-headlines.csv``), so every sentence can be traced to the figures behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from healthgap.publish.report._data import ReportData
from healthgap.publish.report._labels import series_label
from healthgap.publish.report._style import base_label
from healthgap.publish.report.charts import fmt

#: headline indicators when the strategy names none: the first few in report order
DEFAULT_HEADLINES = 6


@dataclass(frozen=True)
class Headline:
    """One key message and the numbers it rests on."""

    indicator: str
    measure: str
    period: str
    value: float | None
    lower: float | None
    upper: float | None
    detail: str
    sentence: str


def is_gap_indicator(data: ReportData, indicator_id: str) -> bool:
    """Whether an indicator measures inequality itself (an SII, a gap between groups)."""
    words = f"{data.meta(indicator_id).name} {indicator_id}".lower()
    return "slope index" in words or " gap" in f" {words}" or "_sii" in words


def headline_ids(data: ReportData) -> list[str]:
    """Indicators whose range across areas makes a headline: the strategy's overarching
    indicators, else the first few in report order (inequality measures left out)."""
    wanted = data.strategy.overarching_indicators if data.strategy is not None else ()
    ids = [i for i in wanted if i in data.order]
    if not ids:
        ids = data.order[:DEFAULT_HEADLINES]
    return [i for i in ids if not is_gap_indicator(data, i)]


def headlines(data: ReportData) -> list[Headline]:
    """Every headline the data allow, gaps first."""
    out = _gap_measures(data)
    out += _ranges(data)
    out += _to_nation(data)
    return out


def _unit(data: ReportData, indicator_id: str) -> str:
    unit = data.meta(indicator_id).unit
    return f" {unit}" if unit and unit != "%" else unit


def _ci(lower: float | None, upper: float | None) -> str:
    if lower is None or upper is None:
        return ""
    return f" (95% CI {fmt(lower)} to {fmt(upper)})"


def _gap_measures(data: ReportData) -> list[Headline]:
    region = data.region_name
    totals = data.values.filter(
        pl.col("indicator_id").is_in([i for i in data.order if is_gap_indicator(data, i)])
        & (pl.col("area_code") == data.region)
        & (pl.col("category_type") == "")
        & pl.col("value").is_not_null()
    )
    out = []
    if totals.is_empty():
        return out
    ordered = totals.with_columns(_end=pl.col("period_start") + pl.col("period_years")).sort(
        "indicator_id", "sex", "age", "_end", "period_years"
    )
    for (i, sex, age), rows in ordered.group_by(
        ["indicator_id", "sex", "age"], maintain_order=True
    ):
        last = rows.row(-1, named=True)
        first = rows.filter(pl.col("period_years") == last["period_years"]).row(0, named=True)
        label = series_label(data, i, sex, age)
        unit = _unit(data, i)
        sentence = (
            f"{label} in {region} was {fmt(last['value'])}{unit}"
            f"{_ci(last['lower95_0cl'], last['upper95_0cl'])} in {last['period']}"
        )
        detail = ""
        if first["period"] != last["period"]:
            change = _change(first, last)
            sentence += f", {change} {first['period']} ({fmt(first['value'])}{unit})"
            detail = f"{first['period']}: {fmt(first['value'])}"
        out.append(
            Headline(
                label,
                "Inequality measure",
                last["period"],
                last["value"],
                last["lower95_0cl"],
                last["upper95_0cl"],
                detail,
                sentence + ".",
            )
        )
    return out


def _change(first: dict, last: dict) -> str:
    """ "wider than in", "narrower than in" (by size), or "not significantly different from".

    Significance by the overlap of the two 95% intervals; width by the absolute value, so a
    negative slope index that moves towards zero narrows.
    """
    limits = (first["lower95_0cl"], first["upper95_0cl"], last["lower95_0cl"], last["upper95_0cl"])
    if any(x is None for x in limits):
        return "against" if last["value"] != first["value"] else "the same as in"
    lo0, hi0, lo1, hi1 = limits
    if lo0 <= hi1 and lo1 <= hi0:
        return "not significantly different from"
    if (first["value"] < 0) != (last["value"] < 0):
        return "reversed in direction since"
    # a gap's width is its size: -17.8 after -41.0 is narrower, whichever way it points
    return "wider than in" if abs(last["value"]) > abs(first["value"]) else "narrower than in"


def _ranges(data: ReportData) -> list[Headline]:
    ids = headline_ids(data)
    rows = data.latest.filter(
        pl.col("indicator_id").is_in(ids)
        & pl.col("area_code").is_in(data.boroughs)
        & pl.col("value").is_not_null()
    )
    out = []
    for i in ids:
        for sex, age in data.series(i):
            s = rows.filter(
                (pl.col("indicator_id") == i) & (pl.col("sex") == sex) & (pl.col("age") == age)
            ).sort("value", "area_name")
            if s.height < 2:
                continue
            low, high = s.row(0, named=True), s.row(-1, named=True)
            label = series_label(data, i, sex, age)
            unit = _unit(data, i)
            gap = high["value"] - low["value"]
            sentence = (
                f"{label} ranged from {fmt(low['value'])}{unit} in {low['area_name']} to "
                f"{fmt(high['value'])}{unit} in {high['area_name']} in {high['period']}, "
                f"a gap of {fmt(gap)}{unit} between the highest and lowest of "
                f"{s.height} areas."
            )
            out.append(
                Headline(
                    label,
                    "Highest minus lowest area",
                    high["period"],
                    gap,
                    None,
                    None,
                    f"{high['area_name']} {fmt(high['value'])}; "
                    f"{low['area_name']} {fmt(low['value'])}",
                    sentence,
                )
            )
    return out


def _to_nation(data: ReportData) -> list[Headline]:
    if data.national is None:
        return []
    ids = headline_ids(data)
    rows = data.latest.filter(
        pl.col("indicator_id").is_in(ids)
        & (pl.col("area_code") == data.region)
        & pl.col("value").is_not_null()
        & pl.col("national_value").is_not_null()
    )
    out = []
    region, nation = data.region_name, data.national_name
    for r in rows.iter_rows(named=True):
        label = series_label(data, r["indicator_id"], r["sex"], r["age"])
        unit = _unit(data, r["indicator_id"])
        word = base_label(r["national_comparison"])
        judged = {
            "Better": f"better than {nation}'s",
            "Worse": f"worse than {nation}'s",
            "Similar": f"similar to {nation}'s",
            "Higher": f"higher than {nation}'s",
            "Lower": f"lower than {nation}'s",
        }.get(word, f"not compared with {nation}'s (no confidence interval published)")
        difference = r["value"] - r["national_value"]
        sentence = (
            f"{label} in {region} was {fmt(r['value'])}{unit}"
            f"{_ci(r['lower95_0cl'], r['upper95_0cl'])} in {r['period']}, {judged} "
            f"{fmt(r['national_value'])}{unit} (a difference of {fmt(difference)}{unit})."
        )
        out.append(
            Headline(
                label,
                f"{region} minus {nation}",
                r["period"],
                difference,
                None,
                None,
                f"{region} {fmt(r['value'])}; {nation} {fmt(r['national_value'])}; {word}",
                sentence,
            )
        )
    return out


def headline_frame(items: list[Headline]) -> pl.DataFrame:
    """The headline table: one row per key message, with its numbers."""
    return pl.DataFrame(
        {
            "Indicator": [h.indicator for h in items],
            "Measure": [h.measure for h in items],
            "Period": [h.period for h in items],
            "Value": [h.value for h in items],
            "Lower 95% limit": [h.lower for h in items],
            "Upper 95% limit": [h.upper for h in items],
            "Detail": [h.detail for h in items],
            "Key message": [h.sentence for h in items],
        },
        schema={
            "Indicator": pl.String,
            "Measure": pl.String,
            "Period": pl.String,
            "Value": pl.Float64,
            "Lower 95% limit": pl.Float64,
            "Upper 95% limit": pl.Float64,
            "Detail": pl.String,
            "Key message": pl.String,
        },
    )
