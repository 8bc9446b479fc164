"""The overview page: headline gaps and the tartan rug of every indicator in every area."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report._data import SERIES, ReportData
from healthgap.publish.report._labels import LEGEND, series_frame, slug
from healthgap.publish.report._model import Page, Section, Table
from healthgap.publish.report.charts import (
    fmt,
    trend_chart,
)

HEADLINES = (
    ("le_sii", "Gap in life expectancy (slope index of inequality)"),
    ("hle_male", "Healthy life expectancy"),
)


def _london_trend(data: ReportData, ids: list[str]) -> pl.DataFrame:
    rows = data.values.filter(
        pl.col("indicator_id").is_in(ids)
        & (pl.col("area_code") == data.london)
        & (pl.col("category_type") == "")
        & (pl.col("period_years") == 1)
    )
    names = {i: data.meta(i).name for i in ids}
    return rows.select(
        series=pl.col("indicator_id").replace_strict(names)
        + pl.when(pl.col("indicator_id").is_in(["le_sii", "life_expectancy"]))
        .then(pl.lit(" (") + pl.col("sex") + pl.lit(")"))
        .otherwise(pl.lit("")),
        year=pl.col("period_start"),
        period="period",
        value="value",
        lower="lower95_0cl",
        upper="upper95_0cl",
    )


def overview(data: ReportData) -> Page:
    """The overview: headline gaps with their trends and the tartan rug."""
    head = Section("headline-gaps", "Headline gaps")
    head.paragraphs.append(
        "London's headline inequality measures over time, with 95% confidence bands."
    )
    for i, title in HEADLINES:
        ids = [i] if i != "hle_male" else ["hle_male", "hle_female"]
        ids = [x for x in ids if x in data.order]
        if not ids or data.london is None:
            continue
        rows = _london_trend(data, ids)
        if rows.height:
            head.items.append(
                trend_chart(f"overview-{slug(i)}", f"{title}, London", rows, data.meta(ids[0]).unit)
            )
    rug = Section("tartan-rug", "Every indicator in every borough")
    rug.paragraphs += [
        "Latest value of each indicator in London and each borough. " + LEGEND,
        "Each column is one indicator (its period in brackets); each row one area.",
    ]
    rug.items.append(_rug(data))
    boroughs = Section("boroughs", "Borough profiles")
    boroughs.links = [(f"borough-{c.lower()}.html", data.names[c]) for c in data.boroughs]
    indicators = Section("indicators", "Indicators")
    indicators.links = [(f"indicator-{slug(i)}.html", data.meta(i).name) for i in data.order]
    return Page(
        "index",
        "Overview",
        "Headline gaps and every indicator in every borough.",
        [head, rug, boroughs, indicators],
        nav="index",
    )


def _rug(data: ReportData) -> Table:
    series = series_frame(data)
    latest = data.latest.join(series, on=list(SERIES))
    trends = data.trends.select(*SERIES, "area_code", "trend") if data.trends.height else None
    if trends is not None:
        latest = latest.join(trends, on=[*SERIES, "area_code"], how="left")
    else:
        latest = latest.with_columns(trend=pl.lit(None, pl.String))
    areas = ([data.london] if data.london else []) + data.boroughs
    periods = latest.group_by("position").agg(pl.col("period").max()).sort("position")
    labels = series.sort("position")
    header = ["Area"] + [
        f"{lab} ({per})" for lab, per in zip(labels["label"], periods["period"], strict=True)
    ]
    cell = {(r["area_code"], r["position"]): r for r in latest.iter_rows(named=True)}
    rows = []
    for code in areas:
        cells = [(data.names.get(code, code), "")]
        for pos in labels["position"]:
            r = cell.get((code, pos))
            if r is None:
                cells.append(("-", ""))
                continue
            word = _style.base_label(r["comparison"])
            symbol = _style.STYLES[word][3] if r["area_code"] != data.london else ""
            cells.append(
                (
                    f"{fmt(r['value'])} {symbol}".strip(),
                    f"cmp-{slug(word)}" if r["area_code"] != data.london else "",
                )
            )
        rows.append(tuple(cells))
    frame = latest.sort("position", "area_code").select(
        pl.col("label").alias("Indicator"),
        pl.col("period").alias("Period"),
        pl.col("area_code").alias("Area code"),
        pl.col("area_name").alias("Area"),
        pl.col("value").alias("Value"),
        pl.col("lower95_0cl").alias("Lower 95% limit"),
        pl.col("upper95_0cl").alias("Upper 95% limit"),
        pl.col("count").alias("Count"),
        pl.col("comparison").alias("Compared with London"),
        pl.col("trend").alias("Recent trend"),
    )
    return Table(
        "overview-tartan-rug",
        "Latest values compared with London",
        frame,
        tuple(header),
        tuple(rows),
        note=LEGEND,
    )
