"""What the web tool may publish: the store opened read-only, its published vintage set.

The *published vintage set* maps every indicator to the latest vintage that holds values for
it, fixed when the tool starts (the store is opened read-only, so nothing can change under a
running server). Every value goes through
:func:`healthgap.publish.export.published_values` (disclosure control with the indicator's
rule) before anything else reads it; judgements (against England and the region, recent
trends) are made on those published values with :mod:`healthgap.compare`.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import polars as pl

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.catalogue.strategy import Strategy, WorldCity
from healthgap.errors import InputError, StoreError, SuppressedWarning
from healthgap.publish._judgements import published_judgements
from healthgap.publish.export import published_values
from healthgap.publish.report._data import is_synthetic
from healthgap.store import Store
from healthgap.store.schema import VALUE_KEYS, VALUES

ENGLAND = "E92000001"
SERIES = ("indicator_id", "sex", "age", "category_type", "category")
LIMITS = ("lower95_0cl", "upper95_0cl")
SEX_ORDER = {"Persons": 0, "Male": 1, "Female": 2}
T = TypeVar("T")
#: the columns of a published value: VALUES with the area's name and type after its code
VALUE_COLUMNS = [
    *VALUES.names[:2],
    "area_name",
    "area_type",
    *VALUES.names[2:],
]
CACHED_INDICATORS = 256  # judged indicators kept in memory (each a few MB at national size)


def computed_once(maxsize: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Cache a function of hashable arguments, computing each result once across threads.

    Unlike :func:`functools.lru_cache`, concurrent first calls with the same arguments wait
    for one computation instead of each computing it (a server's first requests for a page
    would otherwise all build it at once). Least recently used results are dropped first.
    ``function.holds(*args)`` tells whether a result is kept (a call would return at once).
    """

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        cache: OrderedDict[tuple, T] = OrderedDict()
        pending: dict[tuple, threading.Lock] = {}
        guard = threading.Lock()

        @functools.wraps(function)
        def wrapper(*args: Any) -> T:
            with guard:
                if args in cache:
                    cache.move_to_end(args)
                    return cache[args]
                lock = pending.setdefault(args, threading.Lock())
            with lock:
                with guard:
                    if args in cache:
                        return cache[args]
                value = function(*args)
                with guard:
                    cache[args] = value
                    pending.pop(args, None)
                    while len(cache) > maxsize:
                        cache.popitem(last=False)
            return value

        wrapper.holds = lambda *args: args in cache  # type: ignore[attr-defined]
        return wrapper

    return decorate


@dataclass(frozen=True)
class Comparator:
    """An area every value can be compared with (England, or the region)."""

    key: str  # "england" or "region"
    code: str
    name: str


#: The strategy of a store published without one: no aims, no commitments.
NO_STRATEGY = Strategy(
    id="indicators",
    name="Health inequality indicators",
    publisher="",
    period="",
    aims=(),
    commitments=(),
)


class NotPublishedError(InputError):
    """An indicator, area or vintage the published set does not hold (HTTP 404)."""


class Published:
    """The published vintage set of a store, read-only and shared by every request.

    Parameters
    ----------
    path : str or Path
        The store file.
    strategy : Strategy, optional
        Gives the domains (aims) and commitments; without one, every published indicator
        in one domain and no commitments.
    world_cities : sequence of WorldCity, optional
        Other cities' published figures for the world-cities page (the application's).
    """

    def __init__(
        self,
        path: str | Path,
        strategy: Strategy | None = None,
        world_cities: Sequence[WorldCity] = (),
    ) -> None:
        self.path = str(path)
        # the store's own checks: a healthgap store (refused with one line otherwise),
        # read-only, read in the layout it was written in (stores before snapshots too)
        self._base = Store.open(path, read_only=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        store = self.store()
        try:
            records = store.vintages().to_pylist()
        except duckdb.CatalogException:
            raise StoreError(
                f"{self.path!r} is not a healthgap store (no vintages table)"
            ) from None
        if not records:
            raise StoreError(f"the store {self.path!r} has no vintages yet: nothing to publish")
        self.vintage_of: dict[str, str] = {}
        used: list[dict[str, Any]] = []
        for record in reversed(records):  # newest first: the latest vintage holding each
            held = store.vintage(record["id"])["indicator_ids"]
            new = [i for i in held if i not in self.vintage_of]
            if new:
                self.vintage_of.update(dict.fromkeys(new, record["id"]))
                used.append({**record, "indicator_ids": sorted(new)})
        self.vintages = sorted(used, key=lambda r: r["created_at"])
        self.vintage_ids = [r["id"] for r in self.vintages]
        self.all_vintages = [{k: v for k, v in r.items() if k != "inputs"} for r in records]
        self.synthetic = any(is_synthetic(r) for r in self.vintages)
        metas = {m.id: m for m in store.indicators()}
        self.indicators: dict[str, IndicatorMeta] = {
            i: metas.get(i, IndicatorMeta(id=i, name=i)) for i in sorted(self.vintage_of)
        }
        self.areas = pl.from_arrow(store.areas()).select("area_code", "area_name", "area_type")
        self.names = dict(zip(self.areas["area_code"], self.areas["area_name"], strict=True))
        self.types = dict(zip(self.areas["area_code"], self.areas["area_type"], strict=True))
        links = pl.from_arrow(store.hierarchy())
        self.links = (
            links.select("child_code", "parent_code")
            .unique()
            .join(
                self.areas.select(
                    pl.col("area_code").alias("parent_code"),
                    pl.col("area_type").alias("parent_type"),
                ),
                on="parent_code",
                how="left",
            )
            .sort("child_code", "parent_code")
        )
        self.strategy = strategy if strategy is not None else NO_STRATEGY
        self.world_cities = list(world_cities)
        self.comparators = self._comparators()

    # -- connections ---------------------------------------------------------------------

    def store(self) -> Store:
        """This thread's read-only Store (a cursor of the shared connection)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._base.cursor()
            self._local.store = store
        return store

    def close(self) -> None:
        """Close the connection (every thread's store with it)."""
        self._base.close()

    # -- what the set holds --------------------------------------------------------------

    def _comparators(self) -> dict[str, Comparator]:
        found: dict[str, Comparator] = {}
        countries = [c for c, t in self.types.items() if t == "country"]
        england = ENGLAND if ENGLAND in self.types else (countries[0] if countries else None)
        if england:
            found["england"] = Comparator("england", england, self.names[england])
        regions = sorted(c for c, t in self.types.items() if t == "region")
        # the region the store is about: the one with the most child areas (a national
        # store's first region when none has children)
        children = self.links.filter(pl.col("parent_code").is_in(regions))["parent_code"]
        counts = children.value_counts(sort=True) if children.len() else None
        region = (counts.row(0)[0] if counts is not None and counts.height else None) or (
            regions[0] if regions else None
        )
        if region:
            found["region"] = Comparator("region", region, self.names[region])
        return found

    def indicator(self, indicator_id: str) -> IndicatorMeta:
        """Metadata of a published indicator.

        Raises
        ------
        InputError
            When the indicator has no values in the published vintage set.
        """
        if indicator_id not in self.indicators:
            known = list(self.indicators)[:8]
            raise NotPublishedError(
                f"indicator {indicator_id!r} is not published; known: {known}"
                + (" ..." if len(self.indicators) > 8 else "")
            )
        return self.indicators[indicator_id]

    def domains(self) -> list[tuple[str, str, list[str]]]:
        """(id, name, indicator ids) of each strategy aim, then 'other' for the rest."""
        out, placed = [], set()
        for aim in self.strategy.aims:
            ids = [i for i in aim.indicators if i in self.indicators and i not in placed]
            if ids:
                out.append((aim.id, aim.name, ids))
                placed.update(ids)
        head = [i for i in self.strategy.overarching_indicators if i in self.indicators]
        if head:
            out.insert(0, ("overarching", "Overarching indicators", head))
            placed.update(head)
        rest = [i for i in self.indicators if i not in placed]
        if rest:
            out.append(("other", "Other indicators", rest))
        return out

    def domain_of(self) -> dict[str, str]:
        """Indicator id -> domain id."""
        return {i: d for d, _, ids in self.domains() for i in ids}

    def parent_of(self, parent_type: str | None) -> dict[str, str]:
        """Child code -> its parent of ``parent_type`` (a direct link; the first when many)."""
        links = self.links
        if parent_type is not None:
            links = links.filter(pl.col("parent_type") == parent_type)
        first = links.group_by("child_code", maintain_order=True).first()
        return dict(zip(first["child_code"], first["parent_code"], strict=True))

    # -- values ----------------------------------------------------------------------------

    def values(self, indicator_id: str, vintage: str | None = None) -> pl.DataFrame:
        """Published values of one indicator (its vintage in the set, or ``vintage``).

        Columns of ``VALUES`` with ``area_name`` and ``area_type`` after ``area_code``, sorted
        by key. The set's values are the judged frame's first columns (kept once in memory).
        """
        self.indicator(indicator_id)
        if vintage is None or vintage == self.vintage_of[indicator_id]:
            return self._judged(indicator_id).select(VALUE_COLUMNS)
        return self._published(indicator_id, vintage)

    def _published(self, indicator_id: str, vintage: str) -> pl.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SuppressedWarning)
            table = published_values(self.store(), vintage, [indicator_id])
        frame = pl.from_arrow(table).join(self.areas, on="area_code", how="left")
        return frame.select(VALUE_COLUMNS).sort(list(VALUE_KEYS))

    def judged(self, indicator_id: str) -> pl.DataFrame:
        """Published values with comparisons against each comparator and the recent trend.

        Adds ``compared_<key>`` and ``<key>_value`` for each comparator (``england``,
        ``region``), ``recent_trend`` (per series of the area; single-year periods only) and
        ``source_judgement``: the source's own published comparison with England, where it
        published one (Fingertips exports), withheld with a withheld value.
        """
        self.indicator(indicator_id)
        return self._judged(indicator_id)

    def in_memory(self, indicator_id: str) -> bool:
        """Whether the indicator's published, judged values are in memory (quick to serve)."""
        return Published._judged.holds(self, indicator_id)  # type: ignore[attr-defined]

    @computed_once(CACHED_INDICATORS)
    def source_judgements(self, indicator_id: str) -> pl.DataFrame:
        """The source's own published judgements of an indicator's values in the set.

        Columns of :data:`~healthgap.store.schema.JUDGEMENTS`; a withheld value's judgement
        is withheld; empty when the source published none.
        """
        self.indicator(indicator_id)
        vintage = self.vintage_of[indicator_id]
        frame = pl.from_arrow(published_judgements(self.store(), vintage, [indicator_id]))
        assert isinstance(frame, pl.DataFrame)
        return frame

    @computed_once(CACHED_INDICATORS)
    def _judged(self, indicator_id: str) -> pl.DataFrame:
        from healthgap.compare import benchmark, recent_trend

        values = self._published(indicator_id, self.vintage_of[indicator_id])
        polarity = self.indicators[indicator_id].polarity
        keys = ["period", "sex", "age", "category_type", "category"]
        out = values.with_columns(polarity=pl.lit(polarity))
        for key, comparator in self.comparators.items():
            present = out.filter(pl.col("area_code") == comparator.code).height > 0
            if present:
                judged = benchmark(
                    out,
                    lower_cl=LIMITS[0],
                    upper_cl=LIMITS[1],
                    confidence=0.95,
                    polarity="polarity",
                    area="area_code",
                    benchmark_area=comparator.code,
                    group_by=keys,
                )
                out = judged.drop("reason", "comparison_method").rename(
                    {"comparison": f"compared_{key}", "benchmark": f"{key}_value"}
                )
            else:
                out = out.with_columns(
                    pl.lit("Not compared").alias(f"compared_{key}"),
                    pl.lit(None, pl.Float64).alias(f"{key}_value"),
                )
        judged = [c for k in self.comparators for c in (f"compared_{k}", f"{k}_value")]
        out = out.select(*values.columns, "polarity", *judged)
        yearly = out.filter(pl.col("period_years") == 1)
        trend_keys = ["area_code", "sex", "age", "category_type", "category"]
        if yearly.height:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                trends = recent_trend(
                    yearly.select(*trend_keys, "period_start", "value", *LIMITS, "polarity"),
                    period="period_start",
                    value="value",
                    lower_cl=LIMITS[0],
                    upper_cl=LIMITS[1],
                    kind="other",
                    group_by=trend_keys,
                    polarity="polarity",
                )
            out = out.join(
                trends.select(*trend_keys, pl.col("trend").alias("recent_trend")),
                on=trend_keys,
                how="left",
            )
        else:
            out = out.with_columns(recent_trend=pl.lit(None, pl.String))
        theirs = self.source_judgements(indicator_id).select(
            *VALUE_KEYS, source_judgement="compared_to_england"
        )
        out = out.join(theirs, on=list(VALUE_KEYS), how="left", nulls_equal=True)
        return out.drop("polarity").sort(list(VALUE_KEYS))

    def latest_period(self, frame: pl.DataFrame) -> str | None:
        """The latest period of a frame of values (latest end year; single years first)."""
        if frame.is_empty():
            return None
        ordered = frame.with_columns(_end=pl.col("period_start") + pl.col("period_years")).sort(
            ["_end", "period_years", "period"], descending=[True, False, False]
        )
        return ordered["period"][0]

    def periods(self, frame: pl.DataFrame) -> list[str]:
        """Periods of a frame, latest first."""
        if frame.is_empty():
            return []
        ordered = (
            frame.select("period", "period_start", "period_years")
            .unique()
            .with_columns(_end=pl.col("period_start") + pl.col("period_years"))
            .sort(["_end", "period_years", "period"], descending=[True, False, False])
        )
        return ordered["period"].to_list()

    def sexes(self, frame: pl.DataFrame) -> list[str]:
        """Sexes of a frame, Persons, Male, Female first."""
        return sorted(set(frame["sex"].to_list()), key=lambda s: (SEX_ORDER.get(s, 9), s))

    def area(self, code: str) -> dict[str, str]:
        """One area's code, name and type.

        Raises
        ------
        InputError
            When the code is not in the store.
        """
        if code not in self.names:
            raise NotPublishedError(f"area {code!r} is not in the store")
        return {"area_code": code, "area_name": self.names[code], "area_type": self.types[code]}
