"""An area's profile table: every indicator's latest value beside its comparators.

Fingertips' area profile as a table: the value, its comparison with the region and the nation
(CI overlap at 95%), its rank among the region's areas and its quintile, and the comparators'
own values. Where no confidence interval is published, rank and quintile say where the value
stands instead of "Not compared".
"""

from __future__ import annotations

import polars as pl

from healthgap.publish.report._comparisons import judgement_columns, judgement_note
from healthgap.publish.report._data import SERIES, ReportData
from healthgap.publish.report._labels import comparison_legend, series_frame, slug, symbol
from healthgap.publish.report._model import Table
from healthgap.publish.report._provenance import sources_note
from healthgap.publish.report.charts import fmt


def profile_rows(data: ReportData) -> pl.DataFrame:
    """The latest judged value of every series in every area, labelled and in order."""
    series = series_frame(data)
    trends = (
        data.trends.select(*SERIES, "area_code", "trend")
        if data.trends.height
        else pl.DataFrame(
            schema={**dict.fromkeys((*SERIES, "area_code"), pl.String), "trend": pl.String}
        )
    )
    return (
        data.latest.filter(pl.col("area_code").is_in(data.boroughs))
        .join(series, on=list(SERIES))
        .join(trends, on=[*SERIES, "area_code"], how="left")
        .sort("area_code", "position")
    )


def judgement_cell(comparison: str | None, value: float | None) -> tuple[str, str]:
    """A table cell: the value with the comparison's symbol, styled by the comparison."""
    from healthgap.publish.report._style import base_label

    word = base_label(comparison)
    text = f"{fmt(value)} {symbol(comparison)}".strip()
    return text, ("" if word == "Not compared" else f"cmp-{slug(word)}")


def standing(row: dict) -> str:
    """Rank and quintile, e.g. "3/33; Best" (the quintile's words without "quintile")."""
    parts = []
    if row.get("rank") is not None:
        parts.append(f"{row['rank']}/{row['n_ranked']}")
    if row.get("quintile_label") and row["quintile_label"] != "Not compared":
        parts.append(row["quintile_label"].removesuffix(" quintile"))
    return "; ".join(parts) or "-"


def profile_table(data: ReportData, table_id: str, name: str, rows: pl.DataFrame) -> Table:
    """One area's profile: value, comparisons, rank, quintile, comparator values, trend."""
    region, nation = data.region_name, data.national_name
    header = ["Indicator", "Period", name, f"vs {region}"]
    if data.national:
        header += [f"vs {nation}"]
    header += ["Rank; quintile", region]
    if data.national:
        header += [nation]
    header += ["Recent trend"]
    shown = []
    for r in rows.iter_rows(named=True):
        region_cell = _word_cell(r["comparison"])
        cells = [(r["label"], ""), (r["period"], ""), (fmt(r["value"]), ""), region_cell]
        if data.national:
            text, css = _word_cell(r["national_comparison"])
            if r.get("disagreement"):
                # the source published its own judgement, and it differs from ours
                text += f" (source: {r['published_comparison']})"
            cells.append((text, css))
        cells += [(standing(r), ""), (fmt(r["region_value"]), "")]
        if data.national:
            cells.append((fmt(r["national_value"]), ""))
        cells.append((r["trend"] or "-", ""))
        shown.append(tuple(cells))
    frame = rows.select(
        pl.col("label").alias("Indicator"),
        pl.col("period").alias("Period"),
        pl.col("value").alias("Value"),
        pl.col("lower95_0cl").alias("Lower 95% limit"),
        pl.col("upper95_0cl").alias("Upper 95% limit"),
        pl.col("comparison").fill_null("Not compared").alias(f"Compared with {region}"),
        *(
            [
                pl.col("national_comparison")
                .fill_null("Not compared")
                .alias(f"Compared with {nation}")
            ]
            if data.national
            else []
        ),
        *judgement_columns(rows, nation),
        pl.col("rank").alias("Rank (1 = best)"),
        pl.col("n_ranked").alias("Areas ranked"),
        pl.col("quintile_label").alias("Quintile"),
        pl.col("quintile_scope").alias("Quintile among"),
        pl.col("region_value").alias(region),
        *([pl.col("national_value").alias(nation)] if data.national else []),
        pl.col("trend").alias("Recent trend"),
    )
    scope = rows["quintile_scope"].drop_nulls()
    among = scope[0] if scope.len() else data.region_name
    return Table(
        table_id,
        f"{name}: latest values and comparisons",
        frame,
        tuple(header),
        tuple(shown),
        note=comparison_legend(data)
        + f" Quintiles among the areas of {among}."
        + judgement_note(rows, nation)
        + " "
        + sources_note(data, rows["indicator_id"].unique().to_list()),
    )


def _word_cell(comparison: str | None) -> tuple[str, str]:
    """A comparison as a cell: its symbol and word, styled ("-" when not compared)."""
    from healthgap.publish.report._style import base_label

    word = base_label(comparison)
    if word == "Not compared":
        return "-", ""
    return f"{symbol(comparison)} {word}", f"cmp-{slug(word)}"
