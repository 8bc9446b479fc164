"""The indicator view: map on the boundaries, ordered bars with intervals, trend, table."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from healthgap.errors import InputError
from healthgap.publish.report.charts import bar_chart, map_chart, trend_chart
from healthgap.publish.web._model import (
    Cell,
    Choice,
    Row,
    Section,
    Table,
    View,
    comparison_cell,
    fmt,
)
from healthgap.publish.web._published import Published
from healthgap.publish.web._selection import (
    breakdown_indicators,
    comparator_choice,
    latest_flag,
    period_choice,
    profile_areas,
    sex_choice,
    totals,
)


def indicator_choice(pub: Published, indicator_id: str, prefix: str = "indicator") -> Choice:
    ids = list(pub.indicators) if prefix == "indicator" else breakdown_indicators(pub)
    return Choice(
        "indicator",
        "Indicator",
        [(i, pub.indicators[i].name) for i in ids],
        indicator_id,
        navigates=True,
        hrefs={i: f"{prefix}-{i}.html" for i in ids},
    )


def _shown(values: pl.DataFrame, sex: str, areas: list[str]) -> pl.DataFrame:
    return values.filter((pl.col("sex") == sex) & pl.col("area_code").is_in(areas))


def periods_by_sex(pub: Published, values: pl.DataFrame) -> dict[str, list[str]]:
    """The periods the view offers for each sex (latest first): the period filter's options."""
    areas = profile_areas(pub)
    return {sex: pub.periods(_shown(values, sex, areas)) for sex in pub.sexes(values)}


def indicator_values(pub: Published, indicator_id: str) -> pl.DataFrame:
    """The indicator's judged totals, each flagged ``latest`` in its series."""
    return latest_flag(totals(pub, indicator_id))


def chart_sections(
    pub: Published,
    indicator_id: str,
    values: pl.DataFrame,
    sex: str,
    period: str,
    comparator: str,
) -> list[Section]:
    """The map and ordered bars of one sex and period ("latest" or a period), and the trend.

    ``values`` is :func:`indicator_values`; ``sex`` and ``period`` are valid (checked by the
    caller). The static site calls this for every sex and period the view offers.
    """
    meta = pub.indicators[indicator_id]
    bench = pub.comparators[comparator]
    shown = _shown(values, sex, profile_areas(pub))
    periods = pub.periods(shown)
    chosen = periods[0] if period == "latest" and periods else period
    latest = shown.filter(pl.col("period") == chosen)
    ages = latest["age"].unique().sort().to_list()
    if len(ages) > 1:
        latest = latest.filter(pl.col("age") == ages[0])
    cmp = f"compared_{comparator}"
    sections = []
    if latest.height:
        bars_in = latest.select(
            "area_code",
            "area_name",
            "value",
            lower="lower95_0cl",
            upper="upper95_0cl",
            comparison=pl.col(cmp).fill_null("Not compared"),
        )
        geometry = _geometry(pub, bars_in["area_code"].to_list(), pub.vintage_of[indicator_id])
        title = f"{meta.name}, {sex}, {chosen}"
        bench_value = latest[f"{comparator}_value"].drop_nulls()
        charts = [
            map_chart(f"map-{indicator_id}", f"Map: {title}", bars_in, geometry, versus=bench.name),
            bar_chart(
                f"bars-{indicator_id}",
                f"Areas ordered by value: {title}",
                bars_in,
                meta.unit,
                bench_value[0] if bench_value.len() else None,
                versus=bench.name,
            ),
        ]
        sections.append(Section("map", f"Compared with {bench.name}", items=charts))
    trend_codes = [c.code for c in pub.comparators.values()]
    trend = values.filter((pl.col("sex") == sex) & pl.col("area_code").is_in(trend_codes)).select(
        series="area_name",
        year=pl.col("period_start") + pl.col("period_years") - 1,
        period="period",
        value="value",
        lower="lower95_0cl",
        upper="upper95_0cl",
    )
    if trend.height:
        sections.append(
            Section(
                "trend",
                "Trend",
                items=[
                    trend_chart(f"trend-{indicator_id}", f"{meta.name}, {sex}", trend, meta.unit)
                ],
            )
        )
    return sections


def indicator_view(
    pub: Published, indicator_id: str, state: Mapping[str, str], comparator: str
) -> View:
    """An indicator: map on the boundaries, ordered bars with intervals, trend, table."""
    meta = pub.indicators[indicator_id]
    bench = pub.comparators[comparator]
    values = indicator_values(pub, indicator_id)
    areas = profile_areas(pub)
    sexes = pub.sexes(values)
    sex = state.get("sex") or (sexes[0] if sexes else "Persons")
    if sexes and sex not in sexes:
        raise InputError(f"parameter 'sex' must be one of {sexes}; got {sex!r}")
    periods = pub.periods(_shown(values, sex, areas))
    period = state.get("period") or "latest"
    if period != "latest" and period not in periods:
        raise InputError(f"parameter 'period' must be 'latest' or one of {periods}; got {period!r}")
    cmp = f"compared_{comparator}"
    sections = chart_sections(pub, indicator_id, values, sex, period, comparator)
    trend_codes = [c.code for c in pub.comparators.values()]
    table_frame = values.filter(pl.col("area_code").is_in([*trend_codes, *areas])).sort(
        "area_name", "sex", "period_start", "period"
    )
    rows = [
        Row(
            [
                Cell(
                    r["area_name"] or r["area_code"],
                    href=f"area-{r['area_code']}.html" if r["area_code"] in areas else "",
                ),
                Cell(r["sex"]),
                Cell(r["period"]),
                comparison_cell(r["value"], r[cmp]),
                Cell(fmt(r["lower95_0cl"])),
                Cell(fmt(r["upper95_0cl"])),
                Cell(fmt(r["count"], 0)),
                Cell(fmt(r["denominator"], 0)),
                Cell(r[cmp] or "Not compared"),
                Cell(r["recent_trend"] or ""),
                Cell(r["value_note"] or ""),
            ],
            {"sex": r["sex"], "period": ("latest " if r["latest"] else "") + r["period"]},
        )
        for r in table_frame.iter_rows(named=True)
    ]
    frame = table_frame.select(
        "indicator_id",
        "area_code",
        "area_name",
        "sex",
        "age",
        "period",
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "count",
        "denominator",
        "value_note",
        *[f"compared_{k}" for k in pub.comparators],
        "recent_trend",
    )
    header = [
        "Area",
        "Sex",
        "Period",
        "Value",
        "Lower 95% limit",
        "Upper 95% limit",
        "Count",
        "Denominator",
        f"Compared with {bench.name}",
        "Recent trend",
        "Note",
    ]
    sections.append(
        Section(
            "values",
            "Values",
            items=[
                Table(
                    f"values-{indicator_id}",
                    f"{meta.name}: every published value",
                    header,
                    rows,
                    frame,
                )
            ],
        )
    )
    sections.append(
        Section(
            "definition",
            "Definition",
            [
                meta.definition or meta.name,
                meta.statistic,
                f"Source: {meta.data_source}" if meta.data_source else "",
            ],
        )
    )
    shown_rows = {"sex": [sex], "period": [period]}
    return View(
        f"indicator-{indicator_id}",
        meta.name,
        f"{meta.name} ({meta.unit or meta.statistic or 'value'}) for every area, "
        f"compared with {bench.name}.",
        "indicator",
        [
            indicator_choice(pub, indicator_id),
            sex_choice(sexes, sex),
            period_choice(periods, period),
            comparator_choice(pub, comparator),
        ],
        sections,
        shown_rows,
        filters=("sex", "period"),
        chart_filters=("sex", "period"),
    )


def _geometry(pub: Published, codes: list[str], vintage: str) -> dict[str, str]:
    """The areas' boundaries as the indicator's vintage was published with them."""
    table = pub.store().geometry(codes, vintage=vintage)
    return dict(zip(table["area_code"].to_pylist(), table["geometry"].to_pylist(), strict=True))
