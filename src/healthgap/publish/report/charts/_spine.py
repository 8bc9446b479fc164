"""Fingertips' spine chart: one area against the range of its peers, indicator by indicator."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from typing import Any

import altair as alt
import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report.charts._base import (
    Chart,
    comparison_scales,
    finish,
    judged,
    records,
    template,
)


@functools.cache
def _spine_template(judged: bool, versus: str, label: str = "axis_label") -> dict[str, Any]:
    y = alt.Y(f"{label}:N", sort=alt.EncodingSortField("position", op="min"), title=None)
    x_axis = alt.Axis(
        values=[0, 0.5, 1],
        labelExpr=(
            f"datum.value == 0 ? 'Worst' : (datum.value == 1 ? 'Best' : {json.dumps(versus)})"
        ),
    )
    x = alt.X("p_worst:Q", scale=alt.Scale(domain=[0, 1]), axis=x_axis, title=None)
    colour, shape = comparison_scales(judged, versus)
    base = alt.Chart(alt.NamedData("main"))
    tooltip = [
        alt.Tooltip("label:N", title="Indicator"),
        alt.Tooltip("value:Q", title="This area", format=",.2f"),
        alt.Tooltip("benchmark:Q", title=versus, format=",.2f"),
        alt.Tooltip("worst:Q", title="Worst area", format=",.2f"),
        alt.Tooltip("best:Q", title="Best area", format=",.2f"),
        alt.Tooltip("comparison:N", title=f"Compared with {versus}"),
        alt.Tooltip("trend:N", title="Recent trend"),
    ]
    return template(
        alt.layer(
            base.mark_bar(color=_style.RANGE_OUTER, height=14).encode(y=y, x=x, x2="p_best:Q"),
            base.mark_bar(color=_style.RANGE_INNER, height=14).encode(
                y=y, x=alt.X("p_q25:Q", scale=alt.Scale(domain=[0, 1])), x2="p_q75:Q"
            ),
            base.mark_tick(color=_style.BENCHMARK, thickness=2, size=20).encode(
                y=y, x=alt.X("p_benchmark:Q", scale=alt.Scale(domain=[0, 1]))
            ),
            base.mark_point(
                filled=True, size=90, opacity=1, stroke=_style.TEXT, strokeWidth=0.6
            ).encode(y=y, x="p_value:Q", color=colour, shape=shape, tooltip=tooltip),
        ).properties(width=300, height=alt.Step(22))
    )


def spine_chart(
    chart_id: str, title: str, rows: pl.DataFrame, *, versus: str, in_print: bool = True
) -> Chart:
    """Fingertips' spine chart: the area against the range of its peers, worst on the left.

    ``rows`` (one per indicator series): label, position (display order), period, value,
    benchmark, worst, q25, q75, best, comparison, trend, and the scaled positions p_value,
    p_worst, p_q25, p_q75, p_best, p_benchmark (0 = worst, 1 = best; the benchmark area
    ``versus`` at 0.5 when it has a value, as Fingertips scales them).
    """
    spec = _spine_template(judged(rows["comparison"].to_list()), versus)
    worse = rows.filter(pl.col("comparison").str.starts_with("Worse"))["label"].to_list()
    better = rows.filter(pl.col("comparison").str.starts_with("Better"))["label"].to_list()
    alt_text = (
        f"{title}. Spine chart of {rows.height} indicators: for each, the range of "
        "the areas' values (worst on the left, best on the right; darker: middle "
        f"half), {versus} in the centre, and this area's value as a marker. "
        f"Better than {versus}: {', '.join(better) or 'none'}. "
        f"Worse than {versus}: {', '.join(worse) or 'none'}."
    )
    table = rows.select(
        pl.col("label").alias("Indicator"),
        pl.col("period").alias("Period"),
        pl.col("value").alias("Area value"),
        pl.col("benchmark").alias(versus),
        pl.col("worst").alias("Worst area"),
        pl.col("q25").alias("25th percentile"),
        pl.col("q75").alias("75th percentile"),
        pl.col("best").alias("Best area"),
        pl.col("comparison").alias(f"Compared with {versus}"),
        pl.col("trend").alias("Recent trend"),
    )
    shown = rows.select(
        "label",
        "position",
        "polarity",
        "value",
        "benchmark",
        "worst",
        "q25",
        "q75",
        "best",
        "comparison",
        "trend",
        *[c for c in rows.columns if c.startswith("p_")],
        axis_label=pl.when(pl.col("label").str.len_chars() > _style.AXIS_LABEL)
        .then(pl.col("label").str.slice(0, _style.AXIS_LABEL - 1).str.strip_chars_end() + "…")
        .otherwise(pl.col("label")),
    )
    chart = finish(spec, chart_id, title, alt_text, table, {"main": records(shown)}, in_print)
    # The PDF numbers the rows and lists the names under the chart: WeasyPrint draws SVG
    # text letter by letter, and forty long labels per borough dominate the PDF's time.
    numbered = shown.with_columns(key=(pl.int_range(pl.len()) + 1).cast(pl.String))
    printed = {
        **_spine_template(judged(rows["comparison"].to_list()), versus, "key"),
        "description": alt_text,
        "datasets": {"main": records(numbered)},
    }
    key = tuple(zip(numbered["key"].to_list(), numbered["label"].to_list(), strict=True))
    return replace(chart, print_spec=printed, print_key=key)
