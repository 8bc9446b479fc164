"""Commitments, world cities, definitions and downloads."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from healthgap.publish.report._charts import trend_chart
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


def commitments(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """The strategy's commitments: each measure's values over time against its target."""
    bench = pub.comparators[comparator]
    sections = []
    for commitment in pub.strategy.commitments:
        items: list = []
        paragraphs = [commitment.description]
        for measure in commitment.measures:
            target = measure.target
            aim = (
                f"Target: {target.direction.replace('_', ' ')} {fmt(target.value, 2)} "
                f"by {target.year}."
                if target.value is not None
                else "Milestones: " + "; ".join(target.milestones)
            )
            paragraphs.append(f"{measure.name}. {aim}")
            if measure.id not in pub.indicators:
                paragraphs.append(f"{measure.name}: no published values yet.")
                continue
            series = pub.values(measure.id).filter(TOTALS & (pl.col("area_code") == bench.code))
            if series.is_empty():
                continue
            trend = series.select(
                series=pl.lit(measure.name),
                year=pl.col("period_start") + pl.col("period_years") - 1,
                period="period",
                value="value",
                lower="lower95_0cl",
                upper="upper95_0cl",
            )
            items.append(
                trend_chart(
                    f"commitment-{measure.id}", f"{measure.name}, {bench.name}", trend, measure.unit
                )
            )
        sections.append(Section(commitment.id, commitment.name, paragraphs, items))
    return View(
        "commitments",
        "Commitments",
        f"{pub.strategy.name}: commitments and their progress.",
        "commitments",
        [comparator_choice(pub, comparator)],
        sections,
    )


def world(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """London beside other world cities (published figures, comparable or not)."""
    from healthgap.catalogue.strategy import load_world_cities
    from healthgap.compare import world_city_comparison

    cities = pl.DataFrame([c.model_dump() for c in load_world_cities()])
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
        "World cities beside London",
        [
            "City",
            "Measure",
            "Sex",
            "Period",
            "Value",
            "London",
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
        "London's life expectancy and infant mortality beside other world cities' "
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
