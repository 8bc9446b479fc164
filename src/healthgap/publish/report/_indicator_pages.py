"""One page per indicator: map, compare-areas chart, trend, deciles and definition."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report._area_profiles import decile_rows
from healthgap.publish.report._data import ReportData
from healthgap.publish.report._definitions import definitions_section
from healthgap.publish.report._labels import LEGEND, series_label, slug
from healthgap.publish.report._model import Page, Section
from healthgap.publish.report.charts import (
    bar_chart,
    decile_chart,
    fmt,
    map_chart,
    trend_chart,
)

#: The PDF shows fewer charts than the site (WeasyPrint draws each SVG slowly): every section
#: is there, and each says what more the HTML report and the downloads hold.
PRINT_MAP = False
PRINT_TREND = False


def indicator_pages(data: ReportData) -> list[Page]:
    """One page per indicator: map, compare-areas chart, trend, deciles and definitions."""
    pages = []
    latest = data.latest
    yearly = data.values.filter((pl.col("category_type") == "") & (pl.col("period_years") == 1))
    for i in data.order:
        meta = data.meta(i)
        sections = []
        for n, (sex, age) in enumerate(data.series(i)):
            label = series_label(data, i, sex, age)
            rows = latest.filter(
                (pl.col("indicator_id") == i) & (pl.col("sex") == sex) & (pl.col("age") == age)
            )
            period = rows["period"].max()
            bench = rows.filter(pl.col("area_code") == data.london)["value"]
            bench_value = bench[0] if bench.len() else None
            boroughs = rows.filter(pl.col("area_code") != data.london).select(
                "area_code",
                "area_name",
                "value",
                lower="lower95_0cl",
                upper="upper95_0cl",
                comparison=pl.col("comparison").fill_null("Not compared"),
            )
            key = f"indicator-{slug(i)}-{slug(sex)}-{slug(age)}"
            sec = Section(f"series-{n}", f"{label}, {period}")
            sec.paragraphs.append(f"London: {fmt(bench_value)} {meta.unit}. " + LEGEND)
            if not boroughs["value"].is_not_null().any():
                sec.paragraphs.append("No borough has a published value for this period.")
                sections.append(sec)
                continue
            sec.items.append(
                map_chart(
                    f"{key}-map",
                    f"{label}, {period}: map",
                    boroughs,
                    data.geometry,
                    in_print=PRINT_MAP and n == 0,
                )
            )
            sec.items.append(
                bar_chart(
                    f"{key}-bars",
                    f"{label}, {period}: boroughs compared",
                    boroughs,
                    meta.unit,
                    bench_value,
                    in_print=n == 0,
                )
            )
            trend = _trend_rows(data, yearly, i, sex, age, boroughs)
            if trend.height:
                sec.items.append(
                    trend_chart(
                        f"{key}-trend",
                        f"{label}: trend",
                        trend,
                        meta.unit,
                        in_print=PRINT_TREND and n == 0,
                    )
                )
            sections.append(sec)
        sections.append(_london_deciles(data, i))
        sections.append(definitions_section(data, i))
        pages.append(
            Page(
                f"indicator-{slug(i)}",
                meta.name,
                f"{meta.name}: every borough compared with London, trends, "
                "inequality by deprivation and the definition.",
                sections,
                nav="indicators",
            )
        )
    return pages


def _trend_rows(
    data: ReportData, yearly: pl.DataFrame, i: str, sex: str, age: str, boroughs: pl.DataFrame
) -> pl.DataFrame:
    """London and the boroughs with the lowest and highest latest values, over time."""
    ranked = boroughs.drop_nulls("value").sort("value", "area_name")
    chosen = [data.london] if data.london else []
    if ranked.height:
        chosen += [ranked["area_code"][0], ranked["area_code"][-1]]
    rows = yearly.filter(
        (pl.col("indicator_id") == i)
        & (pl.col("sex") == sex)
        & (pl.col("age") == age)
        & pl.col("area_code").is_in(chosen)
    )
    return rows.select(
        series=pl.col("area_code").replace_strict(data.names),
        year="period_start",
        period="period",
        value="value",
        lower="lower95_0cl",
        upper="upper95_0cl",
    )


def _london_deciles(data: ReportData, i: str) -> Section:
    section = Section("deciles", "Inequality by deprivation in London")
    rows = data.deciles.filter((pl.col("indicator_id") == i) & (pl.col("area_code") == data.london))
    if rows.is_empty():
        section.paragraphs.append("No values by deprivation decile for London in this vintage.")
        return section
    lines = data.sii_lines.filter(
        (pl.col("indicator_id") == i) & (pl.col("area_code") == data.london)
    )
    section.paragraphs.append(
        f"Values in London's within-London IMD deciles ({rows['period'][0]}); the dashed "
        "line is the weighted least-squares line whose rise across the deciles is the "
        "slope index of inequality."
    )
    section.items.append(
        decile_chart(
            f"indicator-{slug(i)}-deciles",
            f"{data.meta(i).name} by deprivation decile, London",
            decile_rows(rows),
            lines.select(series="sex", sii="sii", intercept="intercept"),
            data.meta(i).unit,
        )
    )
    return section
