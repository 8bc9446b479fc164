"""What every chart shares: the Chart record, its spec template, formatting and scales.

Each builder takes a small, already published table (disclosure applied upstream) and returns
a :class:`Chart`: a fixed id, a title, a text alternative, the Vega-Lite spec (data inline)
and the table behind it, which the page shows and offers for download.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

import altair as alt
import polars as pl

from healthgap.publish.report import _style

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
    print_half: bool = False  # half a page wide in the PDF


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


def finish(
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


def judged(labels: list[str]) -> bool:
    return not any(_style.base_label(c) in ("Higher", "Lower") for c in labels)


def comparison_scales(
    judged: bool, versus: str, field: str = "comparison"
) -> tuple[alt.Color, alt.Shape]:
    words = (
        ("Better", "Similar", "Worse", "Not compared")
        if judged
        else ("Higher", "Similar", "Lower", "Not compared")
    )
    domain, colours, shapes = _style.scale_domain(list(words))
    legend = alt.Legend(title=f"Compared with {versus}", orient="bottom")
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


def series_colour() -> alt.Color:
    legend = alt.Legend(orient="bottom", columns=2)
    return alt.Color(
        "series:N", title=None, legend=legend, scale=alt.Scale(range=list(_style.SERIES_COLOURS))
    )


def compact(chart: Chart) -> Chart:
    """The chart with a smaller print spec: every view's width and height scaled down."""

    def shrink(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: shrink(v) for k, v in node.items()}
            if isinstance(out.get("width"), int | float):
                out["width"] = round(out["width"] * 0.5)
            if isinstance(out.get("height"), int | float):
                out["height"] = round(out["height"] * 0.45)
            if isinstance(out.get("height"), dict) and "step" in out["height"]:
                out["height"] = {"step": max(4, round(out["height"]["step"] * 0.5))}
            return out
        if isinstance(node, list):
            return [shrink(v) for v in node]
        return node

    base = chart.print_spec or chart.spec
    small = {k: (v if k in ("datasets", "config") else shrink(v)) for k, v in base.items()}
    return replace(chart, print_spec=small, print_half=True)
