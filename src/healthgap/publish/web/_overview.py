"""The overview: every indicator by area, coloured by comparison (Fingertips' tartan rug)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import polars as pl

from healthgap.publish.web._model import (
    Cell,
    Choice,
    Row,
    Section,
    Table,
    View,
    comparison_cell,
)
from healthgap.publish.web._published import Published
from healthgap.publish.web._selection import (
    comparator_choice,
    hidden,
    latest_flag,
    period_choice,
    profile_areas,
    series_label,
    sex_choice,
    sex_key,
    totals,
)


def overview(pub: Published, state: Mapping[str, str], comparator: str) -> View:
    """Every indicator by area, coloured by comparison with England or the region."""
    areas = profile_areas(pub)
    columns = [c.code for c in pub.comparators.values()] + areas
    domain_of = pub.domain_of()
    frames = [totals(pub, i).filter(pl.col("area_code").is_in(columns)) for i in pub.indicators]
    frames = [f for f in frames if f.height]
    rows: list[Row] = []
    flat = []
    sexes: set[str] = set()
    periods: set[str] = set()
    for frame in frames:
        frame = latest_flag(frame)
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
        sex_choice(sorted(sexes, key=sex_key), state.get("sex", "")),
        period_choice(order, state_period),
        comparator_choice(pub, comparator),
    ]
    filters = hidden(state, ("domain", "sex"))
    filters["period"] = [state_period]
    return View(
        "index",
        "Overview",
        f"{len(pub.indicators)} indicators for {len(areas)} areas, compared with "
        f"{pub.comparators[comparator].name}.",
        "index",
        choices,
        [Section("overview-table", "Indicators by area", items=[table])],
        filters,
        filters=("domain", "sex", "period"),
    )
