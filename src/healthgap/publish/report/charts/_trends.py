"""Charts over time: trends with confidence bands and progress towards a target."""

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


@functools.cache
def _trend_template(unit: str) -> dict[str, Any]:
    colour = series_colour()
    x = alt.X("year:Q", title="Year", axis=alt.Axis(format="d", tickMinStep=1))
    tooltip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("value:Q", title="Value", format=",.2f"),
        alt.Tooltip("lower:Q", title="Lower 95%", format=",.2f"),
        alt.Tooltip("upper:Q", title="Upper 95%", format=",.2f"),
    ]
    base = alt.Chart(alt.NamedData("main"))
    return template(
        alt.layer(
            base.mark_area(opacity=0.18).encode(x=x, y="lower:Q", y2="upper:Q", color=colour),
            base.mark_line(strokeWidth=2).encode(
                x=x,
                y=alt.Y("value:Q", title=unit or "Value", scale=alt.Scale(zero=False)),
                color=colour,
                strokeDash=alt.StrokeDash("series:N", legend=None),
            ),
            base.mark_point(filled=True, size=40).encode(
                x=x,
                y="value:Q",
                color=colour,
                shape=alt.Shape("series:N", legend=None),
                tooltip=tooltip,
            ),
        ).properties(width=WIDTH, height=240)
    )


def trend_chart(
    chart_id: str, title: str, rows: pl.DataFrame, unit: str, in_print: bool = True
) -> Chart:
    """Lines over time with 95% bands, one per series.

    ``rows``: series, year, period, value, lower, upper.
    """
    rows = rows.sort("series", "year")
    parts = []
    for name in sorted(set(rows["series"].to_list())):
        s = rows.filter((pl.col("series") == name) & pl.col("value").is_not_null())
        if s.height:
            parts.append(
                f"{name}: {fmt(s['value'][0])} in {s['period'][0]} to "
                f"{fmt(s['value'][-1])} in {s['period'][-1]}"
            )
    alt_text = f"{title}. Line chart with 95% confidence bands. " + "; ".join(parts) + "."
    table = rows.select(
        pl.col("series").alias("Series"),
        pl.col("period").alias("Period"),
        pl.col("value").alias("Value"),
        pl.col("lower").alias("Lower 95% limit"),
        pl.col("upper").alias("Upper 95% limit"),
    )
    return finish(
        _trend_template(unit), chart_id, title, alt_text, table, {"main": records(rows)}, in_print
    )


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
    return finish(_target_template(unit), chart_id, title, alt_text, table.select(cols), datasets)
