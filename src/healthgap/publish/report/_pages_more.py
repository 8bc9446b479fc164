"""Pages about the Strategy as a whole: inequality, commitments, methods, downloads."""

from __future__ import annotations

import polars as pl

from healthgap._conventions import polarity_of_direction
from healthgap.catalogue.strategy import Measure
from healthgap.publish.report._charts import fmt
from healthgap.publish.report._data import DECOMPOSITION, ReportData
from healthgap.publish.report._model import Page, Section, plain_table
from healthgap.publish.report._pages import definitions_section, slug
from healthgap.publish.report._special_charts import gap_chart, target_chart


def inequality(data: ReportData) -> Page:
    """The life-expectancy gap decomposed by age and cause: London, and every borough's gap.

    London's charts are here; each borough's are on its profile page, and a table here sets
    every borough's gap and its largest contributions side by side.
    """
    intro = Section("about", "The gap between the most and least deprived")
    intro.paragraphs.append(
        "How many years of the gap in life expectancy between the most and least deprived "
        "within-London deciles come from deaths at each age and from each cause (the "
        "Segment Tool's decomposition). Bars add up to the gap."
    )
    summary = intro.paragraphs[0]
    sections = [intro]
    rows = data.gaps
    if rows.is_empty():
        intro.paragraphs.append("This vintage has no gap decomposition.")
        return Page(
            "inequality", "Inequality in life expectancy", summary, sections, nav="inequality"
        )
    london = rows.filter((pl.col("area_code") == data.london) & pl.col("value").is_not_null())
    if london.height:
        sec = Section("gap-london", f"London, {london['period'][0]}")
        sec.items.append(
            gap_chart(
                "inequality-london",
                "Life expectancy gap, London",
                london.select("category_type", "category", "order", "sex", "period", "value"),
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
    order = {c: n for n, c in enumerate(([data.london] if data.london else []) + data.boroughs)}
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


def _direction(measure: Measure) -> str:
    return polarity_of_direction(measure.target.direction)


def commitments(data: ReportData) -> Page:
    """Progress of each commitment against its target, and the world-city comparison."""
    from healthgap.compare import target_progress, target_trajectory

    measures = [
        m
        for c in data.strategy.commitments
        for m in c.measures
        if m.target.direction != "milestones" and m.id in data.commitment_ids
    ]
    series = data.values.filter(
        pl.col("indicator_id").is_in([m.id for m in measures])
        & (pl.col("area_code") == data.london)
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
    sections.append(_world_cities(data))
    return Page(
        "commitments",
        "Commitments",
        "Progress of the Strategy's key commitments "
        "against their targets, and London beside other world cities.",
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
    ]


def _world_cities(data: ReportData) -> Section:
    from healthgap.compare.world_cities import world_city_comparison

    section = Section("world-cities", "London and other world cities")
    cities = pl.DataFrame([c.model_dump() for c in data.world])
    compared = world_city_comparison(cities)
    section.paragraphs.append(
        "Published figures of other world cities beside London's. Figures are comparable "
        "only when published for the same measure and sex within 3 years of London's; "
        "otherwise the table says why not."
    )
    frame = compared.select(
        pl.col("measure").str.replace("_", " ").alias("Measure"),
        pl.col("sex").alias("Sex"),
        pl.col("city").alias("City"),
        pl.col("area").alias("Area published"),
        pl.col("value").alias("Value"),
        pl.col("period").alias("Period"),
        pl.col("reference_value").alias("London"),
        pl.col("reference_period").alias("London period"),
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


def methods(data: ReportData) -> Page:
    """How values are compared and judged, and every indicator's definition."""
    how = Section("comparisons", "How values are compared")
    method = ""
    if data.latest.height and "comparison_method" in data.latest.columns:
        method = next((m for m in data.latest["comparison_method"].to_list() if m), "")
    how.paragraphs += [
        "Benchmarking: each borough's value is compared with London's for the same period "
        f"and sex ({method or 'benchmark value against the 95% confidence interval'}): "
        "better or worse when London's value lies outside the borough's 95% interval, "
        "similar otherwise; indicators without a polarity are shown as higher or lower.",
        "Recent trends: the chi-squared test for trend on the five most recent single "
        "years (Fingertips' trend markers), significant at 99.8% and robust to leaving out "
        "any one point.",
        "Deprivation: within-London IMD 2019 deciles (1 = most deprived); the slope index "
        "of inequality (SII) is the rise of the population-weighted least-squares line "
        "from the most to the least deprived.",
        "Targets: a straight line fitted to the five most recent years is projected to "
        "the target year with its 95% prediction interval: on track when the projection "
        "meets the target.",
        "Disclosure control: every value shown or offered for download has passed the "
        "indicator's disclosure rule; withheld values are shown as '-' and say why.",
    ]
    sections = [how]
    defs = Section("definitions", "Indicator definitions")
    sections.append(defs)
    ids = [
        *data.order,
        *([DECOMPOSITION] if DECOMPOSITION in data.indicators else []),
        *data.commitment_ids,
    ]
    for i in ids:
        sections.append(definitions_section(data, i, level=3))
    return Page(
        "methods",
        "Methods and definitions",
        "How the report's values are compared and judged, and every indicator's definition.",
        sections,
        nav="methods",
    )


def downloads(data: ReportData, pages: list[Page]) -> Page:
    """Links to every table behind every chart, as CSV and Excel."""
    sections = []
    whole = Section("all-values", "All published values")
    whole.paragraphs.append(
        "Every value of this vintage for London and the boroughs, after disclosure control."
    )
    whole.links = [("downloads/values.csv", "All values (CSV)")]
    sections.append(whole)
    for page in pages:
        tables = page.tables()
        if not tables:
            continue
        sec = Section(f"downloads-{page.slug}", page.title)
        sec.links = [(f"downloads/{page.slug}.xlsx", f"All tables of '{page.title}' (Excel)")]
        sec.links += [(f"downloads/{tid}.csv", f"{title} (CSV)") for tid, title, _ in tables]
        sections.append(sec)
    return Page(
        "downloads",
        "Data downloads",
        "The tables behind every chart and table of the "
        "report, as CSV and Excel, with disclosure control applied.",
        sections,
        nav="downloads",
    )
