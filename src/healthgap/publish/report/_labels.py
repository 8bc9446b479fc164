"""Names shared by the pages: slugs, series labels and the comparison legend."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report._data import ReportData

LEGEND = (
    "Colours and symbols compare each value with London's (95% confidence): "
    + "; ".join(f"{s[3]} {k}" for k, s in _style.STYLES.items())
    + "."
)


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
