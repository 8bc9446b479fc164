"""Pages about indicators and areas: overview (tartan rug), borough profiles, indicator pages."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report import _style
from healthgap.publish.report._charts import (
    bar_chart,
    decile_chart,
    fmt,
    map_chart,
    trend_chart,
)
from healthgap.publish.report._data import SERIES, ReportData
from healthgap.publish.report._model import Page, Section, Table, plain_table
from healthgap.publish.report._special_charts import gap_chart, spine_chart

HEADLINES = (
    ("le_sii", "Gap in life expectancy (slope index of inequality)"),
    ("hle_male", "Healthy life expectancy"),
)
#: The PDF shows fewer charts than the site (WeasyPrint draws each SVG slowly): every section
#: is there, and each says what more the HTML report and the downloads hold.
PRINT_MAP = False
PRINT_TREND = False
PRINT_GRADIENT = False
PRINT_BOROUGH_GAP = False
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


def _series_frame(data: ReportData) -> pl.DataFrame:
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
    series = _series_frame(data)
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


def _spine_rows(data: ReportData) -> pl.DataFrame:
    """Spine-chart rows of every borough at once: value, range, quartiles and positions."""
    series = _series_frame(data)
    latest = data.latest.join(series, on=list(SERIES))
    sign = pl.when(pl.col("polarity") == "low_is_good").then(-1.0).otherwise(1.0)
    boroughs = latest.filter(pl.col("area_code") != data.london)
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
    london = latest.filter(pl.col("area_code") == data.london).select(*SERIES, london="value")
    out = boroughs.join(stats, on=list(SERIES)).join(london, on=list(SERIES), how="left")
    trends = (
        data.trends.select(*SERIES, "area_code", "trend")
        if data.trends.height
        else pl.DataFrame(
            schema={**dict.fromkeys((*SERIES, "area_code"), pl.String), "trend": pl.String}
        )
    )
    out = out.join(trends, on=[*SERIES, "area_code"], how="left").with_columns(
        _sign=sign, _b=pl.col("london") * sign
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
        p_london=pos("_b"),
        comparison=pl.col("comparison").fill_null("Not compared"),
        trend=pl.col("trend").fill_null("Cannot be calculated"),
    ).sort("area_code", "position")


def borough_pages(data: ReportData) -> list[Page]:
    """One profile per borough: spine chart with trend markers and deprivation gradient."""
    spines = _spine_rows(data)
    by_area = spines.partition_by("area_code", as_dict=True)
    gradients = data.deciles.filter(pl.col("area_code") != data.london)
    gaps = data.gaps.partition_by("area_code", as_dict=True) if data.gaps.height else {}
    pages = []
    for code in data.boroughs:
        name = data.names[code]
        rows = by_area.get((code,))
        sections = []
        spine = Section("spine", "How the borough compares")
        spine.paragraphs.append(
            LEGEND + " Bars show the range of the boroughs' values (worst "
            "on the left), the darker part their middle half; the line "
            "is London."
        )
        if rows is not None and rows.height:
            spine.items.append(
                spine_chart(
                    f"borough-{code.lower()}-spine",
                    f"{name} compared with London and the boroughs",
                    rows,
                )
            )
            trend_rows = rows.select(
                pl.col("label").alias("Indicator"), pl.col("trend").alias("Recent trend")
            )
            spine.items.append(
                plain_table(
                    f"borough-{code.lower()}-trends",
                    f"Recent trends in {name}",
                    trend_rows,
                    in_print=False,
                )
            )
        else:
            spine.paragraphs.append("No indicator values for this borough in this vintage.")
        sections.append(spine)
        sections.append(
            _gradient_section(data, gradients.filter(pl.col("area_code") == code), code, name)
        )
        gap = gaps.get((code,))
        if gap is not None and gap["value"].is_not_null().any():
            sec = Section("gap", "Life expectancy gap by age and cause")
            sec.paragraphs.append(
                f"Years of the gap in life expectancy between {name}'s most and least "
                f"deprived areas (within-London deciles), {gap['period'][0]}, by the age and "
                "the cause of the deaths behind it."
            )
            sec.items.append(
                gap_chart(
                    f"borough-{code.lower()}-gap",
                    f"Life expectancy gap, {name}",
                    gap.select("category_type", "category", "order", "sex", "period", "value"),
                    in_print=PRINT_BOROUGH_GAP,
                )
            )
            sections.append(sec)
        pages.append(
            Page(
                f"borough-{code.lower()}",
                name,
                f"Profile of {name}: every indicator against London and the "
                "other boroughs, trends and the deprivation gradient.",
                sections,
                nav="boroughs",
            )
        )
    return pages


def _gradient_section(data: ReportData, deciles: pl.DataFrame, code: str, name: str) -> Section:
    section = Section("gradient", "Deprivation gradient")
    ids = [i for i in data.order if i in set(deciles["indicator_id"].to_list())]
    if not ids:
        section.paragraphs.append("No values by deprivation decile for this area.")
        return section
    chosen = ids[0]
    rows = deciles.filter(pl.col("indicator_id") == chosen)
    lines = data.sii_lines.filter(
        (pl.col("indicator_id") == chosen) & (pl.col("area_code") == code)
    )
    section.paragraphs.append(
        f"{data.meta(chosen).name} in {name} by within-London deprivation decile "
        f"({rows['period'][0]}), with the slope index of inequality line."
    )
    section.items.append(
        decile_chart(
            f"borough-{code.lower()}-gradient",
            f"{data.meta(chosen).name} by deprivation decile, {name}",
            _decile_rows(rows),
            lines.select(series="sex", sii="sii", intercept="intercept"),
            data.meta(chosen).unit,
            in_print=PRINT_GRADIENT,
        )
    )
    return section


def _decile_rows(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(
        series="sex", decile="decile", value="value", lower="lower95_0cl", upper="upper95_0cl"
    )


def indicator_pages(data: ReportData) -> list[Page]:
    """One page per indicator: map, compare-areas chart, trend, deciles and definitions."""
    pages = []
    latest = data.latest
    yearly = data.values.filter((pl.col("category_type") == "") & (pl.col("period_years") == 1))
    for i in data.order:
        meta = data.meta(i)
        sections = []
        for n, (sex, age) in enumerate(data.series(i)):
            label = series_label(data, i, sex, age)
            rows = latest.filter(
                (pl.col("indicator_id") == i) & (pl.col("sex") == sex) & (pl.col("age") == age)
            )
            period = rows["period"].max()
            bench = rows.filter(pl.col("area_code") == data.london)["value"]
            bench_value = bench[0] if bench.len() else None
            boroughs = rows.filter(pl.col("area_code") != data.london).select(
                "area_code",
                "area_name",
                "value",
                lower="lower95_0cl",
                upper="upper95_0cl",
                comparison=pl.col("comparison").fill_null("Not compared"),
            )
            key = f"indicator-{slug(i)}-{slug(sex)}-{slug(age)}"
            sec = Section(f"series-{n}", f"{label}, {period}")
            sec.paragraphs.append(f"London: {fmt(bench_value)} {meta.unit}. " + LEGEND)
            if not boroughs["value"].is_not_null().any():
                sec.paragraphs.append("No borough has a published value for this period.")
                sections.append(sec)
                continue
            sec.items.append(
                map_chart(
                    f"{key}-map",
                    f"{label}, {period}: map",
                    boroughs,
                    data.geometry,
                    in_print=PRINT_MAP and n == 0,
                )
            )
            sec.items.append(
                bar_chart(
                    f"{key}-bars",
                    f"{label}, {period}: boroughs compared",
                    boroughs,
                    meta.unit,
                    bench_value,
                    in_print=n == 0,
                )
            )
            trend = _trend_rows(data, yearly, i, sex, age, boroughs)
            if trend.height:
                sec.items.append(
                    trend_chart(
                        f"{key}-trend",
                        f"{label}: trend",
                        trend,
                        meta.unit,
                        in_print=PRINT_TREND and n == 0,
                    )
                )
            sections.append(sec)
        sections.append(_london_deciles(data, i))
        sections.append(definitions_section(data, i))
        pages.append(
            Page(
                f"indicator-{slug(i)}",
                meta.name,
                f"{meta.name}: every borough compared with London, trends, "
                "inequality by deprivation and the definition.",
                sections,
                nav="indicators",
            )
        )
    return pages


def _trend_rows(
    data: ReportData, yearly: pl.DataFrame, i: str, sex: str, age: str, boroughs: pl.DataFrame
) -> pl.DataFrame:
    """London and the boroughs with the lowest and highest latest values, over time."""
    ranked = boroughs.drop_nulls("value").sort("value", "area_name")
    chosen = [data.london] if data.london else []
    if ranked.height:
        chosen += [ranked["area_code"][0], ranked["area_code"][-1]]
    rows = yearly.filter(
        (pl.col("indicator_id") == i)
        & (pl.col("sex") == sex)
        & (pl.col("age") == age)
        & pl.col("area_code").is_in(chosen)
    )
    return rows.select(
        series=pl.col("area_code").replace_strict(data.names),
        year="period_start",
        period="period",
        value="value",
        lower="lower95_0cl",
        upper="upper95_0cl",
    )


def _london_deciles(data: ReportData, i: str) -> Section:
    section = Section("deciles", "Inequality by deprivation in London")
    rows = data.deciles.filter((pl.col("indicator_id") == i) & (pl.col("area_code") == data.london))
    if rows.is_empty():
        section.paragraphs.append("No values by deprivation decile for London in this vintage.")
        return section
    lines = data.sii_lines.filter(
        (pl.col("indicator_id") == i) & (pl.col("area_code") == data.london)
    )
    section.paragraphs.append(
        f"Values in London's within-London IMD deciles ({rows['period'][0]}); the dashed "
        "line is the weighted least-squares line whose rise across the deciles is the "
        "slope index of inequality."
    )
    section.items.append(
        decile_chart(
            f"indicator-{slug(i)}-deciles",
            f"{data.meta(i).name} by deprivation decile, London",
            _decile_rows(rows),
            lines.select(series="sex", sii="sii", intercept="intercept"),
            data.meta(i).unit,
        )
    )
    return section


def definitions_section(data: ReportData, i: str, level: int = 2) -> Section:
    """The indicator's metadata as a definition list."""
    m = data.meta(i)
    section = Section(f"definition-{slug(i)}", "Definition" if level == 2 else m.name, level=level)
    fields = [
        ("Definition", m.definition),
        ("Rationale", m.rationale),
        ("Numerator", m.numerator_definition),
        ("Denominator", m.denominator_definition),
        ("Statistic", m.statistic),
        ("Method", m.method),
        ("Unit", m.unit),
        ("Confidence interval method", m.ci_method),
        ("Standard population", m.standard_population or ""),
        ("Polarity", m.polarity.replace("_", " ")),
        ("Age", m.age),
        ("Sex", ", ".join(m.sex)),
        ("Year type", m.year_type),
        ("Frequency", m.frequency),
        ("Data source", m.data_source),
        (
            "Disclosure control",
            f"counts 1 to {m.disclosure.suppress_below - 1} withheld"
            + (", and zero" if m.disclosure.suppress_zero else "")
            + (f"; counts rounded to {m.disclosure.round_to}" if m.disclosure.round_to else "")
            + ("; secondary suppression" if m.disclosure.secondary else ""),
        ),
        ("Caveats", m.caveats),
        ("Licence", m.licence),
        ("Attribution", m.attribution),
    ]
    section.definitions = [(k, v) for k, v in fields if v]
    return section
