"""Charts of the areas side by side: the compare-areas dot chart and the map."""

from __future__ import annotations

import functools
import json
from typing import Any

import altair as alt
import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report.charts._base import (
    WIDTH,
    Chart,
    comparison_scales,
    finish,
    fmt,
    judged,
    records,
    template,
)


@functools.cache
def _bar_template(judged: bool, unit: str, versus: str) -> dict[str, Any]:
    colour, shape = comparison_scales(judged, versus)
    y = alt.Y("area_name:N", sort=alt.EncodingSortField("rank", op="min"), title=None)
    tooltip = [
        alt.Tooltip("area_name:N", title="Area"),
        alt.Tooltip("value:Q", title="Value", format=",.2f"),
        alt.Tooltip("lower:Q", title="Lower 95%", format=",.2f"),
        alt.Tooltip("upper:Q", title="Upper 95%", format=",.2f"),
        alt.Tooltip("comparison:N", title=f"Compared with {versus}"),
    ]
    base = alt.Chart(alt.NamedData("main"))
    return template(
        alt.layer(
            base.mark_rule(color="#595959").encode(
                y=y,
                x=alt.X(
                    "lower:Q",
                    title=f"Value ({unit})" if unit else "Value",
                    scale=alt.Scale(zero=False),
                ),
                x2="upper:Q",
            ),
            base.mark_point(filled=True, size=70, opacity=1).encode(
                y=y, x="value:Q", color=colour, shape=shape, tooltip=tooltip
            ),
            alt.Chart(alt.NamedData("benchmark"))
            .mark_rule(color=_style.BENCHMARK, strokeDash=[4, 3])
            .encode(
                x="benchmark:Q",
                tooltip=[alt.Tooltip("benchmark:Q", title=versus, format=",.2f")],
            ),
        ).properties(width=WIDTH, height=alt.Step(14))
    )


def bar_chart(
    chart_id: str,
    title: str,
    rows: pl.DataFrame,
    unit: str,
    benchmark: float | None,
    in_print: bool = True,
    *,
    versus: str,
    national: str = "",
) -> Chart:
    """Compare-areas chart: every borough's value with its 95% interval, sorted by value.

    ``rows``: area_name, value, lower, upper, comparison (one row per area); optional
    national_comparison (with the nation named ``national``), rank and quintile go into the
    chart's data table.
    """
    rows = rows.sort("value", "area_name", nulls_last=True)
    shown = rows.with_columns(rank=pl.int_range(pl.len()))
    spec = _bar_template(judged(rows["comparison"].to_list()), unit, versus)
    n_better = int((rows["comparison"].str.starts_with("Better")).sum())
    n_worse = int((rows["comparison"].str.starts_with("Worse")).sum())
    valid = rows.drop_nulls("value")
    alt_text = (
        f"{title}. Dot chart of {rows.height} boroughs sorted by value, with 95% "
        f"confidence intervals and {versus}'s value as a dashed line. "
    )
    if valid.height:
        alt_text += (
            f"Lowest: {valid['area_name'][0]} ({fmt(valid['value'][0])}); highest: "
            f"{valid['area_name'][-1]} ({fmt(valid['value'][-1])}). "
        )
    alt_text += f"{n_better} better and {n_worse} worse than {versus}."
    standing = [
        pl.col(column).alias(title)
        for column, title in (
            ("national_comparison", f"Compared with {national}"),
            ("rank", "Rank (1 = best)"),
            ("quintile", "Quintile"),
        )
        if column in rows.columns and (column != "national_comparison" or national)
    ]
    table = rows.select(
        pl.col("area_name").alias("Area"),
        pl.col("value").alias("Value"),
        pl.col("lower").alias("Lower 95% limit"),
        pl.col("upper").alias("Upper 95% limit"),
        pl.col("comparison").alias(f"Compared with {versus}"),
        *standing,
    )
    bench = [] if benchmark is None else [{"benchmark": benchmark}]
    return finish(
        spec,
        chart_id,
        title,
        alt_text,
        table,
        {"main": records(shown), "benchmark": bench},
        in_print,
    )


_MAP_TOOLTIP = (
    ("area_name", "Area", "nominal"),
    ("value", "Value", "quantitative"),
    ("comparison", "Compared with", "nominal"),
)


@functools.cache
def _map_template(judged: bool, boundaries: bool, versus: str) -> dict[str, Any]:
    if boundaries:
        colour, _ = comparison_scales(judged, versus, "properties.comparison")
        data = alt.NamedData("main", format=alt.DataFormat(type="json", property="features"))
        return template(
            alt.Chart(data)
            .mark_geoshape(stroke="white", strokeWidth=0.8)
            .encode(
                color=colour,
                tooltip=[
                    alt.Tooltip(f"properties.{f}", title=_tip(t, versus), type=k)
                    for f, t, k in _MAP_TOOLTIP
                ],
            )
            .project(type="mercator")
            .properties(width=WIDTH, height=380)
        )
    colour, shape = comparison_scales(judged, versus)
    base = alt.Chart(alt.NamedData("main")).encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None)
    )
    tooltip = [alt.Tooltip(f, title=_tip(t, versus), type=k) for f, t, k in _MAP_TOOLTIP]
    return template(
        alt.layer(
            # white label and symbol on the opaque tile colour: every tile colour gives white
            # text at least 4.5:1 contrast (WCAG 2.2, 1.4.3)
            base.mark_square(size=1500, opacity=1).encode(color=colour, tooltip=tooltip),
            base.mark_point(
                size=40, filled=True, yOffset=10, color=_style.ON_MARK, opacity=1
            ).encode(shape=shape, tooltip=tooltip),
            base.mark_text(fontSize=10, yOffset=-6, color=_style.ON_MARK).encode(
                text="label:N", tooltip=tooltip
            ),
        ).properties(width=8 * 48, height=7 * 48)
    )


def _tip(title: str, versus: str) -> str:
    return f"{title} {versus}" if title == "Compared with" else title


def can_map(codes: list[str], geometry: dict[str, str], tiles: dict | None) -> bool:
    """Whether the areas can be mapped: every one has a boundary or a tile."""
    return bool(codes) and (
        all(c in geometry for c in codes) or (tiles is not None and all(c in tiles for c in codes))
    )


def map_chart(
    chart_id: str,
    title: str,
    rows: pl.DataFrame,
    geometry: dict[str, str],
    in_print: bool = True,
    *,
    versus: str,
    tiles: dict[str, tuple[int, int, str]] | None = None,
) -> Chart:
    """A map of the areas coloured by comparison: boundaries if given, else a tile grid.

    ``rows``: area_code, area_name, value, comparison (one row per area); ``tiles``: area
    code -> (column, row from the north-west, short label), the caller's tile grid, used
    when some area has no boundary.
    """
    labels = rows["comparison"].to_list()
    boundaries = bool(geometry) and all(c in geometry for c in rows["area_code"])
    spec = _map_template(judged(labels), boundaries, versus)
    if boundaries:
        features = [
            {"type": "Feature", "geometry": json.loads(geometry[r["area_code"]]), "properties": r}
            for r in records(rows)
        ]
        main: Any = {"type": "FeatureCollection", "features": features}
        kind = "choropleth map of the areas' boundaries"
    else:
        grid = rows.with_columns(
            col=pl.col("area_code").replace_strict(
                {k: v[0] for k, v in (tiles or {}).items()}, default=None
            ),
            row=pl.col("area_code").replace_strict(
                {k: v[1] for k, v in (tiles or {}).items()}, default=None
            ),
            label=pl.col("area_code").replace_strict(
                {k: v[2] for k, v in (tiles or {}).items()}, default=None
            ),
        ).drop_nulls("col")
        main = records(grid)
        kind = "tile-grid map (one square per area, placed roughly as on a map)"
    counts = {k: sum(_style.base_label(c) == k for c in labels) for k in _style.ORDER}
    said = ", ".join(f"{n} {k.lower()}" for k, n in counts.items() if n)
    alt_text = (
        f"{title}. A {kind}, each area coloured and marked by its comparison with {versus}: {said}."
    )
    table = rows.select(
        pl.col("area_code").alias("Area code"),
        pl.col("area_name").alias("Area"),
        pl.col("value").alias("Value"),
        pl.col("comparison").alias(f"Compared with {versus}"),
    )
    return finish(spec, chart_id, title, alt_text, table, {"main": main}, in_print)
