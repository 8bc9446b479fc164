"""Area profiles (spine chart and table) and two areas side by side."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from healthgap.errors import InputError
from healthgap.publish.report._special_charts import spine_chart
from healthgap.publish.web._model import (
    Cell,
    Choice,
    Row,
    Section,
    Table,
    View,
    comparison_cell,
    fmt,
)
from healthgap.publish.web._published import Published
from healthgap.publish.web._selection import (
    comparator_choice,
    hidden,
    latest_flag,
    profile_areas,
    series_label,
    totals,
)


def spine_rows(pub: Published, code: str, comparator: str) -> pl.DataFrame:
    """Spine-chart rows of an area: its latest values against the range of its peers.

    Peers are the profile areas; positions scale each indicator so that the comparator sits
    at 0.5 and the farthest peer at 0 or 1, worst on the left (Fingertips' spine chart).
    """
    peers = profile_areas(pub)
    bench = pub.comparators[comparator].code
    parts = []
    for position, indicator_id in enumerate(pub.indicators):
        frame = latest_flag(totals(pub, indicator_id)).filter(pl.col("latest"))
        if frame.filter(pl.col("area_code") == code).is_empty():
            continue
        polarity = pub.indicators[indicator_id].polarity
        sign = -1.0 if polarity == "low_is_good" else 1.0
        peer = frame.filter(pl.col("area_code").is_in(peers))
        stats = peer.group_by("sex", "age").agg(
            _lo=(pl.col("value") * sign).min(),
            _hi=(pl.col("value") * sign).max(),
            _q25=(pl.col("value") * sign).quantile(0.25, "linear"),
            _q75=(pl.col("value") * sign).quantile(0.75, "linear"),
        )
        benchmark = frame.filter(pl.col("area_code") == bench).select(
            "sex", "age", _b=pl.col("value") * sign
        )
        mine = (
            frame.filter(pl.col("area_code") == code)
            .join(stats, on=["sex", "age"], how="left")
            .join(benchmark, on=["sex", "age"], how="left")
            .with_columns(
                _sign=pl.lit(sign),
                polarity=pl.lit(polarity),
                position=pl.lit(position),
            )
        )
        parts.append(mine)
    if not parts:
        return pl.DataFrame()
    out = pl.concat(parts, how="vertical_relaxed")
    centre = pl.col("_b").fill_null((pl.col("_lo") + pl.col("_hi")) / 2)
    half = pl.max_horizontal((centre - pl.col("_lo")).abs(), (pl.col("_hi") - centre).abs())

    def pos(expr: pl.Expr) -> pl.Expr:
        return pl.when(half > 0).then(0.5 + 0.5 * (expr - centre) / half).otherwise(0.5)

    labels = [
        series_label(pub, i, s, a)
        for i, s, a in out.select("indicator_id", "sex", "age").iter_rows()
    ]
    return (
        out.with_columns(
            label=pl.Series(labels),
            london=pl.col("_b") * pl.col("_sign"),
            worst=pl.col("_lo") * pl.col("_sign"),
            best=pl.col("_hi") * pl.col("_sign"),
            q25=pl.col("_q25") * pl.col("_sign"),
            q75=pl.col("_q75") * pl.col("_sign"),
            p_worst=pos(pl.col("_lo")),
            p_best=pos(pl.col("_hi")),
            p_q25=pos(pl.col("_q25")),
            p_q75=pos(pl.col("_q75")),
            p_value=pos(pl.col("value") * pl.col("_sign")),
            p_london=pos(pl.col("_b")),
            comparison=pl.col(f"compared_{comparator}").fill_null("Not compared"),
            trend=pl.col("recent_trend").fill_null("Cannot be calculated"),
        )
        .with_columns(position=pl.int_range(pl.len()))
        .sort("position")
    )


def _area_choice(pub: Published, code: str) -> Choice:
    areas = profile_areas(pub)
    return Choice(
        "area",
        "Area",
        [(c, pub.names[c]) for c in areas],
        code,
        navigates=True,
        hrefs={c: f"area-{c}.html" for c in areas},
    )


def area_profile(pub: Published, code: str, state: Mapping[str, str], comparator: str) -> View:
    """An area's profile: the spine chart and a table of every indicator."""
    name = pub.names[code]
    bench = pub.comparators[comparator]
    rows_frame = spine_rows(pub, code, comparator)
    sections = []
    if rows_frame.height:
        chart = spine_chart(
            f"spine-{code.lower()}",
            f"{name} compared with {bench.name}",
            rows_frame.drop("area_name", "area_type"),
        )
        sections.append(Section("spine", f"How {name} compares", items=[chart]))
        rows = []
        for r in rows_frame.iter_rows(named=True):
            cells = [
                Cell(r["label"], href=f"indicator-{r['indicator_id']}.html"),
                Cell(r["period"]),
                comparison_cell(r["value"], r["comparison"]),
                Cell(f"{fmt(r['lower95_0cl'])} to {fmt(r['upper95_0cl'])}"),
                *[Cell(fmt(r.get(f"{k}_value"))) for k in pub.comparators],
                Cell(r["comparison"]),
                Cell(r["trend"]),
                Cell(fmt(r["worst"])),
                Cell(fmt(r["best"])),
            ]
            rows.append(Row(cells, {"sex": r["sex"]}))
        frame = rows_frame.select(
            "indicator_id",
            pl.col("label").alias("indicator"),
            "sex",
            "age",
            "period",
            "area_code",
            "value",
            "lower95_0cl",
            "upper95_0cl",
            "count",
            "denominator",
            "value_note",
            *[f"{k}_value" for k in pub.comparators],
            *[f"compared_{k}" for k in pub.comparators],
            "recent_trend",
            "worst",
            "best",
        )
        header = [
            "Indicator",
            "Period",
            "Value",
            "95% confidence interval",
            *[c.name for c in pub.comparators.values()],
            f"Compared with {bench.name}",
            "Recent trend",
            "Worst area",
            "Best area",
        ]
        table = Table(f"profile-{code.lower()}", f"{name}: latest values", header, rows, frame)
        sections.append(Section("table", "Indicators", items=[table]))
    else:
        sections.append(Section("table", "Indicators", ["No published values for this area."]))
    sections.append(
        Section(
            "more",
            "More",
            links=[(f"compare.html?a={code}", f"Compare {name} with another area")],
        )
    )
    return View(
        f"area-{code}",
        name,
        f"{name}: every indicator's latest value, compared with {bench.name}.",
        "area",
        [_area_choice(pub, code), comparator_choice(pub, comparator)],
        sections,
        hidden(state, ("sex",)),
    )


def compare(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Two areas side by side (``a`` and ``b``), every indicator's latest value."""
    areas = profile_areas(pub)
    a = state.get("a") or (areas[0] if areas else "")
    b = state.get("b") or (areas[1] if len(areas) > 1 else a)
    for name, code in (("a", a), ("b", b)):
        if code not in pub.names:
            raise InputError(f"parameter '{name}' must be an area code in the store; got {code!r}")
    left, right = spine_rows(pub, a, comparator), spine_rows(pub, b, comparator)
    keys = ["indicator_id", "sex", "age"]
    both = (
        left.select(*keys, "label", "period", "value", "comparison").join(
            right.select(*keys, "period", "value", "comparison"),
            on=keys,
            how="full",
            coalesce=True,
            suffix="_b",
        )
        if left.height and right.height
        else pl.DataFrame()
    )
    rows = [
        Row(
            [
                Cell(r["label"] or r["indicator_id"], href=f"indicator-{r['indicator_id']}.html"),
                Cell(r["period"] or r["period_b"] or ""),
                comparison_cell(r["value"], r["comparison"]),
                comparison_cell(r["value_b"], r["comparison_b"]),
            ],
            {"sex": r["sex"]},
        )
        for r in both.iter_rows(named=True)
    ]
    choices = [
        Choice("a", "First area", [(c, pub.names[c]) for c in areas], a),
        Choice("b", "Second area", [(c, pub.names[c]) for c in areas], b),
        comparator_choice(pub, comparator),
    ]
    table = Table(
        "compare",
        f"{pub.names[a]} and {pub.names[b]}",
        ["Indicator", "Period", pub.names[a], pub.names[b]],
        rows,
        both,
    )
    return View(
        "compare",
        "Compare two areas",
        f"{pub.names[a]} and {pub.names[b]} side by side, each compared with "
        f"{pub.comparators[comparator].name}.",
        "compare",
        choices,
        [Section("side-by-side", "Side by side", items=[table])],
    )
