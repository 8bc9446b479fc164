"""Names shared by the pages: slugs, series labels and the comparison legend."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report._data import ReportData

SYMBOLS = "; ".join(f"{s[3]} {k}" for k, s in _style.STYLES.items())


def comparison_legend(data: ReportData) -> str:
    """What the colours and symbols of the tables and charts say."""
    versus = f"{data.region_name}'s"
    if data.national:
        versus = f"{data.national_name}'s and {data.region_name}'s"
    return (
        f"Colours and symbols compare each value with {versus} by the overlap of 95% "
        f"confidence intervals (Fingertips' method): {SYMBOLS}. Where no interval is "
        "published, the rank among the areas (1 = best) and the quintile show where a "
        "value stands instead."
    )


def symbol(comparison: str | None) -> str:
    """The table symbol of a comparison ("" when not compared)."""
    word = _style.base_label(comparison)
    return "" if word == "Not compared" else _style.STYLES[word][3]


def slug(text: str) -> str:
    """A file-name-safe, lower-case slug."""
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def series_label(data: ReportData, indicator_id: str, sex: str, age: str) -> str:
    """How a series is named in tables and charts."""
    label = data.meta(indicator_id).name
    several = len(data.series(indicator_id)) > 1 or sex != "Persons"
    if several and sex.lower() not in label.lower():
        label += f" ({sex})"
    if age != "All ages" and age:
        label += f", {age}"
    return label


def series_frame(data: ReportData) -> pl.DataFrame:
    """Every (indicator, sex, age) series of the latest values, in display order, labelled."""
    rows = []
    for i in data.order:
        for sex, age in data.series(i):
            rows.append(
                {
                    "indicator_id": i,
                    "sex": sex,
                    "age": age,
                    "label": series_label(data, i, sex, age),
                    "position": len(rows),
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "indicator_id": pl.String,
            "sex": pl.String,
            "age": pl.String,
            "label": pl.String,
            "position": pl.Int64,
        },
    )
