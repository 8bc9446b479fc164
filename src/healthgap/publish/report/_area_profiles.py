"""One profile page per area: spine chart, trends, deprivation gradient and the gap."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report._data import SERIES, ReportData
from healthgap.publish.report._labels import series_frame
from healthgap.publish.report._model import Page, Section
from healthgap.publish.report._profile import profile_rows, profile_table
from healthgap.publish.report.charts import (
    decile_chart,
    gap_chart,
    spine_chart,
)


def _spine_rows(data: ReportData) -> pl.DataFrame:
    """Spine-chart rows of every borough at once: value, range, quartiles and positions."""
    series = series_frame(data)
    latest = data.latest.join(series, on=list(SERIES))
    sign = pl.when(pl.col("polarity") == "low_is_good").then(-1.0).otherwise(1.0)
    boroughs = latest.filter(pl.col("area_code").is_in(data.boroughs))
    stats = (
        boroughs.with_columns(_s=pl.col("value") * sign)
        .group_by(SERIES)
        .agg(
            _lo=pl.col("_s").min(),
            _hi=pl.col("_s").max(),
            _q25=pl.col("_s").quantile(0.25, "linear"),
            _q75=pl.col("_s").quantile(0.75, "linear"),
        )
    )
    region = latest.filter(pl.col("area_code") == data.region).select(*SERIES, benchmark="value")
    out = boroughs.join(stats, on=list(SERIES)).join(region, on=list(SERIES), how="left")
    trends = (
        data.trends.select(*SERIES, "area_code", "trend")
        if data.trends.height
        else pl.DataFrame(
            schema={**dict.fromkeys((*SERIES, "area_code"), pl.String), "trend": pl.String}
        )
    )
    out = out.join(trends, on=[*SERIES, "area_code"], how="left").with_columns(
        _sign=sign, _b=pl.col("benchmark") * sign
    )
    centre = pl.col("_b").fill_null((pl.col("_lo") + pl.col("_hi")) / 2)
    half = pl.max_horizontal((centre - pl.col("_lo")).abs(), (pl.col("_hi") - centre).abs())

    def pos(col: str | pl.Expr) -> pl.Expr:
        e = pl.col(col) if isinstance(col, str) else col
        return pl.when(half > 0).then(0.5 + 0.5 * (e - centre) / half).otherwise(0.5)

    return out.with_columns(
        worst=pl.col("_lo") * pl.col("_sign"),
        best=pl.col("_hi") * pl.col("_sign"),
        q25=pl.col("_q25") * pl.col("_sign"),
        q75=pl.col("_q75") * pl.col("_sign"),
        p_worst=pos("_lo"),
        p_best=pos("_hi"),
        p_q25=pos("_q25"),
        p_q75=pos("_q75"),
        p_value=pos(pl.col("value") * pl.col("_sign")),
        p_benchmark=pos("_b"),
        comparison=pl.col("comparison").fill_null("Not compared"),
        trend=pl.col("trend").fill_null("Cannot be calculated"),
    ).sort("area_code", "position")


def borough_pages(data: ReportData) -> list[Page]:
    """One profile per area: its comparisons, spine chart, deprivation gradient and gap."""
    spines = _spine_rows(data)
    by_area = spines.partition_by("area_code", as_dict=True)
    profiles = profile_rows(data).partition_by("area_code", as_dict=True)
    gradients = data.deciles.filter(pl.col("area_code").is_in(data.boroughs))
    gaps = data.gaps.partition_by("area_code", as_dict=True) if data.gaps.height else {}
    region = data.region_name
    pages = []
    for code in data.boroughs:
        name = data.names[code]
        rows = by_area.get((code,))
        sections = []
        spine = Section("spine", "How the area compares")
        sections.append(spine)
        if rows is not None and rows.height:
            profile = profiles.get((code,))
            if profile is not None:
                spine.items.append(
                    profile_table(data, f"borough-{code.lower()}-profile", name, profile)
                )
            chart = Section("spine-chart", "Spine chart", level=3, in_print=False)
            chart.paragraphs.append(
                f"Bars show the range of the areas' values (worst on the left), the darker "
                f"part their middle half; the line is {region}."
            )
            chart.items.append(
                spine_chart(
                    f"borough-{code.lower()}-spine",
                    f"{name} compared with {region} and the other areas",
                    rows,
                    versus=region,
                    in_print=False,  # the PDF has the profile table
                )
            )
            sections.append(chart)
        else:
            spine.paragraphs.append("No indicator values for this area in these vintages.")
        sections.append(
            _gradient_section(data, gradients.filter(pl.col("area_code") == code), code, name)
        )
        gap = gaps.get((code,))
        if gap is not None and gap["value"].is_not_null().any():
            sec = Section("gap", "Life expectancy gap by age and cause")
            sec.paragraphs.append(
                f"Years of the gap in life expectancy between {name}'s most and least "
                f"deprived areas, {gap['period'][0]}, by the age and the cause of the deaths "
                "behind it."
            )
            sec.items.append(
                gap_chart(
                    f"borough-{code.lower()}-gap",
                    f"Life expectancy gap, {name}",
                    gap.select("category_type", "category", "order", "sex", "period", "value"),
                    compact=True,
                )
            )
            sections.append(sec)
        pages.append(
            Page(
                f"borough-{code.lower()}",
                name,
                f"Profile of {name}: every indicator against {region}"
                + (f" and {data.national_name}" if data.national else "")
                + ", trends and the deprivation gradient.",
                sections,
                nav="boroughs",
                kind="profile",
            )
        )
    return pages


def _gradient_section(data: ReportData, deciles: pl.DataFrame, code: str, name: str) -> Section:
    section = Section("gradient", "Deprivation gradient")
    ids = [i for i in data.order if i in set(deciles["indicator_id"].to_list())]
    if not ids:
        section.paragraphs.append("No values by deprivation decile for this area.")
        section.in_print = False  # nothing to show: no near-empty block in the PDF
        return section
    # the first indicator whose gradient has its SII line, else the first with deciles
    fitted = data.sii_lines.filter(pl.col("area_code") == code)["indicator_id"].to_list()
    chosen = next((i for i in ids if i in set(fitted)), ids[0])
    rows = deciles.filter(pl.col("indicator_id") == chosen)
    lines = data.sii_lines.filter(
        (pl.col("indicator_id") == chosen) & (pl.col("area_code") == code)
    )
    text = (
        f"{data.meta(chosen).name} in {name} by deprivation decile "
        f"({rows['category_type'][0]}, {rows['period'][0]})"
    )
    if lines.height:
        text += ", with the slope index of inequality line (dashed)."
    else:
        text += "; too few deciles have values to fit a slope index of inequality line."
    section.paragraphs.append(text)
    section.items.append(
        decile_chart(
            f"borough-{code.lower()}-gradient",
            f"{data.meta(chosen).name} by deprivation decile, {name}",
            decile_rows(rows),
            lines.select(series="sex", sii="sii", intercept="intercept"),
            data.meta(chosen).unit,
            compact=True,
        )
    )
    return section


def decile_rows(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(
        series="sex", decile="decile", value="value", lower="lower95_0cl", upper="upper95_0cl"
    )
