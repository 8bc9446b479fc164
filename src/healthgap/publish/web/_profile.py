"""Area profiles (spine chart and table) and two areas side by side."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from healthgap.errors import InputError
from healthgap.publish.report.charts import spine_chart
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
from healthgap.publish.web._published import Published, computed_once
from healthgap.publish.web._selection import (
    comparator_choice,
    hidden,
    latest_flag,
    profile_areas,
    series_label,
    totals,
)


@computed_once(8)
def _spine_frame(pub: Published, comparator: str) -> pl.DataFrame:
    """Every indicator's latest totals of every area with its peers' range, all at once.

    Built once per comparator (the store is read-only); an area's spine is a filter of it.
    """
    peers = profile_areas(pub)
    bench = pub.comparators[comparator].code
    frames = [latest_flag(totals(pub, i)).filter(pl.col("latest")) for i in pub.indicators]
    frames = [f for f in frames if f.height]
    if not frames:
        return pl.DataFrame()
    order = pl.DataFrame(
        {
            "indicator_id": list(pub.indicators),
            "_order": list(range(len(pub.indicators))),
            "polarity": [m.polarity for m in pub.indicators.values()],
        }
    )
    keys = ["indicator_id", "sex", "age"]
    latest = (
        pl.concat(frames, how="diagonal_relaxed")
        .join(order, on="indicator_id")
        .with_columns(_sign=pl.when(pl.col("polarity") == "low_is_good").then(-1.0).otherwise(1.0))
        .with_columns(_s=pl.col("value") * pl.col("_sign"))
    )
    stats = (
        latest.filter(pl.col("area_code").is_in(peers))
        .group_by(keys)
        .agg(
            _lo=pl.col("_s").min(),
            _hi=pl.col("_s").max(),
            _q25=pl.col("_s").quantile(0.25, "linear"),
            _q75=pl.col("_s").quantile(0.75, "linear"),
        )
    )
    benchmark = latest.filter(pl.col("area_code") == bench).select(*keys, _b="_s")
    out = latest.join(stats, on=keys, how="left").join(benchmark, on=keys, how="left")
    centre = pl.col("_b").fill_null((pl.col("_lo") + pl.col("_hi")) / 2)
    half = pl.max_horizontal((centre - pl.col("_lo")).abs(), (pl.col("_hi") - centre).abs())

    def pos(expr: pl.Expr) -> pl.Expr:
        return pl.when(half > 0).then(0.5 + 0.5 * (expr - centre) / half).otherwise(0.5)

    series = out.select(keys).unique()
    labels = series.with_columns(
        label=pl.Series(
            [series_label(pub, i, s, a) for i, s, a in series.iter_rows()], dtype=pl.String
        )
    )
    return (
        out.join(labels, on=keys, how="left")
        .with_columns(
            benchmark=pl.col("_b") * pl.col("_sign"),
            worst=pl.col("_lo") * pl.col("_sign"),
            best=pl.col("_hi") * pl.col("_sign"),
            q25=pl.col("_q25") * pl.col("_sign"),
            q75=pl.col("_q75") * pl.col("_sign"),
            p_worst=pos(pl.col("_lo")),
            p_best=pos(pl.col("_hi")),
            p_q25=pos(pl.col("_q25")),
            p_q75=pos(pl.col("_q75")),
            p_value=pos(pl.col("_s")),
            p_benchmark=pos(pl.col("_b")),
            comparison=pl.col(f"compared_{comparator}").fill_null("Not compared"),
            trend=pl.col("recent_trend").fill_null("Cannot be calculated"),
        )
        .sort("_order", "sex", "age")
    )


def spine_rows(pub: Published, code: str, comparator: str) -> pl.DataFrame:
    """Spine-chart rows of an area: its latest values against the range of its peers.

    Peers are the profile areas; positions scale each indicator so that the comparator sits
    at 0.5 and the farthest peer at 0 or 1, worst on the left (Fingertips' spine chart).
    """
    frame = _spine_frame(pub, comparator)
    if frame.is_empty():
        return frame
    return frame.filter(pl.col("area_code") == code).with_columns(position=pl.int_range(pl.len()))


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
            versus=bench.name,
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
        filters=("sex",),
    )


SIDE_KEYS = ("indicator_id", "sex", "age")
SIDE_LEFT = ("label", "period", "value", "comparison")
SIDE_RIGHT = ("period", "value", "comparison")


def side_by_side(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Two areas' spine rows joined on the series: the first area's rows in order, each with
    the second's, then the second's series the first lacks (empty when either has none).

    Columns: the keys, ``label, period, value, comparison`` of the first area and
    ``period_b, value_b, comparison_b`` of the second. The order is fixed, so the static
    site can join the two areas in the browser and give the same rows.
    """
    if not (left.height and right.height):
        return pl.DataFrame()
    return left.select(*SIDE_KEYS, *SIDE_LEFT).join(
        right.select(*SIDE_KEYS, *SIDE_RIGHT),
        on=list(SIDE_KEYS),
        how="full",
        coalesce=True,
        suffix="_b",
        maintain_order="left_right",
    )


def compare(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Two areas side by side (``a`` and ``b``), every indicator's latest value."""
    areas = profile_areas(pub)
    a = state.get("a") or (areas[0] if areas else "")
    b = state.get("b") or (areas[1] if len(areas) > 1 else a)
    for name, code in (("a", a), ("b", b)):
        if code not in pub.names:
            raise InputError(f"parameter '{name}' must be an area code in the store; got {code!r}")
    both = side_by_side(spine_rows(pub, a, comparator), spine_rows(pub, b, comparator))
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
