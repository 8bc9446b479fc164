"""Commitments, world cities, definitions and downloads."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from healthgap.publish.web._model import (
    Cell,
    Row,
    Section,
    Table,
    View,
    fmt,
)
from healthgap.publish.web._published import Published
from healthgap.publish.web._selection import (
    TOTALS,
    comparator_choice,
)


def _targets(pub: Published, code: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Observed yearly values of every numeric commitment measure, its progress and path."""
    from healthgap.compare import target_progress, target_trajectory

    measures = [
        m
        for c in pub.strategy.commitments
        for m in c.measures
        if m.target.direction != "milestones" and m.id in pub.indicators
    ]
    targets = pl.DataFrame(
        {
            "indicator_id": [m.id for m in measures],
            "target": [float(m.target.value or 0) for m in measures],
            "target_year": [int(m.target.year or 0) for m in measures],
            "polarity": [
                "high_is_good" if m.target.direction == "at_least" else "low_is_good"
                for m in measures
            ],
        },
        schema={
            "indicator_id": pl.String,
            "target": pl.Float64,
            "target_year": pl.Int64,
            "polarity": pl.String,
        },
    )
    frames = [
        pub.values(m.id).filter(
            TOTALS & (pl.col("area_code") == code) & (pl.col("period_years") == 1)
        )
        for m in measures
    ]
    observed = (
        pl.concat(frames, how="diagonal_relaxed")
        .select("indicator_id", year=pl.col("period_start").cast(pl.Int64), value="value")
        .drop_nulls("value")
        .join(targets, on="indicator_id")
        .sort("indicator_id", "year")
        if frames
        else pl.DataFrame()
    )
    if observed.is_empty():
        return observed, pl.DataFrame(), pl.DataFrame()
    progress = target_progress(
        observed,
        "value",
        "year",
        target="target",
        target_year="target_year",
        group_by="indicator_id",
        polarity="polarity",
    )
    paths = target_trajectory(
        observed, "value", "year", until="target_year", group_by="indicator_id"
    )
    return observed, progress, paths


def commitments(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """The strategy's commitments: each measure against its target, with its trajectory."""
    from healthgap.publish.report.charts import target_chart

    bench = pub.comparators[comparator]
    observed, progress, paths = _targets(pub, bench.code)
    sections, rows, flat = [], [], []
    for commitment in pub.strategy.commitments:
        items: list = []
        paragraphs = [commitment.description]
        for measure in commitment.measures:
            target = measure.target
            if target.direction == "milestones":
                paragraphs.append(f"{measure.name}: milestones: " + "; ".join(target.milestones))
                continue
            mine = (
                observed.filter(pl.col("indicator_id") == measure.id)
                if observed.height
                else observed
            )
            if mine.is_empty():
                paragraphs.append(f"{measure.name}: no published values for {bench.name} yet.")
                continue
            row = progress.filter(pl.col("indicator_id") == measure.id).to_dicts()[0]
            path = paths.filter(pl.col("indicator_id") == measure.id).select(
                "year", "fitted", "lower", "upper"
            )
            words = "at least" if target.direction == "at_least" else "at most"
            paragraphs.append(
                f"{measure.name}: {row['status']}. {fmt(row['value'], 2)} in {row['year']}; "
                f"target {words} {fmt(target.value, 2)} {measure.unit} by {target.year}"
                + (
                    f"; projected {fmt(row['projected'], 2)} "
                    f"(95% prediction interval {fmt(row['projected_lower'], 2)} to "
                    f"{fmt(row['projected_upper'], 2)})."
                    if row["projected"] is not None
                    else "."
                )
            )
            items.append(
                target_chart(
                    f"commitment-{measure.id}",
                    f"{measure.name}, {bench.name}",
                    mine.select("year", "value"),
                    path,
                    float(target.value),
                    int(target.year),
                    measure.unit,
                    row["status"],
                )
            )
            rows.append(
                Row(
                    [
                        Cell(measure.name),
                        Cell(fmt(row["value"], 2)),
                        Cell(str(row["year"])),
                        Cell(fmt(target.value, 2)),
                        Cell(str(target.year)),
                        Cell(fmt(row["projected"], 2)),
                        Cell(row["status"]),
                    ]
                )
            )
            flat.append(
                {
                    "measure_id": measure.id,
                    "measure": measure.name,
                    "latest": row["value"],
                    "year": row["year"],
                    "target": target.value,
                    "target_year": target.year,
                    "projected": row["projected"],
                    "status": row["status"],
                }
            )
        sections.append(Section(commitment.id, commitment.name, paragraphs, items))
    if rows:
        table = Table(
            "commitments",
            f"Progress against targets, {bench.name}",
            ["Measure", "Latest", "Year", "Target", "Target year", "Projected", "Status"],
            rows,
            pl.DataFrame(flat, infer_schema_length=None),
        )
        sections.insert(0, Section("summary", "Progress at a glance", items=[table]))
    return View(
        "commitments",
        "Commitments",
        f"{pub.strategy.name}: each commitment against its target, projected on its recent trend.",
        "commitments",
        [comparator_choice(pub, comparator)],
        sections,
    )


def world(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """The city beside other world cities (published figures, comparable or not)."""
    from healthgap.compare import world_city_comparison

    if not pub.world_cities:
        return View(
            "world",
            "World cities",
            "No other cities' figures are published with these indicators.",
            "world",
            [],
            [Section("cities", "Published figures", ["No world-city figures were given."])],
        )
    cities = pl.DataFrame([c.model_dump() for c in pub.world_cities])
    out = world_city_comparison(cities)
    rows = [
        Row(
            [
                Cell(r["city"]),
                Cell(r["measure"].replace("_", " ")),
                Cell(r["sex"]),
                Cell(r["period"]),
                Cell(fmt(r["value"])),
                Cell(fmt(r["reference_value"])),
                Cell(fmt(r["difference"])),
                Cell("Yes" if r["comparable"] else f"No: {r['reason']}"),
                Cell(r["caveat"] or ""),
            ]
        )
        for r in out.iter_rows(named=True)
    ]
    table = Table(
        "world-cities",
        "World cities beside the reference city",
        [
            "City",
            "Measure",
            "Sex",
            "Period",
            "Value",
            "Reference city",
            "Difference",
            "Comparable",
            "Caveat",
        ],
        rows,
        out,
    )
    return View(
        "world",
        "World cities",
        "The reference city's life expectancy and infant mortality beside other world cities' "
        "published figures.",
        "world",
        [],
        [Section("cities", "Published figures", items=[table])],
    )


def definitions(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Every indicator's definition, method and source, and the vintages published."""
    sections = []
    for indicator_id, meta in pub.indicators.items():
        paragraphs = [p for p in (meta.definition, meta.rationale) if p]
        facts = [
            ("Statistic", meta.statistic),
            ("Unit", meta.unit),
            ("Method", meta.method),
            ("Confidence intervals", meta.ci_method),
            ("Numerator", meta.numerator_definition),
            ("Denominator", meta.denominator_definition),
            ("Source", meta.data_source),
            ("Disclosure control", meta.disclosure.note),
            ("Caveats", meta.caveats),
            ("Licence", meta.licence),
            ("Vintage", pub.vintage_of[indicator_id]),
        ]
        paragraphs += [f"{k}: {v}" for k, v in facts if v]
        sections.append(Section(f"def-{indicator_id}", meta.name, paragraphs))
    vintages = [
        f"{r['id']}: {r['label'] or r['source']} "
        f"(created {r['created_at']}, code {r['code_version']})"
        for r in pub.vintages
    ]
    sections.insert(0, Section("vintages", "Vintages published", vintages))
    return View(
        "definitions",
        "Definitions and sources",
        "What each indicator measures, how, and from which data.",
        "definitions",
        [],
        sections,
    )


def downloads(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Every download: each indicator's published values, and the API."""
    links = [
        (f"data/values-{i}.csv", f"{m.name}: every published value (CSV)")
        for i, m in pub.indicators.items()
    ]
    api = [("api/docs", "API v1 and the Fingertips-compatible API (OpenAPI)")]
    return View(
        "downloads",
        "Downloads",
        "Published values (disclosure control applied) and the tables of every page.",
        "downloads",
        [],
        [
            Section("values", "Values by indicator", links=links),
            Section(
                "api",
                "API",
                ["Each page's tables download from the page; the API serves the same rows."],
                links=api,
            ),
        ],
    )
