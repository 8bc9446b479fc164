"""The report's charts, in one grammar (Altair / Vega-Lite), each with its data table.

Each builder takes a small, already published table (disclosure applied upstream) and returns
a :class:`Chart`: a fixed id, a title, a text alternative, the Vega-Lite spec (data inline)
and the table behind it, which the page shows and offers for download.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report._tilegrid import TILES

WIDTH = 520


@dataclass(frozen=True)
class Chart:
    """One chart: spec for the browser and vl-convert, text alternative and data table."""

    id: str
    title: str
    alt: str
    spec: dict[str, Any]
    table: pl.DataFrame
    in_print: bool = True
    print_spec: dict[str, Any] | None = None  # a lighter spec for the PDF, if any
    print_key: tuple[tuple[str, str], ...] = ()  # (number, label) when the PDF numbers rows


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts (NaN becomes null)."""
    rows = frame.to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
    return rows


def template(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """A chart's Vega-Lite spec without data (layers read named datasets), built once."""
    spec = chart.to_dict(validate=False)
    spec.pop("$schema", None)
    spec["config"] = _style.CONFIG
    return json.loads(json.dumps(spec, sort_keys=True))


def _finish(
    spec: dict[str, Any],
    chart_id: str,
    title: str,
    alt_text: str,
    table: pl.DataFrame,
    datasets: dict[str, Any],
    in_print: bool = True,
) -> Chart:
    """A chart from a cached template and this chart's data (the template is not changed).

    Layers whose dataset is empty are left out: an empty mark group would be an unlabelled
    graphic to a screen reader.
    """
    full = {**spec, "description": alt_text, "datasets": datasets}
    if "layer" in spec:
        empty = {name for name, rows in datasets.items() if isinstance(rows, list) and not rows}
        full["layer"] = [
            layer for layer in spec["layer"] if layer.get("data", {}).get("name") not in empty
        ]
    return Chart(chart_id, title, alt_text, full, table, in_print)


def _judged(labels: list[str]) -> bool:
    return not any(_style.base_label(c) in ("Higher", "Lower") for c in labels)


def _comparison_scales(judged: bool, field: str = "comparison") -> tuple[alt.Color, alt.Shape]:
    words = (
        ("Better", "Similar", "Worse", "Not compared")
        if judged
        else ("Higher", "Similar", "Lower", "Not compared")
    )
    domain, colours, shapes = _style.scale_domain(list(words))
    legend = alt.Legend(title="Compared with London", orient="bottom")
    return (
        alt.Color(f"{field}:N", scale=alt.Scale(domain=domain, range=colours), legend=legend),
        alt.Shape(f"{field}:N", scale=alt.Scale(domain=domain, range=shapes), legend=legend),
    )


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for text: thousands separators, fixed digits, '-' when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if abs(value) < 1 and value != 0:
        digits = max(digits, 3)
    return f"{value:,.{digits}f}"


@functools.cache
def _bar_template(judged: bool, unit: str) -> dict[str, Any]:
    colour, shape = _comparison_scales(judged)
    y = alt.Y("area_name:N", sort=alt.EncodingSortField("rank", op="min"), title=None)
    tooltip = [
        alt.Tooltip("area_name:N", title="Area"),
        alt.Tooltip("value:Q", title="Value", format=",.2f"),
        alt.Tooltip("lower:Q", title="Lower 95%", format=",.2f"),
        alt.Tooltip("upper:Q", title="Upper 95%", format=",.2f"),
        alt.Tooltip("comparison:N", title="Compared with London"),
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
            .encode(x="london:Q", tooltip=[alt.Tooltip("london:Q", title="London", format=",.2f")]),
        ).properties(width=WIDTH, height=alt.Step(14))
    )


def bar_chart(
    chart_id: str,
    title: str,
    rows: pl.DataFrame,
    unit: str,
    benchmark: float | None,
    in_print: bool = True,
) -> Chart:
    """Compare-areas chart: every borough's value with its 95% interval, sorted by value.

    ``rows``: area_name, value, lower, upper, comparison (one row per borough).
    """
    rows = rows.sort("value", "area_name", nulls_last=True)
    shown = rows.with_columns(rank=pl.int_range(pl.len()))
    spec = _bar_template(_judged(rows["comparison"].to_list()), unit)
    n_better = int((rows["comparison"].str.starts_with("Better")).sum())
    n_worse = int((rows["comparison"].str.starts_with("Worse")).sum())
    valid = rows.drop_nulls("value")
    alt_text = (
        f"{title}. Dot chart of {rows.height} boroughs sorted by value, with 95% "
        f"confidence intervals and London's value as a dashed line. "
    )
    if valid.height:
        alt_text += (
            f"Lowest: {valid['area_name'][0]} ({fmt(valid['value'][0])}); highest: "
            f"{valid['area_name'][-1]} ({fmt(valid['value'][-1])}). "
        )
    alt_text += f"{n_better} better and {n_worse} worse than London."
    table = rows.select(
        pl.col("area_name").alias("Area"),
        pl.col("value").alias("Value"),
        pl.col("lower").alias("Lower 95% limit"),
        pl.col("upper").alias("Upper 95% limit"),
        pl.col("comparison").alias("Compared with London"),
    )
    bench = [] if benchmark is None else [{"london": benchmark}]
    return _finish(
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
    ("comparison", "Compared with London", "nominal"),
)


@functools.cache
def _map_template(judged: bool, boundaries: bool) -> dict[str, Any]:
    if boundaries:
        colour, _ = _comparison_scales(judged, "properties.comparison")
        data = alt.NamedData("main", format=alt.DataFormat(type="json", property="features"))
        return template(
            alt.Chart(data)
            .mark_geoshape(stroke="white", strokeWidth=0.8)
            .encode(
                color=colour,
                tooltip=[
                    alt.Tooltip(f"properties.{f}", title=t, type=k) for f, t, k in _MAP_TOOLTIP
                ],
            )
            .project(type="mercator")
            .properties(width=WIDTH, height=380)
        )
    colour, shape = _comparison_scales(judged)
    base = alt.Chart(alt.NamedData("main")).encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None)
    )
    tooltip = [alt.Tooltip(f, title=t, type=k) for f, t, k in _MAP_TOOLTIP]
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


def map_chart(
    chart_id: str, title: str, rows: pl.DataFrame, geometry: dict[str, str], in_print: bool = True
) -> Chart:
    """A map of the boroughs coloured by comparison: boundaries if given, else a tile grid.

    ``rows``: area_code, area_name, value, comparison (one row per borough).
    """
    labels = rows["comparison"].to_list()
    boundaries = bool(geometry) and all(c in geometry for c in rows["area_code"])
    spec = _map_template(_judged(labels), boundaries)
    if boundaries:
        features = [
            {"type": "Feature", "geometry": json.loads(geometry[r["area_code"]]), "properties": r}
            for r in records(rows)
        ]
        main: Any = {"type": "FeatureCollection", "features": features}
        kind = "choropleth map of the boroughs' boundaries"
    else:
        grid = rows.with_columns(
            col=pl.col("area_code").replace_strict(
                {k: v[0] for k, v in TILES.items()}, default=None
            ),
            row=pl.col("area_code").replace_strict(
                {k: v[1] for k, v in TILES.items()}, default=None
            ),
            label=pl.col("area_code").replace_strict(
                {k: v[2] for k, v in TILES.items()}, default=None
            ),
        ).drop_nulls("col")
        main = records(grid)
        kind = "tile-grid map (one square per borough, placed roughly as on a map)"
    counts = {k: sum(_style.base_label(c) == k for c in labels) for k in _style.ORDER}
    said = ", ".join(f"{n} {k.lower()}" for k, n in counts.items() if n)
    alt_text = (
        f"{title}. A {kind}, each borough coloured and marked by its comparison "
        f"with London: {said}."
    )
    table = rows.select(
        pl.col("area_code").alias("Area code"),
        pl.col("area_name").alias("Area"),
        pl.col("value").alias("Value"),
        pl.col("comparison").alias("Compared with London"),
    )
    return _finish(spec, chart_id, title, alt_text, table, {"main": main}, in_print)


def _series_colour() -> alt.Color:
    legend = alt.Legend(orient="bottom", columns=2)
    return alt.Color(
        "series:N", title=None, legend=legend, scale=alt.Scale(range=list(_style.SERIES_COLOURS))
    )


@functools.cache
def _trend_template(unit: str) -> dict[str, Any]:
    colour = _series_colour()
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
    return _finish(
        _trend_template(unit), chart_id, title, alt_text, table, {"main": records(rows)}, in_print
    )


@functools.cache
def _decile_template(unit: str) -> dict[str, Any]:
    colour = _series_colour()
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
) -> Chart:
    """Values by deprivation decile (1 = most deprived) with the fitted SII line.

    ``rows``: series, decile, value, lower, upper; ``lines``: series, sii, intercept.
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
    alt_text = (
        f"{title}. Dot chart of values in the 10 deprivation deciles with 95% "
        "intervals and the fitted line whose rise from most to least deprived is the "
        "slope index of inequality (SII). " + "; ".join(parts) + "."
    )
    table = rows.select(
        pl.col("series").alias("Series"),
        pl.col("decile").alias("Decile"),
        pl.col("value").alias("Value"),
        pl.col("lower").alias("Lower 95% limit"),
        pl.col("upper").alias("Upper 95% limit"),
    )
    return _finish(
        _decile_template(unit),
        chart_id,
        title,
        alt_text,
        table,
        {"main": records(rows), "line": ends},
        in_print,
    )
