"""A source's own judgements as they may be published: a withheld value's judgement is too.

A source's judgement ("Worse 95%" than England) says where a value lies, so it is published
only beside a published value: where disclosure control withholds the value (or the source
published none), the judgement is withheld with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import polars as pl
import pyarrow as pa

from healthgap.errors import SuppressedWarning
from healthgap.publish import _published
from healthgap.store import Store
from healthgap.store.schema import JUDGEMENTS, VALUE_KEYS

__all__ = ["published_judgements"]


def published_judgements(
    store: Store, vintage: str | None = None, indicator_ids: Sequence[str] | None = None
) -> pa.Table:
    """Return a vintage's source judgements beside the values it publishes.

    Parameters
    ----------
    store : Store
    vintage : str, optional
        Vintage id or unique prefix; None for the latest.
    indicator_ids : sequence of str, optional
        Keep only these indicators.

    Returns
    -------
    pyarrow.Table
        Columns of :data:`~healthgap.store.schema.JUDGEMENTS`, sorted by key: the judgements
        of values published with a value (disclosure control applied with each indicator's
        rule, as :func:`~healthgap.publish.export.published_values` does); none for the
        values it withholds. Empty for a vintage whose source published no judgements.
    """
    vintage_id = store.resolve(vintage)
    wanted = list(indicator_ids) if indicator_ids else None
    judged = store.judgements(vintage_id, indicator_id=wanted)
    if judged.num_rows == 0:
        return judged
    ids = sorted(set(judged["indicator_id"].to_pylist()))
    with warnings.catch_warnings():
        # the values' own publication warns of what it withholds
        warnings.simplefilter("ignore", SuppressedWarning)
        values = _published.published(store, vintage_id, ids)
    shown = pl.from_arrow(values).filter(pl.col("value").is_not_null()).select(VALUE_KEYS)
    kept = pl.from_arrow(judged).join(shown, on=list(VALUE_KEYS), how="semi", nulls_equal=True)
    return kept.sort(list(VALUE_KEYS)).to_arrow().cast(JUDGEMENTS)
