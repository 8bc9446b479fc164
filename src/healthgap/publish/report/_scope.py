"""What a report covers: which vintages of the store, and which areas.

A report is a publication of the whole store: by default, for every indicator, the latest
vintage that holds it (so life expectancy from an ONS import, Fingertips series and the
engine's computations meet in one report), or exactly the vintages named. Its geography is an
area (a region, say) and its children in the store's hierarchy (the region's local
authorities), compared with the area itself and the nation it belongs to; areas elsewhere in a
national file are not shown (they are the peers for national quintiles only).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from healthgap.errors import InputError
from healthgap.store import Store

#: Area types too small to be a report's areas (they are the building blocks of gradients).
SMALL_AREAS = frozenset({"oa", "lsoa", "msoa", "ward"})


@dataclass(frozen=True)
class VintageUse:
    """One vintage the report uses and the indicators it supplies."""

    record: dict[str, Any]
    indicator_ids: tuple[str, ...]


@dataclass(frozen=True)
class Scope:
    """The report's areas: the area, its children, and the nation it is compared with."""

    area: str
    children: tuple[str, ...]
    child_type: str
    national: str | None
    names: dict[str, str] = field(default_factory=dict)
    #: areas of the children's type in the same nation: the peers of national quintiles
    peers: tuple[str, ...] = ()


def choose_vintages(store: Store, vintages: Sequence[str] | None) -> list[VintageUse]:
    """The vintages of a report, oldest first, each with the indicators it supplies.

    With ``vintages`` None, each indicator comes from the latest vintage holding it; named
    vintages supply all their indicators, a later one replacing an earlier one's indicator.
    """
    if vintages is not None:
        ids = list(dict.fromkeys(store.resolve(v) for v in vintages))
        if not ids:
            raise InputError("no vintages named: give at least one vintage id")
    else:
        ids = store.vintages()["id"].to_pylist()
        if not ids:
            store.resolve(None)  # raises: the store has no vintages yet
    order = {v: n for n, v in enumerate(store.vintages()["id"].to_pylist())}
    ids.sort(key=lambda v: order[v])
    records = {v: store.vintage(v) for v in ids}
    owner: dict[str, str] = {}
    for v in ids:  # oldest first: a later vintage takes over an indicator
        for indicator in records[v]["indicator_ids"]:
            owner[indicator] = v
    uses = []
    for v in ids:
        supplied = tuple(sorted(i for i, o in owner.items() if o == v))
        if supplied:
            uses.append(VintageUse(records[v], supplied))
        elif vintages is not None:
            raise InputError(
                f"vintage {v} supplies no indicator: a later vintage named replaces all of them"
            )
    return uses


def _nation_letter(code: str) -> str:
    """The nation of a GSS code (E England, W Wales, S Scotland, N Northern Ireland)."""
    return code[:1]


def area_scope(store: Store, area: str | None, *, vintage: str | None = None) -> Scope:
    """The area, its children in the store's hierarchy and its national comparator.

    The children are the area's direct children in any hierarchy, of the most common area
    type among them (small areas such as LSOAs and wards left out). The national comparator
    is the area's ancestor of type ``country``, else the one country in the store sharing
    the area code's nation letter (GSS codes: E, W, S, N).
    """
    areas = pl.from_arrow(store.areas(vintage=vintage))
    kinds = set(areas["area_type"].to_list())
    if not {"la", "region"} & kinds:
        raise InputError(
            f"the store {store.path!r} has no areas of type 'la' or 'region': "
            "the report needs areas and the region that holds them"
        )
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    types = dict(zip(areas["area_code"], areas["area_type"], strict=True))
    links = (
        pl.from_arrow(store.hierarchy(vintage=vintage)).select("child_code", "parent_code").unique()
    )
    links = links.filter(
        ~pl.col("child_code").replace_strict(types, default="").is_in(list(SMALL_AREAS))
        & pl.col("child_code").is_in(list(types))
    )
    if area is None:
        area = _default_area(areas, links)
    elif area not in names:
        raise InputError(
            f"area {area!r} is not in the store {store.path!r}; "
            f"regions there: {_listing(areas, 'region')}"
        )
    child_codes = links.filter(pl.col("parent_code") == area)["child_code"].unique().to_list()
    if not child_codes:
        raise InputError(
            f"area {area!r} ({names[area]}) has no child areas in the store's hierarchy: "
            "import a lookup (e.g. LAD to region) first"
        )
    counts = Counter(types[c] for c in child_codes)
    child_type = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    children = sorted((c for c in child_codes if types[c] == child_type), key=lambda c: names[c])
    national = _national(store, area, areas)
    letter = _nation_letter(area)
    peers = tuple(
        areas.filter(
            (pl.col("area_type") == child_type) & pl.col("area_code").str.starts_with(letter)
        )["area_code"].to_list()
    )
    return Scope(area, tuple(children), child_type, national, names, peers)


def _listing(areas: pl.DataFrame, kind: str) -> str:
    rows = areas.filter(pl.col("area_type") == kind).head(12)
    listed = ", ".join(
        f"{c} ({n})" for c, n in zip(rows["area_code"], rows["area_name"], strict=True)
    )
    return listed or "none"


def _default_area(areas: pl.DataFrame, links: pl.DataFrame) -> str:
    """The store's one region with children; several are an error asking to name one."""
    regions = areas.filter(pl.col("area_type") == "region")["area_code"].to_list()
    parents = set(links["parent_code"].to_list())
    with_children = [r for r in regions if r in parents]
    if len(with_children) == 1:
        return with_children[0]
    if not with_children:
        raise InputError(
            "no region in the store has child areas in its hierarchy: import a lookup "
            "(e.g. LAD to region) or name the report's area"
        )
    raise InputError(
        f"the store holds {len(with_children)} regions with child areas "
        f"({_listing(areas.filter(pl.col('area_code').is_in(with_children)), 'region')}): "
        "name the report's area, e.g. --area " + with_children[0]
    )


def _national(store: Store, area: str, areas: pl.DataFrame) -> str | None:
    ancestors = pl.from_arrow(store.parents(area))
    countries = ancestors.filter(pl.col("area_type") == "country")["area_code"].to_list()
    if countries:
        return countries[0]
    same = areas.filter(
        (pl.col("area_type") == "country")
        & pl.col("area_code").str.starts_with(_nation_letter(area))
    )["area_code"].to_list()
    return same[0] if len(same) == 1 else None
