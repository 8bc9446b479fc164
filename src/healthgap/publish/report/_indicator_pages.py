"""One page per indicator: map, compare-areas chart, trend, deciles and definition."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report._area_profiles import decile_rows
from healthgap.publish.report._data import ReportData
from healthgap.publish.report._definitions import definitions_section
from healthgap.publish.report._labels import comparison_legend, series_label, slug
from healthgap.publish.report._model import Page, Section
from healthgap.publish.report._provenance import source_note
from healthgap.publish.report.charts import (
    bar_chart,
    can_map,
    compact,
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
    region = data.region_name
    for i in data.order:
        meta = data.meta(i)
        sections = []
        for n, (sex, age) in enumerate(data.series(i)):
            label = series_label(data, i, sex, age)
            rows = latest.filter(
                (pl.col("indicator_id") == i) & (pl.col("sex") == sex) & (pl.col("age") == age)
            )
            period = rows["period"].max()
            bench = rows.filter(pl.col("area_code") == data.region)["value"]
            bench_value = bench[0] if bench.len() else None
            boroughs = rows.filter(pl.col("area_code").is_in(data.boroughs)).select(
                "area_code",
                "area_name",
                "value",
                lower="lower95_0cl",
                upper="upper95_0cl",
                comparison=pl.col("comparison").fill_null("Not compared"),
                national_comparison=pl.col("national_comparison").fill_null("Not compared"),
                rank="rank",
                quintile=pl.col("quintile_label"),
            )
            key = f"indicator-{slug(i)}-{slug(sex)}-{slug(age)}"
            sec = Section(f"series-{n}", f"{label}, {period}")
            said = f"{region}: {fmt(bench_value)} {meta.unit}"
            national = rows.filter(
                pl.col("area_code").is_in([data.national] if data.national else [])
            )["value"]
            if data.national and national.len():
                said += f"; {data.national_name}: {fmt(national[0])} {meta.unit}"
            sec.paragraphs.append(f"{said}. " + comparison_legend(data))
            if boroughs["lower"].is_null().all():
                sec.paragraphs.append(
                    "No confidence intervals are published for this series: each area's "
                    "rank (1 = best) and quintile are in the chart's data table."
                )
            if not boroughs["value"].is_not_null().any():
                sec.paragraphs.append("No area has a published value for this period.")
                sections.append(sec)
                continue
            codes = boroughs["area_code"].to_list()
            if can_map(codes, data.geometry, data.tiles):
                sec.items.append(
                    map_chart(
                        f"{key}-map",
                        f"{label}, {period}: map",
                        boroughs,
                        data.geometry,
                        in_print=PRINT_MAP and n == 0,
                        versus=region,
                        tiles=data.tiles,
                    )
                )
            sec.items.append(
                compact(
                    bar_chart(
                        f"{key}-bars",
                        f"{label}, {period}: areas compared with {region}",
                        boroughs,
                        meta.unit,
                        bench_value,
                        in_print=n == 0,
                        versus=region,
                        national=data.national_name,
                    )
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
        sections.append(_region_deciles(data, i))
        definition = definitions_section(data, i)
        definition.in_print = False  # the PDF's methods chapter holds every definition
        sections.append(definition)
        pages.append(
            Page(
                f"indicator-{slug(i)}",
                meta.name,
                f"{meta.name}: every area compared with {region}, trends, "
                f"inequality by deprivation and the definition. {source_note(data, i)}",
                sections,
                nav="indicators",
                kind="flow",
                # the PDF is the publication (key messages, the rug, the profiles); each
                # indicator's charts are in the HTML report
                in_print=False,
            )
        )
    return pages


def _trend_rows(
    data: ReportData, yearly: pl.DataFrame, i: str, sex: str, age: str, boroughs: pl.DataFrame
) -> pl.DataFrame:
    """The region and the areas with the lowest and highest latest values, over time."""
    ranked = boroughs.drop_nulls("value").sort("value", "area_name")
    chosen = [data.region] if data.region else []
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


def _region_deciles(data: ReportData, i: str) -> Section:
    region = data.region_name
    section = Section("deciles", f"Inequality by deprivation in {region}")
    rows = data.deciles.filter((pl.col("indicator_id") == i) & (pl.col("area_code") == data.region))
    if rows.is_empty():
        section.paragraphs.append(f"No values by deprivation decile for {region}.")
        return section
    lines = data.sii_lines.filter(
        (pl.col("indicator_id") == i) & (pl.col("area_code") == data.region)
    )
    section.paragraphs.append(
        f"Values in {region}'s deprivation deciles ({rows['category_type'][0]}, "
        f"{rows['period'][0]})"
        + (
            "; the dashed line is the weighted least-squares line whose rise across the "
            "deciles is the slope index of inequality."
            if lines.height
            else "; too few deciles have values to fit a slope index of inequality line."
        )
    )
    section.items.append(
        decile_chart(
            f"indicator-{slug(i)}-deciles",
            f"{data.meta(i).name} by deprivation decile, {region}",
            decile_rows(rows),
            lines.select(series="sex", sii="sii", intercept="intercept"),
            data.meta(i).unit,
            compact=True,
        )
    )
    return section
