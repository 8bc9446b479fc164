"""The dashboard's views, built from the published vintage set (all judged values, no I/O).

``view(pub, slug, state)`` builds one page; ``slugs(pub)`` lists every page the static export
writes. The state is the query string (``comparator``, ``sex``, ``period``, ``domain``, ``a``,
``b``): tables carry every row with its filter values, and rows a filter excludes are hidden,
so the page works without script and the script can change filters without a reload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import polars as pl

from healthgap.errors import InputError
from healthgap.publish.report._charts import bar_chart, decile_chart, map_chart, trend_chart
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
from healthgap.publish.web._published import NotPublishedError, Published

SLUG = re.compile(
    r"^(index|definitions|downloads|commitments|world|compare|inequalities)$|^(area|indicator|inequalities)-([A-Za-z0-9_.]+)$"
)
NAV = (
    ("index.html", "Overview", "index"),
    ("area-{area}.html", "Area profile", "area"),
    ("indicator-{indicator}.html", "Indicator", "indicator"),
    ("inequalities.html", "Inequalities", "inequalities"),
    ("commitments.html", "Commitments", "commitments"),
    ("world.html", "World cities", "world"),
    ("compare.html", "Compare two areas", "compare"),
    ("definitions.html", "Definitions and sources", "definitions"),
    ("downloads.html", "Downloads", "downloads"),
)
TOTALS = pl.col("category_type") == ""


def slugs(pub: Published) -> list[str]:
    """Every page of the tool (what the static export writes)."""
    fixed = ["index", "definitions", "downloads", "commitments", "world", "compare"]
    areas = [f"area-{c}" for c in profile_areas(pub)]
    indicators = [f"indicator-{i}" for i in pub.indicators]
    unequal = [f"inequalities-{i}" for i in breakdown_indicators(pub)]
    return [*fixed, "inequalities", *areas, *indicators, *unequal]


def view(pub: Published, slug: str, state: Mapping[str, str]) -> View:
    """Build the page ``slug`` in ``state``.

    Raises
    ------
    NotPublishedError
        When the page names an area or indicator that is not published.
    InputError
        When a filter has a value it cannot take (the message names the filter).
    """
    match = SLUG.match(slug)
    if match is None:
        raise NotPublishedError(f"no page {slug!r}")
    comparator = state.get("comparator") or default_comparator(pub)
    if comparator not in pub.comparators:
        raise InputError(
            f"parameter 'comparator' must be one of {list(pub.comparators)}; got {comparator!r}"
        )
    if match.group(1):
        builder = {
            "index": overview,
            "definitions": definitions,
            "downloads": downloads,
            "commitments": commitments,
            "world": world,
            "compare": compare,
            "inequalities": inequalities_index,
        }[match.group(1)]
        return builder(pub, state, comparator)
    kind, key = match.group(2), match.group(3)
    if kind == "area":
        pub.area(key)
        return area_profile(pub, key, state, comparator)
    pub.indicator(key)
    if kind == "indicator":
        return indicator_view(pub, key, state, comparator)
    return inequalities_view(pub, key, state, comparator)


# -- shared pieces ------------------------------------------------------------------------


def default_comparator(pub: Published) -> str:
    """The region when the store has one (London), else England."""
    return "region" if "region" in pub.comparators else next(iter(pub.comparators), "england")


def comparator_choice(pub: Published, comparator: str) -> Choice:
    """The comparator filter (England or the region)."""
    options = [(k, c.name) for k, c in pub.comparators.items()]
    return Choice("comparator", "Compare with", options, comparator)


def profile_areas(pub: Published) -> list[str]:
    """Areas with a profile page: the local authorities (of the region when there is one)."""
    areas = pub.areas.filter(pl.col("area_type").is_in(["la", "county"]))
    region = pub.comparators.get("region")
    if region is not None:
        children = pub.links.filter(pl.col("parent_code") == region.code)["child_code"]
        inside = areas.filter(pl.col("area_code").is_in(children.implode()))
        if inside.height:
            areas = inside
    return areas.sort("area_name", "area_code")["area_code"].to_list()


def breakdown_indicators(pub: Published) -> list[str]:
    """Indicators with values by a breakdown (deprivation, ethnic group, ...)."""
    out = []
    for indicator_id in pub.indicators:
        types = set(pub.values(indicator_id)["category_type"].unique().to_list())
        if types - {""}:
            out.append(indicator_id)
    return out


def series_label(pub: Published, indicator_id: str, sex: str, age: str) -> str:
    """'Indicator name (Male, 65+ yrs)': sex and age when the indicator has several."""
    meta = pub.indicators[indicator_id]
    extra = [s for s in (sex if len(meta.sex) > 1 or sex != "Persons" else "", age) if s]
    extra = [e for e in extra if e != meta.age or e in ("Male", "Female")]
    return f"{meta.name} ({', '.join(extra)})" if extra else meta.name


def _hidden(state: Mapping[str, str], names: tuple[str, ...]) -> dict[str, list[str]]:
    """Filters currently set: rows whose value differs are hidden."""
    return {n: [state[n]] for n in names if state.get(n)}


def _totals(pub: Published, indicator_id: str) -> pl.DataFrame:
    frame = pub.judged(indicator_id).filter(TOTALS)
    return frame


def _latest_flag(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds ``latest``: the row's period is its series' latest (end year; single years first)."""
    ranked = frame.with_columns(_end=pl.col("period_start") + pl.col("period_years"))
    best = (
        ranked.sort(["_end", "period_years"], descending=[True, False])
        .group_by(["indicator_id", "sex", "age"], maintain_order=True)
        .first()
        .select("indicator_id", "sex", "age", _latest_period="period")
    )
    return (
        ranked.join(best, on=["indicator_id", "sex", "age"], how="left")
        .with_columns(latest=pl.col("period") == pl.col("_latest_period"))
        .drop("_end", "_latest_period")
    )


def _period_choice(periods: list[str], value: str) -> Choice:
    options = [("latest", "Latest"), *[(p, p) for p in periods]]
    return Choice("period", "Period", options, value or "latest")


def _sex_choice(sexes: list[str], value: str) -> Choice:
    return Choice("sex", "Sex", [("", "All"), *[(s, s) for s in sexes]], value)


# -- overview ---------------------------------------------------------------------------------


def overview(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Every indicator by area, coloured by comparison with England or the region."""
    areas = profile_areas(pub)
    columns = [c.code for c in pub.comparators.values()] + areas
    domain_of = pub.domain_of()
    frames = [_totals(pub, i).filter(pl.col("area_code").is_in(columns)) for i in pub.indicators]
    frames = [f for f in frames if f.height]
    rows: list[Row] = []
    flat = []
    sexes: set[str] = set()
    periods: set[str] = set()
    for frame in frames:
        frame = _latest_flag(frame)
        indicator_id = frame["indicator_id"][0]
        meta = pub.indicators[indicator_id]
        for (sex, age, period), part in frame.group_by(
            ["sex", "age", "period"], maintain_order=True
        ):
            sexes.add(sex)
            periods.add(period)
            by_area = {r["area_code"]: r for r in part.iter_rows(named=True)}
            label = series_label(pub, indicator_id, sex, age)
            cells = [
                Cell(label, href=f"indicator-{indicator_id}.html"),
                Cell(period),
            ]
            for code in columns:
                r = by_area.get(code)
                if r is None:
                    cells.append(Cell("-"))
                    continue
                cell = comparison_cell(r["value"], r[f"compared_{comparator}"])
                cell.attrs = {
                    f"data-cmp-{k}": r[f"compared_{k}"] or "Not compared" for k in pub.comparators
                }
                cells.append(cell)
                flat.append(
                    {
                        "_row": len(rows),
                        "domain": domain_of.get(indicator_id, "other"),
                        "indicator_id": indicator_id,
                        "indicator": meta.name,
                        "sex": sex,
                        "age": age,
                        "period": period,
                        "area_code": code,
                        "area_name": pub.names.get(code),
                        "value": r["value"],
                        "lower95_0cl": r["lower95_0cl"],
                        "upper95_0cl": r["upper95_0cl"],
                        "value_note": r["value_note"],
                        **{f"compared_{k}": r[f"compared_{k}"] for k in pub.comparators},
                    }
                )
            latest = bool(part["latest"][0])
            rows.append(
                Row(
                    cells,
                    {
                        "domain": domain_of.get(indicator_id, "other"),
                        "sex": sex,
                        "period": "latest " + period if latest else period,
                    },
                )
            )
    header = ["Indicator", "Period", *[pub.names[c] for c in columns]]
    state_period = state.get("period") or "latest"
    table = Table(
        "overview",
        "Every indicator by area: value and comparison",
        header,
        rows,
        pl.DataFrame(flat, infer_schema_length=None),
        note="Each value is marked ● better, ■ similar, ◆ worse than the comparator "
        "(95% confidence), ▲ higher or ▼ lower where there is no judgement, × not compared.",
    )
    domains = [("", "All domains"), *[(d, n) for d, n, _ in pub.domains()]]
    order = sorted(periods, key=lambda p: (-int(re.findall(r"\d{4}", p)[-1]), p))
    choices = [
        Choice("domain", "Domain", domains, state.get("domain", "")),
        _sex_choice(sorted(sexes, key=_sex_key), state.get("sex", "")),
        _period_choice(order, state_period),
        comparator_choice(pub, comparator),
    ]
    hidden = _hidden(state, ("domain", "sex"))
    hidden["period"] = [state_period]
    return View(
        "index",
        "Overview",
        f"{len(pub.indicators)} indicators for {len(areas)} areas, compared with "
        f"{pub.comparators[comparator].name}.",
        "index",
        choices,
        [Section("overview-table", "Indicators by area", items=[table])],
        hidden,
    )


def _sex_key(sex: str) -> tuple[int, str]:
    return ({"Persons": 0, "Male": 1, "Female": 2}.get(sex, 9), sex)


# -- area profile -----------------------------------------------------------------------------


def spine_rows(pub: Published, code: str, comparator: str) -> pl.DataFrame:
    """Spine-chart rows of an area: its latest values against the range of its peers.

    Peers are the profile areas; positions scale each indicator so that the comparator sits
    at 0.5 and the farthest peer at 0 or 1, worst on the left (Fingertips' spine chart).
    """
    peers = profile_areas(pub)
    bench = pub.comparators[comparator].code
    parts = []
    for position, indicator_id in enumerate(pub.indicators):
        frame = _latest_flag(_totals(pub, indicator_id)).filter(pl.col("latest"))
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
        _hidden(state, ("sex",)),
    )


# -- indicator --------------------------------------------------------------------------------


def _indicator_choice(pub: Published, indicator_id: str, prefix: str = "indicator") -> Choice:
    ids = list(pub.indicators) if prefix == "indicator" else breakdown_indicators(pub)
    return Choice(
        "indicator",
        "Indicator",
        [(i, pub.indicators[i].name) for i in ids],
        indicator_id,
        navigates=True,
        hrefs={i: f"{prefix}-{i}.html" for i in ids},
    )


def indicator_view(
    pub: Published, indicator_id: str, state: Mapping[str, str], comparator: str
) -> View:
    """An indicator: map on the boundaries, ordered bars with intervals, trend, table."""
    meta = pub.indicators[indicator_id]
    bench = pub.comparators[comparator]
    totals = _latest_flag(_totals(pub, indicator_id))
    areas = profile_areas(pub)
    sexes = pub.sexes(totals)
    sex = state.get("sex") or (sexes[0] if sexes else "Persons")
    if sexes and sex not in sexes:
        raise InputError(f"parameter 'sex' must be one of {sexes}; got {sex!r}")
    shown = totals.filter((pl.col("sex") == sex) & pl.col("area_code").is_in(areas))
    periods = pub.periods(shown)
    period = state.get("period") or "latest"
    if period != "latest" and period not in periods:
        raise InputError(f"parameter 'period' must be 'latest' or one of {periods}; got {period!r}")
    chosen = periods[0] if period == "latest" and periods else period
    latest = shown.filter(pl.col("period") == chosen)
    ages = latest["age"].unique().sort().to_list()
    if len(ages) > 1:
        latest = latest.filter(pl.col("age") == ages[0])
    cmp = f"compared_{comparator}"
    sections = []
    if latest.height:
        bars_in = latest.select(
            "area_code",
            "area_name",
            "value",
            lower="lower95_0cl",
            upper="upper95_0cl",
            comparison=pl.col(cmp).fill_null("Not compared"),
        )
        geometry = _geometry(pub, bars_in["area_code"].to_list())
        title = f"{meta.name}, {sex}, {chosen}"
        bench_value = latest[f"{comparator}_value"].drop_nulls()
        charts = [
            map_chart(f"map-{indicator_id}", f"Map: {title}", bars_in, geometry),
            bar_chart(
                f"bars-{indicator_id}",
                f"Areas ordered by value: {title}",
                bars_in,
                meta.unit,
                bench_value[0] if bench_value.len() else None,
            ),
        ]
        sections.append(Section("map", f"Compared with {bench.name}", items=charts))
    trend_codes = [c.code for c in pub.comparators.values()]
    trend = totals.filter((pl.col("sex") == sex) & pl.col("area_code").is_in(trend_codes)).select(
        series="area_name",
        year=pl.col("period_start") + pl.col("period_years") - 1,
        period="period",
        value="value",
        lower="lower95_0cl",
        upper="upper95_0cl",
    )
    if trend.height:
        sections.append(
            Section(
                "trend",
                "Trend",
                items=[
                    trend_chart(f"trend-{indicator_id}", f"{meta.name}, {sex}", trend, meta.unit)
                ],
            )
        )
    table_frame = totals.filter(pl.col("area_code").is_in([*trend_codes, *areas])).sort(
        "area_name", "sex", "period_start", "period"
    )
    rows = [
        Row(
            [
                Cell(
                    r["area_name"] or r["area_code"],
                    href=f"area-{r['area_code']}.html" if r["area_code"] in areas else "",
                ),
                Cell(r["sex"]),
                Cell(r["period"]),
                comparison_cell(r["value"], r[cmp]),
                Cell(fmt(r["lower95_0cl"])),
                Cell(fmt(r["upper95_0cl"])),
                Cell(fmt(r["count"], 0)),
                Cell(fmt(r["denominator"], 0)),
                Cell(r[cmp] or "Not compared"),
                Cell(r["recent_trend"] or ""),
                Cell(r["value_note"] or ""),
            ],
            {"sex": r["sex"], "period": ("latest " if r["latest"] else "") + r["period"]},
        )
        for r in table_frame.iter_rows(named=True)
    ]
    frame = table_frame.select(
        "indicator_id",
        "area_code",
        "area_name",
        "sex",
        "age",
        "period",
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "count",
        "denominator",
        "value_note",
        *[f"compared_{k}" for k in pub.comparators],
        "recent_trend",
    )
    header = [
        "Area",
        "Sex",
        "Period",
        "Value",
        "Lower 95% limit",
        "Upper 95% limit",
        "Count",
        "Denominator",
        f"Compared with {bench.name}",
        "Recent trend",
        "Note",
    ]
    sections.append(
        Section(
            "values",
            "Values",
            items=[
                Table(
                    f"values-{indicator_id}",
                    f"{meta.name}: every published value",
                    header,
                    rows,
                    frame,
                )
            ],
        )
    )
    sections.append(
        Section(
            "definition",
            "Definition",
            [
                meta.definition or meta.name,
                meta.statistic,
                f"Source: {meta.data_source}" if meta.data_source else "",
            ],
        )
    )
    hidden = {"sex": [sex], "period": [period]}
    return View(
        f"indicator-{indicator_id}",
        meta.name,
        f"{meta.name} ({meta.unit or meta.statistic or 'value'}) for every area, "
        f"compared with {bench.name}.",
        "indicator",
        [
            _indicator_choice(pub, indicator_id),
            _sex_choice(sexes, sex),
            _period_choice(periods, period),
            comparator_choice(pub, comparator),
        ],
        sections,
        hidden,
    )


def _geometry(pub: Published, codes: list[str]) -> dict[str, str]:
    table = pub.store().geometry(codes)
    return dict(zip(table["area_code"].to_pylist(), table["geometry"].to_pylist(), strict=True))


# -- inequalities -----------------------------------------------------------------------------


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
            lines = pl.DataFrame(
                schema={"series": pl.String, "sii": pl.Float64, "intercept": pl.Float64}
            )
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
    if not sections:
        sections.append(
            Section("none", "No breakdowns", [f"{bench.name} has no breakdown of this indicator."])
        )
    return View(
        f"inequalities-{indicator_id}",
        f"Inequalities: {meta.name}",
        f"{meta.name} in {bench.name} by deprivation, ethnic group and sex.",
        "inequalities",
        [_indicator_choice(pub, indicator_id, "inequalities"), comparator_choice(pub, comparator)],
        sections,
        _hidden(state, ("sex",)),
    )


# -- commitments, world cities, comparison, definitions, downloads ---------------------------


def commitments(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """The strategy's commitments: each measure's values over time against its target."""
    bench = pub.comparators[comparator]
    sections = []
    for commitment in pub.strategy.commitments:
        items: list = []
        paragraphs = [commitment.description]
        for measure in commitment.measures:
            target = measure.target
            aim = (
                f"Target: {target.direction.replace('_', ' ')} {fmt(target.value, 2)} "
                f"by {target.year}."
                if target.value is not None
                else "Milestones: " + "; ".join(target.milestones)
            )
            paragraphs.append(f"{measure.name}. {aim}")
            if measure.id not in pub.indicators:
                paragraphs.append(f"{measure.name}: no published values yet.")
                continue
            series = pub.values(measure.id).filter(TOTALS & (pl.col("area_code") == bench.code))
            if series.is_empty():
                continue
            trend = series.select(
                series=pl.lit(measure.name),
                year=pl.col("period_start") + pl.col("period_years") - 1,
                period="period",
                value="value",
                lower="lower95_0cl",
                upper="upper95_0cl",
            )
            items.append(
                trend_chart(
                    f"commitment-{measure.id}", f"{measure.name}, {bench.name}", trend, measure.unit
                )
            )
        sections.append(Section(commitment.id, commitment.name, paragraphs, items))
    return View(
        "commitments",
        "Commitments",
        f"{pub.strategy.name}: commitments and their progress.",
        "commitments",
        [comparator_choice(pub, comparator)],
        sections,
    )


def world(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """London beside other world cities (published figures, comparable or not)."""
    from healthgap.catalogue.strategy import load_world_cities
    from healthgap.compare import world_city_comparison

    cities = pl.DataFrame([c.model_dump() for c in load_world_cities()])
    out = world_city_comparison(cities)
    rows = [
        Row(
            [
                Cell(r["city"]),
                Cell(r["measure"].replace("_", " ")),
                Cell(r["sex"]),
                Cell(r["period"]),
                Cell(fmt(r["value"])),
                Cell(fmt(r["reference_value"])),
                Cell(fmt(r["difference"])),
                Cell("Yes" if r["comparable"] else f"No: {r['reason']}"),
                Cell(r["caveat"] or ""),
            ]
        )
        for r in out.iter_rows(named=True)
    ]
    table = Table(
        "world-cities",
        "World cities beside London",
        [
            "City",
            "Measure",
            "Sex",
            "Period",
            "Value",
            "London",
            "Difference",
            "Comparable",
            "Caveat",
        ],
        rows,
        out,
    )
    return View(
        "world",
        "World cities",
        "London's life expectancy and infant mortality beside other world cities' "
        "published figures.",
        "world",
        [],
        [Section("cities", "Published figures", items=[table])],
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


def definitions(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Every indicator's definition, method and source, and the vintages published."""
    sections = []
    for indicator_id, meta in pub.indicators.items():
        paragraphs = [p for p in (meta.definition, meta.rationale) if p]
        facts = [
            ("Statistic", meta.statistic),
            ("Unit", meta.unit),
            ("Method", meta.method),
            ("Confidence intervals", meta.ci_method),
            ("Numerator", meta.numerator_definition),
            ("Denominator", meta.denominator_definition),
            ("Source", meta.data_source),
            ("Disclosure control", meta.disclosure.note),
            ("Caveats", meta.caveats),
            ("Licence", meta.licence),
            ("Vintage", pub.vintage_of[indicator_id]),
        ]
        paragraphs += [f"{k}: {v}" for k, v in facts if v]
        sections.append(Section(f"def-{indicator_id}", meta.name, paragraphs))
    vintages = [
        f"{r['id']}: {r['label'] or r['source']} "
        f"(created {r['created_at']}, code {r['code_version']})"
        for r in pub.vintages
    ]
    sections.insert(0, Section("vintages", "Vintages published", vintages))
    return View(
        "definitions",
        "Definitions and sources",
        "What each indicator measures, how, and from which data.",
        "definitions",
        [],
        sections,
    )


def downloads(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Every download: each indicator's published values, and the API."""
    links = [
        (f"data/values-{i}.csv", f"{m.name}: every published value (CSV)")
        for i, m in pub.indicators.items()
    ]
    api = [("api/docs", "API v1 and the Fingertips-compatible API (OpenAPI)")]
    return View(
        "downloads",
        "Downloads",
        "Published values (disclosure control applied) and the tables of every page.",
        "downloads",
        [],
        [
            Section("values", "Values by indicator", links=links),
            Section(
                "api",
                "API",
                ["Each page's tables download from the page; the API serves the same rows."],
                links=api,
            ),
        ],
    )
