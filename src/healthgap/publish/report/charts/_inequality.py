"""Charts of inequality: values by deprivation decile with the SII line, and the gap
decomposed by age and cause (the Segment Tool).
"""

from __future__ import annotations

import functools
from typing import Any

import altair as alt
import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report.charts._base import (
    WIDTH,
    Chart,
    finish,
    fmt,
    records,
    series_colour,
    template,
)
from healthgap.publish.report.charts._base import (
    compact as print_compact,
)


@functools.cache
def _decile_template(unit: str) -> dict[str, Any]:
    colour = series_colour()
    x = alt.X(
        "decile:Q",
        title="Deprivation decile (1 = most deprived)",
        scale=alt.Scale(domain=[0.5, 10.5]),
        axis=alt.Axis(values=list(range(1, 11))),
    )
    base = alt.Chart(alt.NamedData("main"))
    tooltip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("decile:Q", title="Decile"),
        alt.Tooltip("value:Q", title="Value", format=",.2f"),
        alt.Tooltip("lower:Q", title="Lower 95%", format=",.2f"),
        alt.Tooltip("upper:Q", title="Upper 95%", format=",.2f"),
    ]
    return template(
        alt.layer(
            base.mark_rule().encode(x=x, y="lower:Q", y2="upper:Q", color=colour),
            base.mark_point(filled=True, size=50).encode(
                x=x,
                y=alt.Y("value:Q", title=unit or "Value", scale=alt.Scale(zero=False)),
                color=colour,
                shape=alt.Shape("series:N", legend=None),
                tooltip=tooltip,
            ),
            alt.Chart(alt.NamedData("line"))
            .mark_line(strokeDash=[6, 3])
            .encode(x=x, y="fit:Q", color=colour, detail="series:N"),
        ).properties(width=WIDTH, height=240)
    )


def decile_chart(
    chart_id: str,
    title: str,
    rows: pl.DataFrame,
    lines: pl.DataFrame,
    unit: str,
    in_print: bool = True,
    *,
    compact: bool = False,
) -> Chart:
    """Values by deprivation decile (1 = most deprived) with the fitted SII line.

    ``rows``: series, decile, value, lower, upper; ``lines``: series, sii, intercept.
    ``compact``: a smaller chart in the PDF (half a page wide).
    """
    rows = rows.sort("series", "decile")
    fitted = records(lines.sort("series"))
    ends = [
        {"series": r["series"], "decile": d, "fit": r["intercept"] + r["sii"] * rank}
        for r in fitted
        for d, rank in ((0.5, 0.0), (10.5, 1.0))
        if r["sii"] is not None and r["intercept"] is not None
    ]
    parts = [
        f"{r['series']}: slope index of inequality {fmt(r['sii'])}"
        for r in fitted
        if r["sii"] is not None
    ]
    alt_text = f"{title}. Dot chart of values in the 10 deprivation deciles with 95% intervals"
    if parts:
        alt_text += (
            ", and the fitted line whose rise from most to least deprived is the slope "
            "index of inequality (SII). " + "; ".join(parts) + "."
        )
    else:
        alt_text += "; too few deciles have values to fit the slope index of inequality line."
    table = rows.select(
        pl.col("series").alias("Series"),
        pl.col("decile").alias("Decile"),
        pl.col("value").alias("Value"),
        pl.col("lower").alias("Lower 95% limit"),
        pl.col("upper").alias("Upper 95% limit"),
    )
    chart = finish(
        _decile_template(unit),
        chart_id,
        title,
        alt_text,
        table,
        {"main": records(rows), "line": ends},
        in_print,
    )
    return print_compact(chart) if compact else chart


@functools.cache
def _gap_template(kinds: tuple[str, ...]) -> dict[str, Any]:
    colour = alt.Color(
        "sex:N",
        title=None,
        legend=alt.Legend(orient="bottom"),
        scale=alt.Scale(range=list(_style.SERIES_COLOURS)),
    )
    tooltip = [
        alt.Tooltip("category:N", title="Group"),
        alt.Tooltip("sex:N", title="Sex"),
        alt.Tooltip("value:Q", title="Years of the gap", format=",.2f"),
    ]
    panels = [
        alt.Chart(alt.NamedData(f"panel{n}"), title=f"By {kind.lower()}")
        .mark_bar()
        .encode(
            y=alt.Y("category:N", sort=alt.EncodingSortField("order", op="min"), title=None),
            x=alt.X("value:Q", title="Contribution to the gap (years)"),
            yOffset="sex:N",
            color=colour,
            tooltip=tooltip,
        )
        .properties(width=230, height=alt.Step(11))
        for n, kind in enumerate(kinds)
    ]
    return template(alt.hconcat(*panels, spacing=30))


def gap_chart(
    chart_id: str, title: str, rows: pl.DataFrame, in_print: bool = True, *, compact: bool = False
) -> Chart:
    """The Segment Tool's charts: contributions to the gap by age band and by cause.

    ``rows``: category_type ("Age band" / "Cause"), category, order, sex, period, value.
    ``compact``: smaller panels in the PDF (half a page wide).
    """
    sexes = sorted(set(rows["sex"].to_list()))
    kinds = tuple(
        k for k in ("Age band", "Cause") if rows.filter(pl.col("category_type") == k).height
    )
    datasets = {
        f"panel{n}": records(
            rows.filter(pl.col("category_type") == k)
            .sort("order", "sex")
            .select("category", "order", "sex", "value")
        )
        for n, k in enumerate(kinds)
    }
    parts = []
    for sex in sexes:
        s = rows.filter((pl.col("sex") == sex) & (pl.col("category_type") == "Cause"))
        if s.height == 0:
            s = rows.filter(pl.col("sex") == sex)
        top = s.sort("value", descending=True, nulls_last=True).head(2)
        total = s["value"].sum()
        parts.append(
            f"{sex}: gap {fmt(total)} years, largest contributions "
            + " and ".join(f"{r['category']} ({fmt(r['value'])})" for r in records(top))
        )
    alt_text = (
        f"{title}. Bar charts of the years each age band and each cause contribute to "
        "the gap in life expectancy between the most and least deprived. " + "; ".join(parts) + "."
    )
    table = rows.sort("category_type", "order", "sex").select(
        pl.col("category_type").alias("Breakdown"),
        pl.col("category").alias("Group"),
        pl.col("sex").alias("Sex"),
        pl.col("period").alias("Period"),
        pl.col("value").alias("Contribution (years)"),
    )
    chart = finish(_gap_template(kinds), chart_id, title, alt_text, table, datasets, in_print)
    return print_compact(chart) if compact else chart
