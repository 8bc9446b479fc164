"""The inequality page: the life-expectancy gap decomposed by age and cause."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report._data import ReportData
from healthgap.publish.report._model import Page, Section, plain_table
from healthgap.publish.report.charts import (
    gap_chart,
)


def inequality(data: ReportData) -> Page:
    """The life-expectancy gap decomposed by age and cause: the region, and every area's gap.

    The region's charts are here; each borough's are on its profile page, and a table here sets
    every borough's gap and its largest contributions side by side.
    """
    intro = Section("about", "The gap between the most and least deprived")
    intro.paragraphs.append(
        "How many years of the gap in life expectancy between the most and least deprived "
        "deprivation deciles come from deaths at each age and from each cause (the "
        "Segment Tool's decomposition). Bars add up to the gap."
    )
    summary = intro.paragraphs[0]
    sections = [intro]
    rows = data.gaps
    if rows.is_empty():
        intro.paragraphs.append("These vintages hold no gap decomposition.")
        return Page(
            "inequality", "Inequality in life expectancy", summary, sections, nav="inequality"
        )
    region = rows.filter((pl.col("area_code") == data.region) & pl.col("value").is_not_null())
    if region.height:
        sec = Section("gap-region", f"{data.region_name}, {region['period'][0]}")
        sec.items.append(
            gap_chart(
                "inequality-region",
                f"Life expectancy gap, {data.region_name}",
                region.select("category_type", "category", "order", "sex", "period", "value"),
            )
        )
        sections.append(sec)
    table = _gap_table(data, rows)
    if table.height:
        sec = Section("gap-boroughs", "The gap in each borough")
        sec.paragraphs.append(
            "Each borough's gap and its largest contributions by age and "
            "by cause; the charts are on each borough's profile page."
        )
        sec.items.append(
            plain_table("inequality-boroughs", "Life expectancy gap by borough", table)
        )
        sec.links = [
            (f"borough-{c.lower()}.html#gap", f"{data.names[c]}: gap by age and cause")
            for c in data.boroughs
            if c in set(rows.drop_nulls("value")["area_code"].to_list())
        ]
        sections.append(sec)
    return Page("inequality", "Inequality in life expectancy", summary, sections, nav="inequality")


def _gap_table(data: ReportData, rows: pl.DataFrame) -> pl.DataFrame:
    """Per area and sex: the gap (sum over causes) and the largest age and cause parts."""

    def largest(kind: str, name: str) -> pl.DataFrame:
        part = rows.filter(pl.col("category_type") == kind)
        return (
            part.sort("value", "category", descending=[True, False], nulls_last=True)
            .group_by("area_code", "sex", maintain_order=True)
            .agg(
                pl.col("category").first().alias(name),
                pl.col("value").first().alias(f"{name} (years)"),
                pl.when(pl.col("value").is_not_null().any())
                .then(pl.col("value").sum())
                .alias(f"_total_{kind}"),
            )
        )

    causes = largest("Cause", "Largest cause")
    ages = largest("Age band", "Largest age band")
    table = ages.join(causes, on=["area_code", "sex"], how="full", coalesce=True)
    total = pl.coalesce(pl.col("_total_Cause"), pl.col("_total_Age band"))
    order = {c: n for n, c in enumerate(([data.region] if data.region else []) + data.boroughs)}
    return (
        table.with_columns(
            _rank=pl.col("area_code").replace_strict(order, default=len(order)),
            Area=pl.col("area_code").replace_strict(data.names, default=None),
            Gap=total,
        )
        .sort("_rank", "sex")
        .select(
            "Area",
            pl.col("sex").alias("Sex"),
            pl.col("Gap").alias("Gap (years)"),
            *[c for c in table.columns if c.startswith("Largest")],
        )
    )
