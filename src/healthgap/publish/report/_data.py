"""Everything the report shows, read from the store once and judged once.

Values come through :func:`~healthgap.publish.export.published_values`, i.e. disclosure
control with each indicator's rule, one call per vintage used, before anything else touches
them: every table the report shows or offers for download is derived from these published
values. Comparisons (with the region and the nation, Fingertips' methods), ranks, quintiles,
trends, target progress and SII lines are computed here with :mod:`healthgap.compare` and
:mod:`healthgap.methods`, all series at once.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.catalogue.strategy import Strategy, WorldCity
from healthgap.errors import InputError, SuppressedWarning
from healthgap.publish._judgements import published_judgements
from healthgap.publish.export import published_values
from healthgap.publish.report._comparisons import (
    LIMITS,
    PUBLISHED_JUDGEMENT,
    SERIES,
    compare_latest,
)
from healthgap.publish.report._scope import VintageUse, area_scope, choose_vintages
from healthgap.store import Store
from healthgap.store.schema import VALUE_KEYS

DECOMPOSITION = "le_gap_decomposition"
SEX_ORDER = {"Persons": 0, "Male": 1, "Female": 2}


@dataclass
class ReportData:
    """The published values of the report's vintages and what the report computes from them."""

    vintage: dict[str, Any]  # the most recent vintage used (it names the report)
    synthetic: bool
    values: pl.DataFrame  # disclosed values of the region, its areas and the nation
    indicators: dict[str, IndicatorMeta]
    order: list[str]  # indicator ids with values, in strategy order
    region: str
    names: dict[str, str]  # area code -> name
    boroughs: list[str]  # the region's child areas, sorted by name
    geometry: dict[str, str]  # borough code -> GeoJSON geometry text
    strategy: Strategy | None
    world: list[WorldCity]
    national: str | None = None
    vintages: list[VintageUse] = field(default_factory=list)
    tiles: dict[str, tuple[int, int, str]] | None = None
    commitment_ids: list[str] = field(default_factory=list)
    #: the sources' own published judgements of the values (store.schema.JUDGEMENTS)
    judgements: pl.DataFrame = field(default_factory=pl.DataFrame)
    latest: pl.DataFrame = field(default_factory=pl.DataFrame)  # judged latest totals
    trends: pl.DataFrame = field(default_factory=pl.DataFrame)  # recent trend per series
    deciles: pl.DataFrame = field(default_factory=pl.DataFrame)  # latest decile rows
    sii_lines: pl.DataFrame = field(default_factory=pl.DataFrame)
    gaps: pl.DataFrame = field(default_factory=pl.DataFrame)  # latest gap decomposition
    title: str = ""

    @property
    def region_name(self) -> str:
        """The report area's name (e.g. London)."""
        return self.names.get(self.region, self.region)

    @property
    def national_name(self) -> str:
        """The national comparator's name (e.g. England), or "" without one."""
        return self.names.get(self.national, self.national) if self.national else ""

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

    def source_of(self, indicator_id: str) -> VintageUse | None:
        """The vintage an indicator's values come from."""
        return next((u for u in self.vintages if indicator_id in u.indicator_ids), None)

    def domains(self) -> list[tuple[str, list[str]]]:
        """(domain name, indicator ids) in report order: the strategy's overarching
        indicators and aims, then other indicators."""
        placed: list[str] = []
        out: list[tuple[str, list[str]]] = []
        groups: list[tuple[str, Sequence[str]]] = []
        if self.strategy is not None:
            groups.append(("Overarching indicators", self.strategy.overarching_indicators))
            groups += [(a.name, a.indicators) for a in self.strategy.aims]
        for name, ids in groups:
            chosen = [i for i in ids if i in self.order and i not in placed]
            if chosen:
                out.append((name, chosen))
                placed += chosen
        rest = [i for i in self.order if i not in placed]
        if rest:
            out.append(("Other indicators" if out else "Indicators", rest))
        return out


def is_synthetic(record: dict[str, Any]) -> bool:
    """Whether a vintage's parameters or source say its data are synthetic."""
    try:
        params = json.loads(record.get("parameters") or "{}")
    except json.JSONDecodeError:
        params = {}
    flagged = isinstance(params, dict) and bool(params.get("synthetic"))
    return flagged or "synthetic" in str(record.get("source", "")).lower()


def load(
    store: Store,
    vintages: Sequence[str] | None,
    *,
    area: str | None = None,
    strategy: Strategy | None = None,
    world: Sequence[WorldCity] = (),
    tiles: dict[str, tuple[int, int, str]] | None = None,
) -> ReportData:
    """Read the vintages, areas, metadata and strategy the report needs; judge every value."""
    uses = choose_vintages(store, vintages)
    # areas, names and hierarchy as the newest vintage used recorded them (immutable)
    scope = area_scope(store, area, vintage=uses[-1].record["id"])
    published = pl.concat(
        [
            pl.from_arrow(published_values(store, u.record["id"], u.indicator_ids)).with_columns(
                vintage_id=pl.lit(u.record["id"])
            )
            for u in uses
        ],
        how="diagonal_relaxed",
    )
    shown = [*scope.children, scope.area, *([scope.national] if scope.national else [])]
    values = published.filter(pl.col("area_code").is_in(shown))
    if values.filter(pl.col("area_code").is_in(scope.children)).is_empty():
        used = ", ".join(u.record["id"][:8] for u in uses)
        raise InputError(
            f"vintages {used} have no values for {scope.names[scope.area]}'s "
            f"{len(scope.children)} areas ({scope.child_type})"
        )
    commitment_ids = (
        [m.id for c in strategy.commitments for m in c.measures] if strategy is not None else []
    )
    present = set(values["indicator_id"].unique().to_list())
    wanted = strategy.indicator_ids if strategy is not None else ()
    order = [i for i in wanted if i in present]
    order += sorted(present - set(order) - set(commitment_ids) - {DECOMPOSITION})
    latest_record = uses[-1].record
    # boundaries as the newest vintage used was published with (frozen with it)
    geometry = pl.from_arrow(store.geometry(list(scope.children), vintage=latest_record["id"]))
    data = ReportData(
        vintage=latest_record,
        synthetic=any(is_synthetic(u.record) for u in uses),
        values=values,
        indicators={
            m.id: m
            for u in uses
            for m in store.indicators(vintage=u.record["id"])
            if m.id in u.indicator_ids
        },
        order=order,
        region=scope.area,
        names=scope.names,
        boroughs=list(scope.children),
        geometry=dict(zip(geometry["area_code"], geometry["geometry"], strict=True)),
        strategy=strategy,
        world=list(world),
        national=scope.national,
        vintages=uses,
        tiles=tiles,
        commitment_ids=[c for c in commitment_ids if c in present],
        judgements=pl.concat(
            [
                pl.from_arrow(published_judgements(store, u.record["id"], u.indicator_ids))
                for u in uses
            ]
        ),
    )
    peers = published.filter(
        pl.col("area_code").is_in(scope.peers) & (pl.col("category_type") == "")
    )
    _judge(data, peers)
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


def _judge(data: ReportData, peers: pl.DataFrame) -> None:
    """Judge the latest values (region, nation, rank, quintile), trends, deciles, SII lines."""
    from healthgap.compare import recent_trend

    polarity = _polarity(data)
    indicators = pl.col("indicator_id").is_in(data.order)
    totals = data.values.filter(indicators & (pl.col("category_type") == ""))
    periods = _latest_periods(totals)
    latest = totals.join(periods, on=[*SERIES, "period"])
    latest = latest.join(polarity, on="indicator_id", how="left").sort(
        "indicator_id", "sex", "age", "area_code"
    )
    latest = _with_published_judgement(latest, data.judgements)
    latest = compare_latest(
        latest,
        data.region,
        data.national,
        data.boroughs,
        peers.join(periods, on=[*SERIES, "period"]),
    )
    data.latest = latest.with_columns(
        pl.col("area_code").replace_strict(data.names, default=None).alias("area_name"),
        quintile_scope=pl.when(pl.col("quintile_among").is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("quintile_among") == "nation")
        .then(pl.lit(data.national_name or "national"))
        .otherwise(pl.lit(data.region_name)),
    )

    yearly = totals.filter(pl.col("period_years") == 1).join(polarity, on="indicator_id")
    if yearly.height:
        data.trends = recent_trend(
            yearly,
            period="period_start",
            value="value",
            lower_cl=LIMITS[0],
            upper_cl=LIMITS[1],
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


def _with_published_judgement(latest: pl.DataFrame, judgements: pl.DataFrame) -> pl.DataFrame:
    """The latest values with their source's own comparison with the nation, where published.

    The column is added only when the source judged some of these values, so reports of
    vintages without judgements are as they were.
    """
    keys = list(VALUE_KEYS)
    if judgements.is_empty():
        return latest
    theirs = judgements.filter(pl.col(PUBLISHED_JUDGEMENT).is_not_null()).select(
        *keys, PUBLISHED_JUDGEMENT
    )
    joined = latest.join(theirs, on=keys, how="left", nulls_equal=True, maintain_order="left")
    if joined[PUBLISHED_JUDGEMENT].null_count() == joined.height:
        return latest
    return joined


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
    # a series without a line (methods.sii withholds it, e.g. a decile without a value)
    # draws no line, and says so
    return out.select(*keys, "sii", "intercept").drop_nulls(["sii", "intercept"])
