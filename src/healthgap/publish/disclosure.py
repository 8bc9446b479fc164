"""Disclosure control: the one function every published output goes through.

Exports, the report, the API and the dashboard call :func:`apply_disclosure` on the values
they are about to publish, with each indicator's :class:`DisclosureRule`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa

from healthgap import _frames
from healthgap._conventions import LIMITS
from healthgap.catalogue.metadata import DisclosureRule
from healthgap.errors import ColumnNotFoundError, InputError
from healthgap.store.schema import VALUE_KEYS

__all__ = ["SECONDARY_NOTE", "apply_disclosure"]

#: Value note of cells withheld only so that another suppressed cell cannot be recovered.
SECONDARY_NOTE = (
    "Value suppressed for disclosure control: withheld so that a small count elsewhere "
    "cannot be worked out from a total."
)
#: Columns withheld on a suppressed row (those present in the data).
WITHHELD = (
    "value",
    *LIMITS,
    "lowercl",
    "uppercl",
    "count",
    "denominator",
)
_SEX_TOTAL, _SEX_PARTS = "Persons", ("Male", "Female")


def _rules_frame(
    ids: pl.Series, rules: Mapping[str, DisclosureRule] | DisclosureRule | None
) -> pl.DataFrame:
    """One row of rule settings per indicator id (the default rule for ids not given)."""
    if isinstance(rules, DisclosureRule):
        lookup: Mapping[str, DisclosureRule] = {}
        default = rules
    else:
        lookup, default = dict(rules or {}), DisclosureRule()
    wrong = [k for k, v in lookup.items() if not isinstance(v, DisclosureRule)]
    if wrong:
        raise InputError(f"rules must map indicator ids to DisclosureRule; not for {wrong[:5]}")
    chosen = [lookup.get(i, default) for i in ids.unique().sort().to_list()]
    return pl.DataFrame(
        {
            "indicator_id": ids.unique().sort(),
            "_below": [r.suppress_below for r in chosen],
            "_zero": [r.suppress_zero for r in chosen],
            "_round": [r.round_to for r in chosen],
            "_secondary": [r.secondary for r in chosen],
            "_note": [r.note for r in chosen],
        },
        schema_overrides={"_round": pl.Float64, "_below": pl.Float64},
    )


def _small(count: pl.Expr) -> pl.Expr:
    return ((count > 0) & (count < pl.col("_below"))) | (pl.col("_zero") & (count == 0))


def _rounded(count: pl.Expr) -> pl.Expr:
    """Round half up to a multiple of the rule's ``round_to`` (unchanged without one)."""
    step = pl.col("_round")
    return pl.when(step.is_null()).then(count).otherwise((count / step + 0.5).floor() * step)


def _groups(frame: pl.DataFrame, totals: Literal["all"] | Collection[str]) -> pl.DataFrame:
    """Membership of rows in additive groups: ``gid, _rid, _is_total``.

    A group is one total and its parts: Persons = Male + Female for the same indicator,
    area, period, age and category; and the categories of a breakdown = the row without
    breakdown (``category_type == ''``) for the same indicator, area, period, sex and age.
    Only groups with a total and at least one part, of indicators with secondary
    suppression on, are kept.
    """
    use_sex = totals == "all" or "sex" in totals
    rows = frame.filter(pl.col("_secondary"))
    base = ["indicator_id", "area_code", "period", "age"]
    # A group's id is the smallest row id in it (sex groups) or that plus the row count
    # (breakdown groups), so ids are integers without hashing or string joins.
    offset = frame.height
    parts = []
    if use_sex:
        sexed = rows.filter(pl.col("sex").is_in([_SEX_TOTAL, *_SEX_PARTS]))
        parts.append(
            sexed.select(
                pl.col("_rid").min().over([*base, "category_type", "category"]).alias("gid"),
                "_rid",
                (pl.col("sex") == _SEX_TOTAL).alias("_is_total"),
            )
        )
    broken = rows.filter(pl.col("category_type") != "")
    if totals != "all":
        broken = broken.filter(pl.col("category_type").is_in(list(totals)))
    whole_keys = [*base, "sex"]
    broken = broken.with_columns(
        (pl.col("_rid").min().over([*whole_keys, "category_type"]) + offset).alias("gid")
    )
    parts.append(broken.select("gid", "_rid", pl.lit(False).alias("_is_total")))
    whole = rows.filter(pl.col("category_type") == "").select(*whole_keys, "_rid")
    breakdowns = broken.select(*whole_keys, "gid").unique()
    parts.append(
        whole.join(breakdowns, on=whole_keys).select("gid", "_rid", pl.lit(True).alias("_is_total"))
    )
    members = pl.concat(parts)
    kept = (
        members.group_by("gid")
        .agg(pl.col("_is_total").any().alias("_any"), pl.col("_is_total").all().alias("_all"))
        .filter(pl.col("_any") & ~pl.col("_all"))
        .select("gid")
    )
    return members.join(kept, on="gid", how="semi")


def _secondary(primary: np.ndarray, count: np.ndarray, members: pl.DataFrame) -> np.ndarray:
    """Cells to withhold so that no group has exactly one unpublished cell that was suppressed.

    Each pass finds, in every group at risk, the published part with the smallest count (the
    total when no part is published) and withholds it; passes repeat until no group is at
    risk (a cell withheld in one group can put another at risk). ``primary`` and ``count``
    are indexed by row id; loops over passes, never over rows or groups.
    """
    rid = members["_rid"].to_numpy().astype(np.int64)
    gid = members["gid"].to_numpy().astype(np.int64)
    is_total = members["_is_total"].to_numpy().astype(bool)
    has_count = ~np.isnan(count)
    n_groups = int(gid.max()) + 1
    # members in the order of choice: by group, parts before the total, smallest count first
    order = np.lexsort((rid, np.nan_to_num(count[rid], nan=np.inf), is_total, gid))
    ordered_rid, ordered_gid = rid[order], gid[order]
    withheld = primary.copy()
    while True:
        published = has_count & ~withheld
        n_gaps = np.bincount(gid, weights=~published[rid], minlength=n_groups)
        n_suppressed = np.bincount(gid, weights=withheld[rid], minlength=n_groups)
        at_risk = (n_gaps == 1) & (n_suppressed == 1)
        if not at_risk.any():
            return withheld
        candidate = at_risk[ordered_gid] & published[ordered_rid]
        _, first = np.unique(ordered_gid[candidate], return_index=True)
        withheld[ordered_rid[candidate][first]] = True


def apply_disclosure(
    values: Any,
    rules: Mapping[str, DisclosureRule] | DisclosureRule | None = None,
    *,
    totals: Literal["all"] | Collection[str] = "all",
) -> Any:
    r"""Withhold small counts, and whatever would reveal them, before values are published.

    Primary suppression withholds a row when its count :math:`c` is small under the
    indicator's rule,

    .. math:: 0 < c < \text{suppress\_below} \quad\text{or}\quad
              (\text{suppress\_zero} \wedge c = 0),

    checking the count as given and as rounded (when the rule rounds). A withheld row has
    ``value``, every limit, ``count`` and ``denominator`` set to null and ``value_note`` set
    to the rule's note. Published counts are rounded half up to a multiple of
    ``round_to`` when the rule has one.

    Secondary suppression protects against recovery by subtraction. The additive groups
    are Persons = Male + Female (same indicator, area, period, age and category) and the
    categories of a breakdown = the row without breakdown (same indicator, area, period, sex
    and age). In a group where exactly one cell is unpublished and it was suppressed, the
    published part with the smallest count is withheld too (the total when no part is
    published), repeating until no group has a single suppressed gap; these rows get
    :data:`SECONDARY_NOTE`.

    Parameters
    ----------
    values : pandas, Polars or Arrow table
        Values with the key columns of :data:`~healthgap.store.schema.VALUE_KEYS` and
        ``count``; ``value``, limits, ``denominator`` and ``value_note`` are handled when
        present, other columns pass through.
    rules : DisclosureRule or mapping of indicator id to DisclosureRule, optional
        One rule for all rows, or one per indicator; indicators without one get the default
        :class:`DisclosureRule` (counts 1-4 suppressed, secondary suppression on).
    totals : "all" or collection of str, default "all"
        Which additive relations hold: ``"all"`` treats Male + Female = Persons and every
        breakdown as exhaustive (the safe default: it can only withhold more); otherwise the
        names of the exhaustive breakdowns (``category_type`` values) plus ``"sex"`` when
        the sexes add up.

    Returns
    -------
    Same kind as ``values``
        The same rows, order and columns, with suppressed rows withheld and counts rounded.

    Notes
    -----
    Rows with a null count are published as they are (there is no count to judge) and count
    as unpublished when judging whether a gap can be recovered. The guarantee is against
    subtraction within any one total and its parts; combining several relations in a
    linear programme (as statistical offices' audit tools do) is not ruled out.

    References
    ----------
    .. [1] Office for National Statistics. Disclosure control guidance for birth and death
       statistics, 2014 (primary and secondary suppression of small counts).
    .. [2] NHS Digital. Hospital Episode Statistics analysis guide: suppression of counts
       of 1 to 7 and of the values derived from them.

    Examples
    --------
    >>> import polars as pl
    >>> rows = pl.DataFrame({
    ...     "indicator_id": ["x"] * 3, "area_code": ["E1"] * 3, "period": ["2021"] * 3,
    ...     "sex": ["Persons", "Male", "Female"], "age": ["All ages"] * 3,
    ...     "category_type": [""] * 3, "category": [""] * 3,
    ...     "value": [0.5, 0.3, 0.2], "count": [50.0, 47.0, 3.0], "value_note": [None] * 3})
    >>> out = apply_disclosure(rows)
    >>> out["count"].to_list()  # Female 3 suppressed, so Male too (else 50 - 47 = 3)
    [50.0, None, None]
    """
    frame = _frames.to_frame(values, "values")
    native_schema = values.schema if isinstance(values, pa.Table) else None
    missing = [c for c in (*VALUE_KEYS, "count") if c not in frame.columns]
    if missing:
        raise ColumnNotFoundError(
            f"columns {missing} not found in values; available: {frame.columns}"
        )
    if totals != "all" and isinstance(totals, str):
        raise InputError(f"totals must be 'all' or a collection of names; got {totals!r}")
    df = frame.to_polars().with_row_index("_rid")
    original = df.columns
    df = df.with_columns(pl.col("count").cast(pl.Float64))
    df = df.join(_rules_frame(df["indicator_id"], rules), on="indicator_id", how="left").sort(
        "_rid"
    )
    count = pl.col("count")
    df = df.with_columns(
        _primary=(_small(count) | _small(_rounded(count))).fill_null(False),
    )
    members = _groups(df, totals)
    withheld = df["_primary"].to_numpy().astype(bool)
    if not members.is_empty():
        count_array = df["count"].to_numpy().astype(float)  # nulls -> NaN
        withheld = _secondary(withheld, count_array, members)
    df = df.with_columns(_withheld=pl.Series(withheld))
    withhold = pl.col("_withheld")
    note = pl.when(pl.col("_primary")).then(pl.col("_note")).otherwise(pl.lit(SECONDARY_NOTE))
    out = (
        df.with_columns(
            *[
                pl.when(withhold).then(None).otherwise(pl.col(c)).alias(c)
                for c in WITHHELD
                if c in original and c != "count"
            ],
            pl.when(withhold).then(None).otherwise(_rounded(count)).alias("count"),
            *(
                [
                    pl.when(withhold)
                    .then(note)
                    .otherwise(pl.col("value_note").cast(pl.String))
                    .alias("value_note")
                ]
                if "value_note" in original
                else []
            ),
        )
        .sort("_rid")
        .select([c for c in original if c != "_rid"])
    )
    library = type(values).__module__.split(".")[0]
    if library == "pandas":
        return out.to_pandas()
    if native_schema is None:
        return out
    fields = [
        pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in native_schema
    ]
    return out.to_arrow().cast(pa.schema(fields))
