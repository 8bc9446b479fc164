"""What a vintage may publish, computed once per indicator and kept while the store is open.

A vintage never changes (values, rules, hierarchy), and disclosure control links counts of
one indicator only, so an indicator's published values are the same whichever other
indicators are published with them. They are computed the first time they are asked for
and kept with the open :class:`~healthgap.store.Store` (up to :data:`MAX_CACHED_ROWS`
rows, oldest dropped first), so a server answering many requests applies disclosure
control once per indicator, not once per request.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from healthgap.catalogue import METHODS
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.errors import InputError
from healthgap.publish._disclosure_implied import LimitMethod
from healthgap.publish.disclosure import apply_disclosure
from healthgap.store import Store

#: Rows of published values kept per open store.
MAX_CACHED_ROWS = 5_000_000
#: Words of a ``ci_method`` (an imported or published indicator's, whose method is not in the
#: method table :data:`healthgap.catalogue.METHODS`) naming limits computed from a count.
_CI_WORDS: tuple[tuple[str, LimitMethod], ...] = (
    ("wilson", "wilson"),
    ("byar", "poisson"),
    ("dobson", "poisson"),
    ("poisson", "poisson"),
)


def _counts_from_value(meta: IndicatorMeta) -> bool:
    """Whether value x denominator / multiplier is the count (the method table says)."""
    row = METHODS.get(meta.method)
    return row is not None and row.count_from_value


def limit_method(meta: IndicatorMeta) -> LimitMethod | None:
    """How an indicator's limits give its count back: by its method, or its ``ci_method``.

    Life expectancy, means, survey estimates and other values whose limits do not come from
    a count get ``None`` and are not judged by their limits.
    """
    row = METHODS.get(meta.method)
    if row is not None and row.count_limits is not None:
        return row.count_limits
    text = meta.ci_method.lower()
    return next((kind for word, kind in _CI_WORDS if word in text), None)


_kept: weakref.WeakKeyDictionary[Store, dict[tuple[str, str], pa.Table]] = (
    weakref.WeakKeyDictionary()
)
_ids: weakref.WeakKeyDictionary[Store, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def _disclosed(store: Store, vintage_id: str, indicator_ids: list[str]) -> dict[str, pa.Table]:
    """Apply disclosure control to these indicators of the vintage; one table per id."""
    values = store.values(vintage_id, indicator_id=indicator_ids)
    metas = store.indicators(vintage=vintage_id)
    rules = {meta.id: meta.disclosure for meta in metas}
    crude = {m.id: m.multiplier for m in metas if _counts_from_value(m)}
    limits = {m.id: kind for m in metas if (kind := limit_method(m)) is not None}
    out = apply_disclosure(
        values,
        rules,
        hierarchy=store.hierarchy(vintage=vintage_id),
        multipliers=crude,
        limit_methods=limits,
    )
    ids = out["indicator_id"].to_numpy(zero_copy_only=False)
    found, starts = np.unique(ids, return_index=True)  # rows are sorted by indicator id
    ends = [*starts[1:], len(ids)]
    return {
        str(i): out.slice(int(s), int(e - s)) for i, s, e in zip(found, starts, ends, strict=True)
    }


def published(store: Store, vintage: str | None, indicator_ids: Sequence[str] | None) -> pa.Table:
    """Return the vintage's published values of these indicators (all when None)."""
    vintage_id = store.resolve(vintage)
    held = _ids.setdefault(store, {})
    if vintage_id not in held:
        held[vintage_id] = store.vintage(vintage_id)["indicator_ids"]
    wanted = sorted(set(indicator_ids)) if indicator_ids else held[vintage_id]
    unknown = sorted(set(wanted) - set(held[vintage_id]))
    if unknown:
        raise InputError(f"indicators {unknown} have no values in vintage {vintage_id}")
    kept = _kept.setdefault(store, {})
    missing = [i for i in wanted if (vintage_id, i) not in kept]
    fresh = _disclosed(store, vintage_id, missing) if missing else {}
    tables = [fresh[i] if i in fresh else kept[(vintage_id, i)] for i in wanted]
    for indicator_id, table in fresh.items():
        kept[(vintage_id, indicator_id)] = table
    while len(kept) > 1 and sum(t.num_rows for t in kept.values()) > MAX_CACHED_ROWS:
        kept.pop(next(iter(kept)))  # the oldest first
    return pa.concat_tables(tables)
