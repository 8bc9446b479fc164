"""The report's composite charts: spine chart, Segment Tool gap chart, progress to a target."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import altair as alt
import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report._charts import (
    WIDTH,
    Chart,
    _comparison_scales,
    _finish,
    _judged,
    fmt,
    records,
    template,
)


@functools.cache
def _spine_template(judged: bool, label: str = "axis_label") -> dict[str, Any]:
    y = alt.Y(f"{label}:N", sort=alt.EncodingSortField("position", op="min"), title=None)
    x_axis = alt.Axis(
        values=[0, 0.5, 1],
        labelExpr="datum.value == 0 ? 'Worst' : (datum.value == 1 ? 'Best' : 'London')",
    )
    x = alt.X("p_worst:Q", scale=alt.Scale(domain=[0, 1]), axis=x_axis, title=None)
    colour, shape = _comparison_scales(judged)
    base = alt.Chart(alt.NamedData("main"))
    tooltip = [
        alt.Tooltip("label:N", title="Indicator"),
        alt.Tooltip("value:Q", title="This area", format=",.2f"),
        alt.Tooltip("london:Q", title="London", format=",.2f"),
        alt.Tooltip("worst:Q", title="Worst borough", format=",.2f"),
        alt.Tooltip("best:Q", title="Best borough", format=",.2f"),
        alt.Tooltip("comparison:N", title="Compared with London"),
        alt.Tooltip("trend:N", title="Recent trend"),
    ]
    return template(
        alt.layer(
            base.mark_bar(color=_style.RANGE_OUTER, height=14).encode(y=y, x=x, x2="p_best:Q"),
            base.mark_bar(color=_style.RANGE_INNER, height=14).encode(
                y=y, x=alt.X("p_q25:Q", scale=alt.Scale(domain=[0, 1])), x2="p_q75:Q"
            ),
            base.mark_tick(color=_style.BENCHMARK, thickness=2, size=20).encode(
                y=y, x=alt.X("p_london:Q", scale=alt.Scale(domain=[0, 1]))
            ),
            base.mark_point(
                filled=True, size=90, opacity=1, stroke=_style.TEXT, strokeWidth=0.6
            ).encode(y=y, x="p_value:Q", color=colour, shape=shape, tooltip=tooltip),
        ).properties(width=300, height=alt.Step(22))
    )


def spine_chart(chart_id: str, title: str, rows: pl.DataFrame) -> Chart:
    """Fingertips' spine chart: the area against the range of all boroughs, worst on the left.

    ``rows`` (one per indicator series): label, position (display order), period, value,
    london, worst, q25, q75, best, comparison, trend, and the scaled positions p_value,
    p_worst, p_q25, p_q75, p_best, p_london (0 = worst, 1 = best; London at 0.5 when it
    has a value, as Fingertips scales them).
    """
    spec = _spine_template(_judged(rows["comparison"].to_list()))
    worse = rows.filter(pl.col("comparison").str.starts_with("Worse"))["label"].to_list()
    better = rows.filter(pl.col("comparison").str.starts_with("Better"))["label"].to_list()
    alt_text = (
        f"{title}. Spine chart of {rows.height} indicators: for each, the range of "
        "the boroughs' values (worst on the left, best on the right; darker: middle "
        "half), London in the centre, and this area's value as a marker. "
        f"Better than London: {', '.join(better) or 'none'}. "
        f"Worse than London: {', '.join(worse) or 'none'}."
    )
    table = rows.select(
        pl.col("label").alias("Indicator"),
        pl.col("period").alias("Period"),
        pl.col("value").alias("Area value"),
        pl.col("london").alias("London"),
        pl.col("worst").alias("Worst borough"),
        pl.col("q25").alias("25th percentile"),
        pl.col("q75").alias("75th percentile"),
        pl.col("best").alias("Best borough"),
        pl.col("comparison").alias("Compared with London"),
        pl.col("trend").alias("Recent trend"),
    )
    shown = rows.select(
        "label",
        "position",
        "polarity",
        "value",
        "london",
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
    chart = _finish(spec, chart_id, title, alt_text, table, {"main": records(shown)})
    # The PDF numbers the rows and lists the names under the chart: WeasyPrint draws SVG
    # text letter by letter, and forty long labels per borough dominate the PDF's time.
    numbered = shown.with_columns(key=(pl.int_range(pl.len()) + 1).cast(pl.String))
    printed = {
        **_spine_template(_judged(rows["comparison"].to_list()), "key"),
        "description": alt_text,
        "datasets": {"main": records(numbered)},
    }
    key = tuple(zip(numbered["key"].to_list(), numbered["label"].to_list(), strict=True))
    return replace(chart, print_spec=printed, print_key=key)


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


def gap_chart(chart_id: str, title: str, rows: pl.DataFrame, in_print: bool = True) -> Chart:
    """The Segment Tool's charts: contributions to the gap by age band and by cause.

    ``rows``: category_type ("Age band" / "Cause"), category, order, sex, period, value.
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
    return _finish(_gap_template(kinds), chart_id, title, alt_text, table, datasets, in_print)


@functools.cache
def _target_template(unit: str) -> dict[str, Any]:
    x = alt.X("year:Q", title="Year", axis=alt.Axis(format="d", tickMinStep=1))
    y_title = unit or "Value"
    band = alt.Chart(alt.NamedData("path"))
    obs = alt.Chart(alt.NamedData("observed"))
    tip = [
        alt.Tooltip("year:Q", title="Year"),
        alt.Tooltip("value:Q", title="Observed", format=",.3~f"),
    ]
    return template(
        alt.layer(
            band.mark_area(opacity=0.2, color=_style.SERIES_COLOURS[0]).encode(
                x=x, y=alt.Y("lower:Q", title=y_title), y2="upper:Q"
            ),
            band.mark_line(strokeDash=[6, 3], color=_style.SERIES_COLOURS[0]).encode(
                x=x,
                y="fitted:Q",
                tooltip=[
                    alt.Tooltip("year:Q", title="Year"),
                    alt.Tooltip("fitted:Q", title="Projected", format=",.3~f"),
                ],
            ),
            obs.mark_line(color=_style.TEXT).encode(x=x, y=alt.Y("value:Q", title=y_title)),
            obs.mark_point(filled=True, color=_style.TEXT, size=40).encode(
                x=x, y="value:Q", tooltip=tip
            ),
            alt.Chart(alt.NamedData("target"))
            .mark_point(shape="diamond", size=160, filled=True, color=_style.STYLES["Worse"][0])
            .encode(
                x=x,
                y="target:Q",
                tooltip=[
                    alt.Tooltip("year:Q", title="Target year"),
                    alt.Tooltip("target:Q", title="Target"),
                ],
            ),
        ).properties(width=WIDTH, height=220)
    )


def target_chart(
    chart_id: str,
    title: str,
    observed: pl.DataFrame,
    path: pl.DataFrame,
    target: float,
    target_year: int,
    unit: str,
    status: str,
) -> Chart:
    """Progress to a target: observed values, the projected trajectory and its interval.

    ``observed``: year, value; ``path``: year, fitted, lower, upper (may be empty).
    """
    last = observed.drop_nulls("value").tail(1)
    latest = (
        f"latest {fmt(last['value'][0], 2)} in {last['year'][0]}"
        if last.height
        else "no observed value"
    )
    alt_text = (
        f"{title}. Line chart of the observed values ({latest}), the trajectory "
        f"projected from the recent trend with its 95% prediction interval, and the "
        f"target of {fmt(target, 2)} by {target_year} (diamond). Status: {status}."
    )
    table = observed.join(
        path.select("year", "fitted", "lower", "upper") if path.height else observed.select("year"),
        on="year",
        how="full",
        coalesce=True,
    ).sort("year")
    cols = [pl.col("year").alias("Year"), pl.col("value").alias("Observed")]
    if path.height:
        cols += [
            pl.col("fitted").alias("Projected"),
            pl.col("lower").alias("Lower 95% prediction"),
            pl.col("upper").alias("Upper 95% prediction"),
        ]
    datasets = {
        "observed": records(observed),
        "path": records(path),
        "target": [{"year": target_year, "target": target}],
    }
    return _finish(_target_template(unit), chart_id, title, alt_text, table.select(cols), datasets)
