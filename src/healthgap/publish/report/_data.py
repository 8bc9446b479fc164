"""Everything the report shows, read from the store once and judged once.

Values come through :func:`~healthgap.publish.export.published_values`, i.e. disclosure
control with each indicator's rule, before anything else touches them: every table the report
shows or offers for download is derived from these published values. Comparisons, trends,
target progress and SII lines are computed here with :mod:`healthgap.compare` and
:mod:`healthgap.methods`, all series at once.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.catalogue.strategy import Strategy, WorldCity, load_strategy, load_world_cities
from healthgap.errors import InputError, SuppressedWarning
from healthgap.publish.export import published_values
from healthgap.store import Store

DECOMPOSITION = "le_gap_decomposition"
SERIES = ("indicator_id", "sex", "age")
SEX_ORDER = {"Persons": 0, "Male": 1, "Female": 2}
LIMITS = ("lower95_0cl", "upper95_0cl")


@dataclass
class ReportData:
    """The published values of one vintage and what the report computes from them."""

    vintage: dict[str, Any]
    synthetic: bool
    values: pl.DataFrame  # disclosed values of London and the boroughs
    indicators: dict[str, IndicatorMeta]
    order: list[str]  # indicator ids with values, in strategy order
    london: str | None
    names: dict[str, str]  # area code -> name (London and boroughs)
    boroughs: list[str]  # borough codes sorted by name
    geometry: dict[str, str]  # borough code -> GeoJSON geometry text
    strategy: Strategy
    world: list[WorldCity]
    commitment_ids: list[str] = field(default_factory=list)
    latest: pl.DataFrame = field(default_factory=pl.DataFrame)  # judged latest totals
    trends: pl.DataFrame = field(default_factory=pl.DataFrame)  # recent trend per series
    deciles: pl.DataFrame = field(default_factory=pl.DataFrame)  # latest decile rows
    sii_lines: pl.DataFrame = field(default_factory=pl.DataFrame)
    gaps: pl.DataFrame = field(default_factory=pl.DataFrame)  # latest gap decomposition

    def meta(self, indicator_id: str) -> IndicatorMeta:
        """Metadata of an indicator (a plain default when the store has none)."""
        found = self.indicators.get(indicator_id)
        return found if found is not None else IndicatorMeta(id=indicator_id, name=indicator_id)

    def series(self, indicator_id: str) -> list[tuple[str, str]]:
        """(sex, age) of the indicator's total series, Persons, Male, Female first."""
        rows = (
            self.latest.filter(pl.col("indicator_id") == indicator_id)
            .select("sex", "age")
            .unique()
            .rows()
        )
        return sorted(rows, key=lambda r: (SEX_ORDER.get(r[0], 9), r[0], r[1]))


def is_synthetic(record: dict[str, Any]) -> bool:
    """Whether a vintage's parameters or source say its data are synthetic."""
    try:
        params = json.loads(record.get("parameters") or "{}")
    except json.JSONDecodeError:
        params = {}
    flagged = isinstance(params, dict) and bool(params.get("synthetic"))
    return flagged or "synthetic" in str(record.get("source", "")).lower()


def load(store: Store, vintage: str | None) -> ReportData:
    """Read a vintage and the areas, metadata and strategy it needs; judge every value."""
    record = store.vintage(vintage)
    areas = pl.from_arrow(store.areas(["la", "region"], vintage=record["id"]))
    if areas.is_empty():
        raise InputError(
            f"the store {store.path!r} has no areas of type 'la' or 'region': "
            "the report needs the boroughs and their region"
        )
    regions = areas.filter(pl.col("area_type") == "region")["area_code"].to_list()
    london = "E12000007" if "E12000007" in regions else (regions[0] if regions else None)
    borough_rows = areas.filter(pl.col("area_type") == "la").sort("area_name", "area_code")
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    boroughs = borough_rows["area_code"].to_list()
    keep = [*boroughs, *([london] if london else [])]
    values = pl.from_arrow(published_values(store, record["id"]))
    values = values.filter(pl.col("area_code").is_in(keep))
    if values.is_empty():
        raise InputError(f"vintage {record['id']} has no values for London or its boroughs")
    strategy = load_strategy()
    commitment_ids = [m.id for c in strategy.commitments for m in c.measures]
    present = set(values["indicator_id"].unique().to_list())
    order = [i for i in strategy.indicator_ids if i in present]
    order += sorted(present - set(order) - set(commitment_ids) - {DECOMPOSITION})
    geometry = pl.from_arrow(store.geometry(boroughs))
    data = ReportData(
        vintage=record,
        synthetic=is_synthetic(record),
        values=values,
        indicators={m.id: m for m in store.indicators(vintage=record["id"])},
        order=order,
        london=london,
        names=names,
        boroughs=boroughs,
        geometry=dict(zip(geometry["area_code"], geometry["geometry"], strict=True)),
        strategy=strategy,
        world=load_world_cities(),
        commitment_ids=[c for c in commitment_ids if c in present],
    )
    _judge(data)
    return data


def _polarity(data: ReportData) -> pl.DataFrame:
    ids = sorted(data.values["indicator_id"].unique().to_list())
    return pl.DataFrame({"indicator_id": ids, "polarity": [data.meta(i).polarity for i in ids]})


def _latest_periods(totals: pl.DataFrame) -> pl.DataFrame:
    """Each series' latest period: the latest end year, single years before pooled ones."""
    return (
        totals.with_columns(_end=pl.col("period_start") + pl.col("period_years") - 1)
        .sort(
            [*SERIES, "_end", "period_years", "period"],
            descending=[False, False, False, True, False, True],
        )
        .group_by(SERIES, maintain_order=True)
        .first()
        .select(*SERIES, "period")
    )


def _judge(data: ReportData) -> None:
    """Benchmark the latest values against London, trends, deciles and SII lines."""
    from healthgap.compare import benchmark, recent_trend

    polarity = _polarity(data)
    indicators = pl.col("indicator_id").is_in(data.order)
    totals = data.values.filter(indicators & (pl.col("category_type") == ""))
    latest = totals.join(_latest_periods(totals), on=[*SERIES, "period"])
    latest = latest.join(polarity, on="indicator_id", how="left").sort(
        "indicator_id", "sex", "age", "area_code"
    )
    if data.london is not None and latest.filter(pl.col("area_code") == data.london).height:
        judged = benchmark(
            latest,
            lower=LIMITS[0],
            upper=LIMITS[1],
            level=95,
            polarity="polarity",
            area="area_code",
            benchmark_area=data.london,
            group_by=[*SERIES, "period"],
        )
    else:
        judged = latest.with_columns(
            benchmark=pl.lit(None, pl.Float64),
            comparison=pl.lit("Not compared"),
            reason=pl.lit("no London value to compare with"),
            comparison_method=pl.lit(""),
        )
    data.latest = judged.with_columns(
        pl.col("area_code").replace_strict(data.names, default=None).alias("area_name")
    )

    yearly = totals.filter(pl.col("period_years") == 1).join(polarity, on="indicator_id")
    if yearly.height:
        data.trends = recent_trend(
            yearly,
            period="period_start",
            value="value",
            lower=LIMITS[0],
            upper=LIMITS[1],
            kind="other",
            group_by=[*SERIES, "area_code"],
            polarity="polarity",
        )
    else:
        data.trends = pl.DataFrame(
            schema={
                **dict.fromkeys((*SERIES, "area_code"), pl.String),
                "trend": pl.String,
                "reason": pl.String,
            }
        )
    deciles = data.values.filter(indicators & pl.col("category_type").str.starts_with("IMD"))
    deciles = deciles.join(_latest_periods(deciles.with_columns()), on=[*SERIES, "period"])
    deciles = deciles.with_columns(
        decile=pl.col("category").str.extract(r"^(\d+)").cast(pl.Int64, strict=False)
    )
    data.deciles = deciles.filter(pl.col("decile").is_not_null()).sort(
        "indicator_id", "area_code", "sex", "age", "decile"
    )
    data.sii_lines = _sii_lines(data.deciles)
    data.gaps = _gaps(data.values.filter(pl.col("indicator_id") == DECOMPOSITION))


def _gaps(rows: pl.DataFrame) -> pl.DataFrame:
    """Each area's latest gap decomposition, ordered: ages from youngest, causes by name."""
    if rows.is_empty():
        return rows.with_columns(order=pl.lit(0.0))
    rows = rows.with_columns(_end=pl.col("period_start") + pl.col("period_years"))
    latest = rows.group_by("area_code").agg(pl.col("_end").max())
    rows = rows.join(latest, on=["area_code", "_end"])
    age = pl.col("category").str.extract(r"^(\d+)").cast(pl.Float64, strict=False)
    rank = pl.col("category").rank("dense").over("area_code", "category_type").cast(pl.Float64)
    return rows.with_columns(
        order=pl.when(pl.col("category_type") == "Age band")
        .then(age.fill_null(999.0))
        .otherwise(rank)
    ).sort("area_code", "category_type", "order", "category", "sex")


def _sii_lines(deciles: pl.DataFrame) -> pl.DataFrame:
    """The SII line (intercept at rank 0 and slope) of every decile series, all at once.

    Population shares are the denominators when every decile has one, equal otherwise; the
    line's standard errors are not needed (the stored SII indicator carries its limits), so a
    unit standard error is passed and the simulation kept at its minimum.
    """
    from healthgap.methods import sii

    keys = ["indicator_id", "area_code", "sex", "age", "period", "category_type"]
    usable = deciles.filter(pl.col("value").is_not_null())
    complete = usable.group_by(keys).agg(
        n=pl.len(), den=pl.col("denominator").min(), nulls=pl.col("denominator").null_count()
    )
    complete = complete.filter(pl.col("n") >= 5)
    if complete.is_empty():
        return pl.DataFrame(
            schema={**dict.fromkeys(keys, pl.String), "sii": pl.Float64, "intercept": pl.Float64}
        )
    frame = usable.join(complete, on=keys).with_columns(
        _pop=pl.when((pl.col("nulls") == 0) & (pl.col("den") > 0))
        .then(pl.col("denominator"))
        .otherwise(1.0),
        _se=pl.lit(1.0),
        _decile=pl.col("decile").cast(pl.Float64),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        out = sii(
            frame.select(*keys, "_decile", "_pop", "value", "_se"),
            "_decile",
            "_pop",
            value="value",
            se="_se",
            group_by=keys,
            repetitions=1000,
            seed=1,
            intercept=True,
            type="standard",
        )
    return out.select(*keys, "sii", "intercept")
