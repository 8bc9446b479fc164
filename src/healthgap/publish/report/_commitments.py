"""The commitments page: progress against targets, and world cities."""

from __future__ import annotations

import polars as pl

from healthgap._conventions import polarity_of_direction
from healthgap.catalogue.strategy import Measure
from healthgap.publish.report._data import ReportData
from healthgap.publish.report._labels import slug
from healthgap.publish.report._model import Page, Section, plain_table
from healthgap.publish.report.charts import (
    compact,
    fmt,
    target_chart,
)


def _direction(measure: Measure) -> str:
    return polarity_of_direction(measure.target.direction)


def commitments(data: ReportData) -> Page:
    """Progress of each commitment against its target, and the world-city comparison."""
    assert data.strategy is not None  # the page is built only with a strategy
    from healthgap.compare import target_progress, target_trajectory

    measures = [
        m
        for c in data.strategy.commitments
        for m in c.measures
        if m.target.direction != "milestones" and m.id in data.commitment_ids
    ]
    series = data.values.filter(
        pl.col("indicator_id").is_in([m.id for m in measures])
        & (pl.col("area_code") == data.region)
        & (pl.col("category_type") == "")
        & (pl.col("period_years") == 1)
    )
    targets = pl.DataFrame(
        {
            "indicator_id": [m.id for m in measures],
            "target": [float(m.target.value or 0) for m in measures],
            "target_year": [int(m.target.year or 0) for m in measures],
            "polarity": [_direction(m) for m in measures],
        },
        schema={
            "indicator_id": pl.String,
            "target": pl.Float64,
            "target_year": pl.Int64,
            "polarity": pl.String,
        },
    )
    fit_input = (
        series.select("indicator_id", year=pl.col("period_start").cast(pl.Int64), value="value")
        .drop_nulls("value")
        .join(targets, on="indicator_id")
        .sort("indicator_id", "year")
    )
    progress = paths = None
    if fit_input.height:
        progress = target_progress(
            fit_input,
            "value",
            "year",
            target="target",
            target_year="target_year",
            group_by="indicator_id",
            polarity="polarity",
        )
        paths = target_trajectory(
            fit_input, "value", "year", until="target_year", group_by="indicator_id"
        )
    sections = []
    status_rows = []
    for c in data.strategy.commitments:
        sec = Section(f"commitment-{slug(c.id)}", c.name)
        sec.paragraphs.append(c.description)
        for m in c.measures:
            sec.items += _measure(data, m, fit_input, progress, paths, sec, status_rows)
        sections.append(sec)
    if status_rows:
        summary = Section("summary", "Progress at a glance")
        summary.items.append(
            plain_table(
                "commitments-summary", "Progress against targets", pl.DataFrame(status_rows)
            )
        )
        sections.insert(0, summary)
    summary_text = "Progress of the strategy's key commitments against their targets"
    if data.world:
        sections.append(_world_cities(data))
        summary_text += f", and {data.region_name} beside other world cities"
    return Page(
        "commitments",
        "Commitments",
        summary_text + ".",
        sections,
        nav="commitments",
    )


def _measure(
    data: ReportData,
    m: Measure,
    fit_input: pl.DataFrame,
    progress,
    paths,
    sec: Section,
    status_rows: list[dict],
) -> list:
    if m.target.direction == "milestones":
        sec.paragraphs.append(f"{m.name}: tracked by milestones, not a number.")
        sec.bullets += list(m.target.milestones)
        return []
    for p in m.published:
        sec.paragraphs.append(
            f"Published figure: {fmt(p.value, 0)} {m.unit} ({p.as_of}; {p.source})."
        )
    observed = fit_input.filter(pl.col("indicator_id") == m.id).select("year", "value")
    if observed.is_empty():
        sec.paragraphs.append(f"{m.name}: no values in this vintage.")
        return []
    row = progress.filter(pl.col("indicator_id") == m.id).to_dicts()[0]
    path = paths.filter(pl.col("indicator_id") == m.id).select("year", "fitted", "lower", "upper")
    status = row["status"]
    word = {"Achieved": "Achieved", "On track": "On track", "Off track": "Off track"}.get(
        status, "Cannot say"
    )
    target_text = (
        f"{'at least' if m.target.direction == 'at_least' else 'at most'} "
        f"{fmt(m.target.value, 2)} {m.unit} by {m.target.year}"
    )
    statement = (
        f"{word}: {m.name.lower()} was {fmt(row['value'], 2)} in {row['year']}; "
        f"target {target_text}."
    )
    if row["projected"] is not None:
        statement += (
            f" On the recent trend it would be {fmt(row['projected'], 2)} in "
            f"{m.target.year} (95% prediction interval "
            f"{fmt(row['projected_lower'], 2)} to {fmt(row['projected_upper'], 2)})."
        )
    if row["reason"]:
        statement += f" ({row['reason']}.)"
    sec.paragraphs.append(statement)
    status_rows.append(
        {
            "Measure": m.name,
            "Latest": row["value"],
            "Year": row["year"],
            "Target": m.target.value,
            "Target year": m.target.year,
            "Projected": row["projected"],
            "Status": status,
        }
    )
    return [
        compact(
            target_chart(
                f"commitments-{slug(m.id)}",
                m.name,
                observed,
                path,
                float(m.target.value),
                int(m.target.year),
                m.unit,
                status,
            )
        )
    ]


def _world_cities(data: ReportData) -> Section:
    from healthgap.compare.world_cities import world_city_comparison

    region = data.region_name
    section = Section("world-cities", f"{region} and other world cities")
    cities = pl.DataFrame([c.model_dump() for c in data.world])
    compared = world_city_comparison(cities)
    section.paragraphs.append(
        f"Published figures of other world cities beside {region}'s. Figures are comparable "
        f"only when published for the same measure and sex within 3 years of {region}'s; "
        "otherwise the table says why not."
    )
    frame = compared.select(
        pl.col("measure").str.replace("_", " ").alias("Measure"),
        pl.col("sex").alias("Sex"),
        pl.col("city").alias("City"),
        pl.col("area").alias("Area published"),
        pl.col("value").alias("Value"),
        pl.col("period").alias("Period"),
        pl.col("reference_value").alias(region),
        pl.col("reference_period").alias(f"{region} period"),
        pl.col("difference").alias("Difference"),
        pl.when(pl.col("comparable"))
        .then(pl.lit("Yes"))
        .otherwise(pl.lit("No"))
        .alias("Comparable"),
        pl.concat_str(pl.col("reason"), pl.col("caveat"), separator=" ")
        .str.strip_chars()
        .alias("Why not / caveat"),
    )
    section.items.append(plain_table("commitments-world-cities", "World cities", frame))
    return section
