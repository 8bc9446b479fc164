"""Selections every view shares: comparators, profile areas, series, latest periods, filters."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from healthgap.publish.web._model import (
    Choice,
)
from healthgap.publish.web._published import Published

TOTALS = pl.col("category_type") == ""


def default_comparator(pub: Published) -> str:
    """The region when the store has one, else the country."""
    return "region" if "region" in pub.comparators else next(iter(pub.comparators), "england")


def comparator_choice(pub: Published, comparator: str) -> Choice:
    """The comparator filter (England or the region)."""
    options = [(k, c.name) for k, c in pub.comparators.items()]
    return Choice("comparator", "Compare with", options, comparator)


def profile_areas(pub: Published) -> list[str]:
    """Areas with a profile page: the local authorities (of the region when there is one)."""
    areas = pub.areas.filter(pl.col("area_type").is_in(["la", "county"]))
    region = pub.comparators.get("region")
    if region is not None:
        children = pub.links.filter(pl.col("parent_code") == region.code)["child_code"]
        inside = areas.filter(pl.col("area_code").is_in(children.implode()))
        if inside.height:
            areas = inside
    return areas.sort("area_name", "area_code")["area_code"].to_list()


def breakdown_indicators(pub: Published) -> list[str]:
    """Indicators with values by a breakdown (deprivation, ethnic group, ...) or by sex."""
    out = []
    for indicator_id in pub.indicators:
        frame = pub.values(indicator_id)
        types = set(frame["category_type"].unique().to_list())
        sexes = set(frame["sex"].unique().to_list())
        if types - {""} or {"Male", "Female"} <= sexes:
            out.append(indicator_id)
    return out


def series_label(pub: Published, indicator_id: str, sex: str, age: str) -> str:
    """'Indicator name (Male, 65+ yrs)': sex and age when the indicator has several."""
    meta = pub.indicators[indicator_id]
    extra = [s for s in (sex if len(meta.sex) > 1 or sex != "Persons" else "", age) if s]
    extra = [e for e in extra if e != meta.age or e in ("Male", "Female")]
    return f"{meta.name} ({', '.join(extra)})" if extra else meta.name


def hidden(state: Mapping[str, str], names: tuple[str, ...]) -> dict[str, list[str]]:
    """Filters currently set: rows whose value differs are hidden."""
    return {n: [state[n]] for n in names if state.get(n)}


def totals(pub: Published, indicator_id: str) -> pl.DataFrame:
    frame = pub.judged(indicator_id).filter(TOTALS)
    return frame


def latest_flag(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds ``latest``: the row's period is its series' latest (end year; single years first)."""
    ranked = frame.with_columns(_end=pl.col("period_start") + pl.col("period_years"))
    best = (
        ranked.sort(["_end", "period_years"], descending=[True, False])
        .group_by(["indicator_id", "sex", "age"], maintain_order=True)
        .first()
        .select("indicator_id", "sex", "age", _latest_period="period")
    )
    return (
        ranked.join(best, on=["indicator_id", "sex", "age"], how="left")
        .with_columns(latest=pl.col("period") == pl.col("_latest_period"))
        .drop("_end", "_latest_period")
    )


def period_choice(periods: list[str], value: str) -> Choice:
    options = [("latest", "Latest"), *[(p, p) for p in periods]]
    return Choice("period", "Period", options, value or "latest")


def sex_choice(sexes: list[str], value: str) -> Choice:
    return Choice("sex", "Sex", [("", "All"), *[(s, s) for s in sexes]], value)


def sex_key(sex: str) -> tuple[int, str]:
    return ({"Persons": 0, "Male": 1, "Female": 2}.get(sex, 9), sex)
