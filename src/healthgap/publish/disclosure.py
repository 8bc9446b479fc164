"""Disclosure control: the one function every published output goes through.

Exports, the report, the API and the dashboard call :func:`apply_disclosure` on the values
they are about to publish, with each indicator's :class:`DisclosureRule`.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa

from healthgap import _frames
from healthgap._conventions import LIMITS
from healthgap.catalogue.metadata import DisclosureRule
from healthgap.errors import ColumnNotFoundError, InputError, SuppressedWarning
from healthgap.publish import _disclosure_implied, _relations, _secondary
from healthgap.store.schema import VALUE_KEYS

__all__ = ["SECONDARY_NOTE", "apply_disclosure", "note"]

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
_DEFAULT_NOTE = DisclosureRule().note


def note(rule: DisclosureRule) -> str:
    """Return the value note of rows a rule suppresses, naming the rule's actual threshold.

    A rule keeping the default note gets one that says its own range of counts (the default
    text, "count between 1 and 4", is right only for ``suppress_below=5``); a rule with a
    note of its own keeps it.

    Examples
    --------
    >>> note(DisclosureRule(suppress_below=10))
    'Value suppressed for disclosure control: count between 1 and 9.'
    >>> note(DisclosureRule(suppress_below=3, suppress_zero=True, round_to=5))
    'Value suppressed for disclosure control: count between 0 and 2, or rounding to one.'
    """
    if rule.note != _DEFAULT_NOTE:
        return rule.note
    low, high = (0 if rule.suppress_zero else 1), rule.suppress_below - 1
    if high < low:
        counts = "count of 0" if rule.suppress_zero else ""
    elif high == low:
        counts = f"count of {low}"
    else:
        counts = f"count between {low} and {high}"
    if not counts:
        return "Value suppressed for disclosure control."
    rounding = ", or rounding to one" if rule.round_to else ""
    return f"Value suppressed for disclosure control: {counts}{rounding}."


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
            "_note": [note(r) for r in chosen],
        },
        schema_overrides={"_round": pl.Float64, "_below": pl.Float64},
    )


def _small(count: pl.Expr) -> pl.Expr:
    return ((count > 0) & (count < pl.col("_below"))) | (pl.col("_zero") & (count == 0))


def _rounded(count: pl.Expr) -> pl.Expr:
    """Round half up to a multiple of the rule's ``round_to`` (unchanged without one)."""
    step = pl.col("_round")
    return pl.when(step.is_null()).then(count).otherwise((count / step + 0.5).floor() * step)


def _links(hierarchy: Any) -> pl.DataFrame | None:
    """Area links as Polars ``hierarchy, child_code, parent_code`` (None when not given)."""
    if hierarchy is None:
        return None
    links = _frames.to_frame(hierarchy, "hierarchy").to_polars()
    missing = [c for c in ("child_code", "parent_code") if c not in links.columns]
    if missing:
        raise ColumnNotFoundError(
            f"columns {missing} not found in hierarchy; available: {links.columns}"
        )
    if "hierarchy" not in links.columns:
        links = links.with_columns(hierarchy=pl.lit(""))
    return links.select(
        pl.col("hierarchy").cast(pl.String),
        pl.col("child_code").cast(pl.String),
        pl.col("parent_code").cast(pl.String),
    )


def _judged_count(
    df: pl.DataFrame,
    multipliers: Mapping[str, float] | None,
    limit_methods: Mapping[str, _disclosure_implied.LimitMethod] | None,
) -> pl.Series:
    """Return the count, or for a row without one, the count its value implies.

    A crude rate or proportion with a denominator implies value x denominator / multiplier;
    a value with confidence limits computed from its count implies the count those limits
    were computed from (:mod:`healthgap.publish._disclosure_implied`).
    """
    count = df["count"]
    if multipliers and {"value", "denominator"} <= set(df.columns):
        factor = pl.col("indicator_id").replace_strict(
            dict(multipliers), default=None, return_dtype=pl.Float64
        )
        implied = (pl.col("value") * pl.col("denominator") / factor).round(6)
        count = df.select(pl.coalesce(pl.col("count"), implied))["count"]
    if limit_methods:
        from_limits = _disclosure_implied.implied_counts(df, limit_methods, multipliers or {})
        # judged as the nearest whole count
        from_limits = pl.Series(np.round(from_limits, 0), nan_to_null=True)
        count = count.fill_null(from_limits) if count.null_count() else count
    return count


def apply_disclosure(
    values: Any,
    rules: Mapping[str, DisclosureRule] | DisclosureRule | None = None,
    *,
    totals: Literal["all"] | Collection[str] = "all",
    hierarchy: Any = None,
    multipliers: Mapping[str, float] | None = None,
    limit_methods: Mapping[str, _disclosure_implied.LimitMethod] | None = None,
) -> Any:
    r"""Withhold small counts, and whatever would reveal them, before values are published.

    Primary suppression withholds a row when its count :math:`c` is small under the
    indicator's rule,

    .. math:: 0 < c < \text{suppress\_below} \quad\text{or}\quad
              (\text{suppress\_zero} \wedge c = 0),

    checking the count as given and as rounded (when the rule rounds). A withheld row has
    ``value``, every limit, ``count`` and ``denominator`` set to null (a value with its
    denominator, or with limits, gives the count back) and ``value_note`` set to the rule's
    note, which names the rule's threshold (:func:`note`). Published counts are rounded
    half up to a multiple of ``round_to`` when the rule has one.

    Secondary suppression withholds further rows until no suppressed count can be worked
    out from what is published, through the relations "parent = sum of children" among
    counts of the same indicator: Persons = Male + Female; a total = the categories of each
    breakdown; a parent area = its children in ``hierarchy`` (small area -> borough ->
    London -> England; deciles of an area are its categories); a pooled period = its single
    years; an age band = the bands it is made of. Every subtraction, every chain of them and
    every solution of several relations together (a linear audit of each linked group of
    unknowns) is closed (:mod:`healthgap.publish._secondary`,
    :mod:`healthgap.publish._disclosure_audit`). The rows withheld get :data:`SECONDARY_NOTE`.

    Parameters
    ----------
    values : pandas, Polars or Arrow table
        Values with the key columns of :data:`~healthgap.store.schema.VALUE_KEYS` and
        ``count``; ``value``, limits, ``denominator``, ``value_note``, ``period_start`` and
        ``period_years`` are used when present (pooled periods need the last two), other
        columns pass through.
    rules : DisclosureRule or mapping of indicator id to DisclosureRule, optional
        One rule for all rows, or one per indicator; indicators without one get the default
        :class:`DisclosureRule` (counts 1-4 suppressed, secondary suppression on).
    totals : "all" or collection of str, default "all"
        Which sex and category relations hold: ``"all"`` treats Male + Female = Persons and
        every breakdown as exhaustive (the safe default: it can only withhold more);
        otherwise the names of the exhaustive breakdowns (``category_type`` values) plus
        ``"sex"`` when the sexes add up. Periods, ages and ``hierarchy`` always count.
    hierarchy : pandas, Polars or Arrow table, optional
        Area links ``child_code, parent_code`` (and ``hierarchy``, the version name), e.g.
        :meth:`healthgap.store.Store.hierarchy`; each parent is taken as the sum of all its
        children, published or not.
    multipliers : mapping of indicator id to float, optional
        Crude rates and proportions: a row with a value and a denominator but no count
        still tells its count, :math:`c = \text{value} \times n / \text{multiplier}`,
        which is judged and protected as if published.
    limit_methods : mapping of indicator id to {"poisson", "wilson"}, optional
        Indicators whose confidence limits were computed from their count: Poisson limits
        (crude rates, directly and indirectly standardised rates and ratios) or Wilson limits
        (proportions). A row with a value and limits but no count is judged by the count the
        limits imply (:mod:`healthgap.publish._disclosure_implied`) and withheld, with its
        limits, when that count is small.

    Returns
    -------
    Same kind as ``values``
        The same rows, order and columns, with suppressed rows withheld and counts rounded.

    Notes
    -----
    Rows with a null count (and no count implied by ``multipliers`` or ``limit_methods``)
    are published as they are and are unknowns to an attacker. A part missing from the
    table is a known zero for sexes and categories (tables often leave out empty categories)
    and an unknown for areas, single years and age bands. Rounded counts are treated as
    exact (conservative). When the linear audit does not free every jointly solvable count
    within :data:`~healthgap.publish._secondary.AUDIT_ROUNDS` rounds, a
    :class:`~healthgap.errors.SuppressedWarning` says how many are left (differencing stays
    closed). What is not ruled out: bounds beyond one relation (a suppressed
    count lies in its rule's range and counts are not negative, so an attacker solving with
    inequalities may narrow a hidden count; a published total over suppressed parts only
    that pins them is withheld, but intervals over several relations are not computed);
    relations healthgap is not told about.

    References
    ----------
    .. [1] Office for National Statistics. Disclosure control guidance for birth and death
       statistics, 2014 (primary and secondary suppression of small counts).
    .. [2] NHS Digital. Hospital Episode Statistics analysis guide: suppression of counts
       of 1 to 7 and of the values derived from them.
    .. [3] Hundepool A et al. Statistical Disclosure Control. Wiley 2012, section 4.2
       (secondary suppression in linked tables and its audit).

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
    links = _links(hierarchy)
    df = frame.to_polars().with_row_index("_rid")
    original = df.columns
    df = df.with_columns(pl.col("count").cast(pl.Float64))
    df = df.join(_rules_frame(df["indicator_id"], rules), on="indicator_id", how="left").sort(
        "_rid"
    )
    count = pl.col("_count")
    df = df.with_columns(_count=_judged_count(df, multipliers, limit_methods))
    df = df.with_columns(
        _primary=(_small(count) | _small(_rounded(count))).fill_null(False),
    )
    withheld = df["_primary"].to_numpy().astype(bool)
    linked = df.filter(pl.col("_secondary"))
    if linked.height:
        rows = linked["_rid"].to_numpy().astype(np.int64)
        linked = linked.with_columns(_rid=pl.int_range(pl.len(), dtype=pl.UInt32))
        relations = _relations.build(
            linked,
            sexes=totals == "all" or "sex" in totals,
            breakdowns=None if totals == "all" else [t for t in totals if t != "sex"],
            hierarchy=links,
        )
        protected, left = _secondary.protect(
            withheld[rows],
            linked["_count"].to_numpy().astype(float),
            relations,
            low=np.where(linked["_zero"].to_numpy(), 0.0, 1.0),
            high=linked["_below"].to_numpy().astype(float) - 1,
        )
        withheld[rows] = protected
        if left:
            warnings.warn(
                f"disclosure control: {left} suppressed counts could still be worked out by "
                "solving several relations together (the audit gave up after "
                f"{_secondary.AUDIT_ROUNDS} rounds); subtraction and chains of it are closed",
                SuppressedWarning,
                stacklevel=2,
            )
    df = df.with_columns(_withheld=pl.Series(withheld))
    withhold = pl.col("_withheld")
    written = pl.when(pl.col("_primary")).then(pl.col("_note")).otherwise(pl.lit(SECONDARY_NOTE))
    out = (
        df.with_columns(
            *[
                pl.when(withhold).then(None).otherwise(pl.col(c)).alias(c)
                for c in WITHHELD
                if c in original and c != "count"
            ],
            pl.when(withhold).then(None).otherwise(_rounded(pl.col("count"))).alias("count"),
            *(
                [
                    pl.when(withhold)
                    .then(written)
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
