"""The overview page: headline gaps and the tartan rug of every indicator in every area."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report._comparisons import judgement_columns, judgement_note
from healthgap.publish.report._data import SERIES, ReportData
from healthgap.publish.report._headlines import headline_frame, headlines, is_gap_indicator
from healthgap.publish.report._labels import comparison_legend, series_frame, slug
from healthgap.publish.report._model import Page, Section, Table, plain_table
from healthgap.publish.report._profile import judgement_cell
from healthgap.publish.report._provenance import sources_note
from healthgap.publish.report.charts import (
    compact,
    fmt,
    trend_chart,
)

#: series per table of the printed tartan rug (landscape A4 at 6.5pt)
RUG_COLUMNS = 9


def _region_trend(data: ReportData, ids: list[str]) -> pl.DataFrame:
    rows = data.values.filter(
        pl.col("indicator_id").is_in(ids)
        & (pl.col("area_code") == data.region)
        & (pl.col("category_type") == "")
    )
    # one period length per indicator: single years where there are any
    shortest = rows.group_by("indicator_id").agg(pl.col("period_years").min().alias("_len"))
    rows = rows.join(shortest, on="indicator_id").filter(pl.col("period_years") == pl.col("_len"))
    names = {i: data.meta(i).name for i in ids}
    several = rows.select("indicator_id", "sex").unique().height > len(ids)
    return rows.select(
        series=pl.col("indicator_id").replace_strict(names)
        + (pl.lit(" (") + pl.col("sex") + pl.lit(")") if several else pl.lit("")),
        year=pl.col("period_start") + pl.col("period_years") - 1,
        period="period",
        value="value",
        lower="lower95_0cl",
        upper="upper95_0cl",
    )


def overview(data: ReportData) -> Page:
    """The overview: key messages, headline gaps with their trends, and the tartan rug."""
    region = data.region_name
    head = Section("headline-gaps", "Headline gaps")
    items = headlines(data)
    if items:
        head.paragraphs.append(
            "Key messages, each written from the numbers in the headline table below "
            "(comparisons by the overlap of 95% confidence intervals)."
        )
        head.bullets = [h.sentence for h in items]
        head.items.append(
            plain_table("overview-headlines", "Headline figures", headline_frame(items))
        )
    else:
        head.paragraphs.append(
            "These vintages hold no inequality measure and too few areas' values for a "
            "headline gap."
        )
    gap_ids = [i for i in data.order if is_gap_indicator(data, i)]
    for i in gap_ids:
        rows = _region_trend(data, [i])
        if rows.select("year").unique().height > 1:
            head.items.append(
                compact(
                    trend_chart(
                        f"overview-{slug(i)}",
                        f"{data.meta(i).name}, {region}",
                        rows,
                        data.meta(i).unit,
                    )
                )
            )
    rug = Section("tartan-rug", "Every indicator in every area")
    versus = data.national_name or region
    rug.paragraphs += [
        f"Latest value of each indicator in {region} and each of its areas, compared with "
        f"{versus}. " + comparison_legend(data),
        "Each column is one indicator (its period below its name); each row one area. "
        "Q1 to Q5 mark the quintile (Q1 = lowest values) where no interval is published.",
    ]
    for n, (domain, ids) in enumerate(data.domains()):
        rug.items += _rug(data, domain, ids, n)
    boroughs = Section("boroughs", "Area profiles", in_print=False)
    boroughs.links = [(f"borough-{c.lower()}.html", data.names[c]) for c in data.boroughs]
    indicators = Section("indicators", "Indicators", in_print=False)
    indicators.links = [(f"indicator-{slug(i)}.html", data.meta(i).name) for i in data.order]
    return Page(
        "index",
        "Overview",
        "Key messages, headline gaps and every indicator in every area.",
        [head, rug, boroughs, indicators],
        nav="index",
    )


def _cell(row: dict | None, judged_by: str, is_comparator: bool) -> tuple[str, str]:
    if row is None or row["value"] is None:
        return ("-", "")
    if is_comparator:
        return (fmt(row["value"]), "")
    comparison = row[judged_by]
    word = _style.base_label(comparison)
    if word == "Not compared" and row.get("quintile") is not None:
        return (f"{fmt(row['value'])} Q{row['quintile']}", "")
    text, css = judgement_cell(comparison, row["value"])
    return text, css


def _rug(data: ReportData, domain: str, ids: list[str], n: int) -> list[Table]:
    """The domain's tartan rug, in tables of at most RUG_COLUMNS series."""
    series = series_frame(data).filter(pl.col("indicator_id").is_in(ids)).sort("position")
    latest = data.latest.join(series, on=list(SERIES))
    judged_by = "national_comparison" if data.national else "comparison"
    comparators = [c for c in (data.national, data.region) if c]
    areas = comparators + data.boroughs
    periods = dict(latest.group_by("position").agg(pl.col("period").max()).iter_rows())
    cell = {(r["area_code"], r["position"]): r for r in latest.iter_rows(named=True)}
    versus = data.national_name or data.region_name
    tables = []
    positions = series["position"].to_list()
    labels = dict(zip(series["position"], series["label"], strict=True))
    chunks = [positions[k : k + RUG_COLUMNS] for k in range(0, len(positions), RUG_COLUMNS)]
    for part, chunk in enumerate(chunks, start=1):
        header = ["Area"] + [f"{labels[p]} ({periods.get(p, '-')})" for p in chunk]
        rows = []
        for code in areas:
            cells = [(data.names.get(code, code), "")]
            cells += [_cell(cell.get((code, p)), judged_by, code in comparators) for p in chunk]
            rows.append(tuple(cells))
        frame = (
            latest.filter(pl.col("position").is_in(chunk))
            .sort("position", "area_code")
            .select(
                pl.col("label").alias("Indicator"),
                pl.col("period").alias("Period"),
                pl.col("area_code").alias("Area code"),
                pl.col("area_name").alias("Area"),
                pl.col("value").alias("Value"),
                pl.col("lower95_0cl").alias("Lower 95% limit"),
                pl.col("upper95_0cl").alias("Upper 95% limit"),
                pl.col("count").alias("Count"),
                pl.col("comparison").alias(f"Compared with {data.region_name}"),
                *(
                    [pl.col("national_comparison").alias(f"Compared with {data.national_name}")]
                    if data.national
                    else []
                ),
                *judgement_columns(latest, data.national_name or "the nation"),
                pl.col("rank").alias("Rank (1 = best)"),
                pl.col("quintile_label").alias("Quintile"),
                pl.col("quintile_scope").alias("Quintile among"),
                pl.col("vintage_id").alias("Vintage"),
            )
        )
        suffix = f" ({part} of {len(chunks)})" if len(chunks) > 1 else ""
        tables.append(
            Table(
                f"overview-rug-{n + 1}-{part}",
                f"{domain}{suffix}: latest values compared with {versus}",
                frame,
                tuple(header),
                tuple(rows),
                note=sources_note(data, ids)
                + judgement_note(
                    latest.filter(pl.col("position").is_in(chunk)),
                    data.national_name or "the nation",
                ),
                landscape=True,
            )
        )
    return tables
