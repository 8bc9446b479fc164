"""Inequality views: values by deprivation decile, ethnic group and sex; gaps over time."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

import polars as pl

from healthgap.errors import InputError, SuppressedWarning
from healthgap.publish.report.charts import decile_chart, trend_chart
from healthgap.publish.web._indicator import indicator_choice
from healthgap.publish.web._model import (
    Cell,
    Row,
    Section,
    Table,
    View,
    fmt,
)
from healthgap.publish.web._published import Published
from healthgap.publish.web._selection import (
    breakdown_indicators,
    comparator_choice,
    hidden,
)


def inequalities_index(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Indicators with breakdowns (deprivation, ethnic group, sex)."""
    ids = breakdown_indicators(pub)
    links = [(f"inequalities-{i}.html", pub.indicators[i].name) for i in ids]
    return View(
        "inequalities",
        "Inequalities",
        "Gaps between deprivation deciles, ethnic groups and sexes, and the slope index of "
        "inequality over time.",
        "inequalities",
        [],
        [Section("indicators", "Indicators with breakdowns", links=links)],
    )


def inequalities_view(
    pub: Published, indicator_id: str, state: Mapping[str, str], comparator: str
) -> View:
    """One indicator by breakdown: latest values by category, deciles with SII, SII over time."""
    from healthgap.publish.web._inequality import measures_by_breakdown

    meta = pub.indicators[indicator_id]
    bench = pub.comparators[comparator]
    values = pub.values(indicator_id).filter(pl.col("area_code") == bench.code)
    sections = []
    for ctype in sorted(set(values["category_type"].to_list()) - {""}):
        part = values.filter(pl.col("category_type") == ctype)
        latest = pub.latest_period(part)
        now = part.filter(pl.col("period") == latest)
        slug = re.sub(r"[^a-z0-9]+", "-", ctype.lower()).strip("-")
        items: list = []
        deciles = now.with_columns(
            decile=pl.col("category").str.extract(r"^(\d+)").cast(pl.Int64, strict=False)
        )
        ordered = deciles["decile"].null_count() == 0
        try:
            measures = measures_by_breakdown(part, meta.polarity, ["sii"] if ordered else ["d"])
        except InputError:
            measures = pl.DataFrame()
        if ordered and deciles.height:
            rows = deciles.select(
                series=pl.col("sex"),
                decile="decile",
                value="value",
                lower="lower95_0cl",
                upper="upper95_0cl",
            )
            lines = _sii_lines(deciles)
            items.append(
                decile_chart(
                    f"deciles-{indicator_id}-{slug}",
                    f"{meta.name} by {ctype}, {bench.name}, {latest}",
                    rows,
                    lines,
                    meta.unit,
                )
            )
        if measures.height:
            over_time = measures.join(
                part.select("period", "period_start", "period_years").unique(), on="period"
            ).select(
                series=pl.format("{} ({})", pl.col("measure").str.to_uppercase(), pl.col("sex")),
                year=pl.col("period_start") + pl.col("period_years") - 1,
                period="period",
                value="value",
                lower="lower95_0cl" if "lower95_0cl" in measures.columns else "lowercl",
                upper="upper95_0cl" if "upper95_0cl" in measures.columns else "uppercl",
            )
            name = "Slope index of inequality" if ordered else "Difference between groups"
            items.append(
                trend_chart(
                    f"gap-{indicator_id}-{slug}",
                    f"{name} over time: {meta.name}, {bench.name}",
                    over_time,
                    meta.unit,
                )
            )
        rows_out = [
            Row(
                [
                    Cell(r["category"]),
                    Cell(r["sex"]),
                    Cell(r["period"]),
                    Cell(fmt(r["value"])),
                    Cell(fmt(r["lower95_0cl"])),
                    Cell(fmt(r["upper95_0cl"])),
                    Cell(r["value_note"] or ""),
                ],
                {"sex": r["sex"]},
            )
            for r in now.sort("sex", "category").iter_rows(named=True)
        ]
        frame = now.select(
            "indicator_id",
            "area_code",
            "area_name",
            "period",
            "sex",
            "age",
            "category_type",
            "category",
            "value",
            "lower95_0cl",
            "upper95_0cl",
            "value_note",
        )
        items.append(
            Table(
                f"breakdown-{indicator_id}-{slug}",
                f"{meta.name} by {ctype}, {bench.name}, {latest}",
                [
                    "Category",
                    "Sex",
                    "Period",
                    "Value",
                    "Lower 95% limit",
                    "Upper 95% limit",
                    "Note",
                ],
                rows_out,
                frame,
            )
        )
        sections.append(Section(f"by-{slug}", f"By {ctype}", items=items))
    by_sex = _by_sex(pub, indicator_id, values.filter(pl.col("category_type") == ""), bench.name)
    if by_sex is not None:
        sections.append(by_sex)
    if not sections:
        sections.append(
            Section("none", "No breakdowns", [f"{bench.name} has no breakdown of this indicator."])
        )
    return View(
        f"inequalities-{indicator_id}",
        f"Inequalities: {meta.name}",
        f"{meta.name} in {bench.name} by deprivation, ethnic group and sex.",
        "inequalities",
        [indicator_choice(pub, indicator_id, "inequalities"), comparator_choice(pub, comparator)],
        sections,
        hidden(state, ("sex",)),
        filters=("sex",),
    )


def _sii_lines(deciles: pl.DataFrame) -> pl.DataFrame:
    """The fitted SII line (intercept at rank 0, slope) of each sex's deciles, all at once.

    PHE's linear SII (:func:`healthgap.methods.sii`): population shares from the published
    denominators when all are present, equal otherwise; series with a withheld value or fewer
    than five deciles get no line.
    """
    from healthgap.methods import sii

    empty = pl.DataFrame(schema={"series": pl.String, "sii": pl.Float64, "intercept": pl.Float64})
    usable = deciles.group_by("sex").agg(
        n=pl.len(),
        complete=pl.col("value").is_not_null().all() & pl.col("lower95_0cl").is_not_null().all(),
        populations=(pl.col("denominator").is_not_null() & (pl.col("denominator") > 0)).all(),
    )
    usable = usable.filter(pl.col("complete") & (pl.col("n") >= 5))
    if usable.is_empty():
        return empty
    frame = deciles.join(usable, on="sex").with_columns(
        _pop=pl.when(pl.col("populations")).then(pl.col("denominator")).otherwise(1.0),
        _se=((pl.col("upper95_0cl") - pl.col("lower95_0cl")) / 3.92).clip(lower_bound=1e-9),
        _rank=pl.col("decile").cast(pl.Float64),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        out = sii(
            frame.select("sex", "_rank", "_pop", "value", "_se"),
            "_rank",
            "_pop",
            value="value",
            se="_se",
            group_by=["sex"],
            repetitions=1000,
            seed=1,
            intercept=True,
            type="standard",
        )
    return out.select(series="sex", sii="sii", intercept="intercept")


def _by_sex(pub: Published, indicator_id: str, totals: pl.DataFrame, place: str) -> Section | None:
    """Males against females over time, and the gap between them (female minus male)."""
    meta = pub.indicators[indicator_id]
    pair = totals.filter(pl.col("sex").is_in(["Male", "Female"]))
    if set(pair["sex"].to_list()) != {"Male", "Female"}:
        return None
    lines = pair.select(
        series="sex",
        year=pl.col("period_start") + pl.col("period_years") - 1,
        period="period",
        value="value",
        lower="lower95_0cl",
        upper="upper95_0cl",
    )
    wide = (
        pair.filter(pl.col("sex") == "Female")
        .select("period", "period_start", "age", female="value")
        .join(
            pair.filter(pl.col("sex") == "Male").select("period", "age", male="value"),
            on=["period", "age"],
        )
        .with_columns(gap=pl.col("female") - pl.col("male"))
        .sort("period_start", "period")
    )
    rows = [
        Row([Cell(r["period"]), Cell(fmt(r["female"])), Cell(fmt(r["male"])), Cell(fmt(r["gap"]))])
        for r in wide.iter_rows(named=True)
    ]
    chart = trend_chart(f"sex-{indicator_id}", f"{meta.name} by sex, {place}", lines, meta.unit)
    table = Table(
        f"sex-gap-{indicator_id}",
        f"{meta.name}: females, males and the gap (female minus male), {place}",
        ["Period", "Female", "Male", "Gap"],
        rows,
        wide.select("period", "age", "female", "male", "gap"),
    )
    return Section("by-sex", "By sex", items=[chart, table])
