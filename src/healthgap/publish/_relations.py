"""The linear relations among published counts: every "parent = sum of its children".

An attacker who sees some counts of a table can subtract along any relation that holds
among them. The relations healthgap publishes are, for counts of the same indicator:

- sex: Persons = Male + Female;
- categories: the row without breakdown = the sum of the categories of each breakdown
  (the categories of a breakdown are those seen anywhere in the indicator);
- geography: a parent area = the sum of its children in each named hierarchy (the
  children are the hierarchy's, whether published or not);
- periods: a pooled period (``period_years > 1``) = the sum of its single years;
- ages: every age band = the sum of the elementary bands between the band limits seen
  in the indicator (so "All ages" = "<75 yrs" + "75+ yrs", "<75" = "0-64" + "65-74", ...).

Members that are not in the table (a borough without a row, a single year of a pooled-only
series, an elementary age band) are *virtual* variables: never published, they still link
relations (a missing borough's unknown count is the same unknown in every relation it is
in). Relations through a virtual variable that appears nowhere else say nothing about the
rest and are dropped. The relations are assumed exact whenever they could be: assuming a
relation that does not hold can only withhold more.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

KEY = ("indicator_id", "area_code", "_per", "sex", "_age", "category_type", "category")
_SEX_TOTAL, _SEX_PARTS = "Persons", ("Male", "Female")
_OPEN_END = 1000  # upper limit of open age bands ("65+", "All ages")


class Relations(NamedTuple):
    """Members of every relation: ``parent - sum(children) = 0``, one entry per member."""

    rel: np.ndarray  # relation number of each member
    var: np.ndarray  # variable: a row id (< n_rows) or a virtual variable (>= n_rows)
    is_parent: np.ndarray  # the member is the relation's parent (coefficient +1, else -1)
    n_vars: int


def _age_limits(age: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``[low, high)`` of an age label in years; null when it is not a band of years."""
    text = age.str.strip_chars().str.to_lowercase()
    under = text.str.extract(r"^<\s*(\d+)\s*(?:yrs?|years?)?$").cast(pl.Int64)
    over = text.str.extract(r"^(\d+)\s*\+\s*(?:yrs?|years?)?$").cast(pl.Int64)
    low = text.str.extract(r"^(\d+)\s*-\s*\d+\s*(?:yrs?|years?)?$").cast(pl.Int64)
    high = text.str.extract(r"^\d+\s*-\s*(\d+)\s*(?:yrs?|years?)?$").cast(pl.Int64)
    single = text.str.extract(r"^(\d+)\s*(?:yrs?|years?)?$").cast(pl.Int64)
    everyone = text == "all ages"
    start = (
        pl.when(everyone | under.is_not_null())
        .then(0)
        .when(over.is_not_null())
        .then(over)
        .when(low.is_not_null())
        .then(low)
        .otherwise(single)
    )
    end = (
        pl.when(everyone | over.is_not_null())
        .then(_OPEN_END)
        .when(under.is_not_null())
        .then(under)
        .when(high.is_not_null())
        .then(high + 1)
        .otherwise(single + 1)
    )
    return start, end


def _age_key(low: pl.Expr, high: pl.Expr) -> pl.Expr:
    return pl.format("[{},{})", low, high)


def cells(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows as variables: ``_rid`` and the internal key columns :data:`KEY`.

    ``_per`` is ``"<first year>+<years>"`` (the period label when the table has no
    ``period_start``/``period_years``), ``_age`` the band ``"[low,high)"`` (the label when it
    is not a band of years); ``_low``/``_high`` and ``_start``/``_years`` are kept.
    """
    low, high = _age_limits(pl.col("age"))
    if {"period_start", "period_years"} <= set(frame.columns):
        start = pl.col("period_start").cast(pl.Int64)
        years = pl.col("period_years").cast(pl.Int64)
    else:
        start = years = pl.lit(None, pl.Int64)
    out = frame.select(
        "_rid",
        "indicator_id",
        "area_code",
        "sex",
        "category_type",
        "category",
        start.alias("_start"),
        years.alias("_years"),
        low.alias("_low"),
        high.alias("_high"),
        pl.col("age"),
        pl.col("period"),
    ).with_columns(
        pl.when(pl.col("_start").is_not_null() & pl.col("_years").is_not_null())
        .then(pl.format("{}+{}", "_start", "_years"))
        .otherwise(pl.col("period"))
        .alias("_per"),
        pl.when(pl.col("_low").is_not_null())
        .then(_age_key(pl.col("_low"), pl.col("_high")))
        .otherwise(pl.col("age"))
        .alias("_age"),
    )
    return out.drop("age", "period")


def _numbered(parents: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return parents.unique(subset=by, maintain_order=True).with_row_index("_group")


def _sex(c: pl.DataFrame) -> pl.DataFrame:
    keyed = c.filter(pl.col("sex").is_in([_SEX_TOTAL, *_SEX_PARTS]))
    parents = _numbered(keyed.select(*KEY).with_columns(sex=pl.lit(_SEX_TOTAL)), list(KEY))
    parts = [
        parents.with_columns(sex=pl.lit(s), _parent=pl.lit(s == _SEX_TOTAL))
        for s in (_SEX_TOTAL, *_SEX_PARTS)
    ]
    return pl.concat(parts).select("_group", *KEY, "_parent")


def _categories(c: pl.DataFrame, breakdowns: list[str] | None) -> pl.DataFrame:
    split = c.filter(pl.col("category_type") != "")
    if breakdowns is not None:
        split = split.filter(pl.col("category_type").is_in(breakdowns))
    kinds = split.select("indicator_id", "category_type", "category").unique()
    whole = [k for k in KEY if k not in ("category_type", "category")]
    totals = pl.concat(
        [
            split.select(*whole, pl.col("category_type").alias("_ctype")),
            c.filter(pl.col("category_type") == "")
            .select(*whole)
            .join(
                kinds.select("indicator_id", pl.col("category_type").alias("_ctype")).unique(),
                on="indicator_id",
            ),
        ]
    )
    parents = _numbered(totals, [*whole, "_ctype"])
    parent_rows = parents.with_columns(
        category_type=pl.lit(""), category=pl.lit(""), _parent=pl.lit(True)
    )
    children = parents.join(
        kinds, left_on=["indicator_id", "_ctype"], right_on=["indicator_id", "category_type"]
    ).with_columns(category_type=pl.col("_ctype"), _parent=pl.lit(False))
    return pl.concat(
        [parent_rows.select("_group", *KEY, "_parent"), children.select("_group", *KEY, "_parent")]
    )


def _geography(c: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    as_parent = c.select(*KEY).join(
        links.select("hierarchy", pl.col("parent_code").alias("area_code")).unique(),
        on="area_code",
    )
    as_child = (
        c.select(*KEY)
        .join(links, left_on="area_code", right_on="child_code")
        .with_columns(area_code=pl.col("parent_code"))
        .select(*KEY, "hierarchy")
    )
    # only parents with a child that has a row of the indicator: others' children are all
    # virtual and say nothing
    present = (
        c.select("indicator_id", "area_code")
        .unique()
        .join(links, left_on="area_code", right_on="child_code")
        .select("indicator_id", "hierarchy", pl.col("parent_code").alias("area_code"))
        .unique()
    )
    parents = pl.concat([as_parent.select(*KEY, "hierarchy"), as_child]).join(
        present, on=["indicator_id", "hierarchy", "area_code"], how="semi"
    )
    parents = _numbered(parents, [*KEY, "hierarchy"])
    children = parents.join(
        links, left_on=["hierarchy", "area_code"], right_on=["hierarchy", "parent_code"]
    ).with_columns(area_code=pl.col("child_code"), _parent=pl.lit(False))
    return pl.concat(
        [
            parents.with_columns(_parent=pl.lit(True)).select("_group", *KEY, "_parent"),
            children.select("_group", *KEY, "_parent"),
        ]
    )


def _periods(c: pl.DataFrame) -> pl.DataFrame:
    pooled = _numbered(c.filter(pl.col("_years") > 1).select(*KEY, "_start", "_years"), list(KEY))
    years = (
        pooled.with_columns(_year=pl.int_ranges("_start", pl.col("_start") + pl.col("_years")))
        .explode("_year")
        .with_columns(_per=pl.format("{}+1", "_year"), _parent=pl.lit(False))
    )
    return pl.concat(
        [
            pooled.with_columns(_parent=pl.lit(True)).select("_group", *KEY, "_parent"),
            years.select("_group", *KEY, "_parent"),
        ]
    )


def _ages(c: pl.DataFrame) -> pl.DataFrame:
    banded = c.filter(pl.col("_low").is_not_null())
    limits = (
        pl.concat(
            [
                banded.select("indicator_id", pl.col("_low").alias("_at")),
                banded.select("indicator_id", pl.col("_high").alias("_at")),
            ]
        )
        .unique()
        .sort("indicator_id", "_at")
        .with_columns(_next=pl.col("_at").shift(-1).over("indicator_id"))
        .drop_nulls("_next")
    )
    rows = _numbered(banded.select(*KEY, "_low", "_high"), list(KEY))
    atoms = (
        rows.join(limits, on="indicator_id")
        .filter((pl.col("_at") >= pl.col("_low")) & (pl.col("_next") <= pl.col("_high")))
        .with_columns(_age=_age_key(pl.col("_at"), pl.col("_next")), _parent=pl.lit(False))
    )
    split = atoms.group_by("_group").len().filter(pl.col("len") > 1).select("_group")
    return pl.concat(
        [
            rows.with_columns(_parent=pl.lit(True)).select("_group", *KEY, "_parent"),
            atoms.select("_group", *KEY, "_parent"),
        ]
    ).join(split, on="_group", how="semi")


def build(
    frame: pl.DataFrame,
    *,
    sexes: bool = True,
    breakdowns: list[str] | None = None,
    hierarchy: pl.DataFrame | None = None,
) -> Relations:
    """Every relation among the rows of ``frame`` (columns ``_rid`` and the value keys).

    ``breakdowns`` limits the category relations to these category types (None: all);
    ``hierarchy`` holds ``hierarchy, child_code, parent_code`` links.
    """
    c = cells(frame)
    # (relations, whether a part without a row is a zero rather than an unknown)
    families = [(_categories(c, breakdowns), True), (_periods(c), False), (_ages(c), False)]
    if sexes:
        families.append((_sex(c), True))
    if hierarchy is not None and hierarchy.height:
        links = hierarchy.select(
            pl.col("hierarchy").cast(pl.String), "child_code", "parent_code"
        ).unique()
        families.append((_geography(c, links), False))
    parts, offset = [], 0
    for family, zeros in families:
        if family.is_empty():
            continue
        parts.append(
            family.with_columns(_rel=pl.col("_group").cast(pl.Int64) + offset, _zeros=pl.lit(zeros))
        )
        offset += int(family["_group"].max()) + 1
    n_rows = frame.height
    if not parts:
        empty = np.zeros(0, np.int64)
        return Relations(empty, empty, np.zeros(0, bool), n_rows)
    # one text key per cell (the key columns joined by a separator no label contains), so
    # joins and de-duplication work on one column
    cell = pl.concat_str([pl.col(k).cast(pl.String) for k in KEY], separator="\x1f")
    members = (
        pl.concat([p.select("_rel", cell.alias("_cell"), "_parent", "_zeros") for p in parts])
        .unique(subset=["_rel", "_cell"])
        .join(
            c.select(cell.alias("_cell"), "_rid").unique(subset="_cell", keep="first"),
            on="_cell",
            how="left",
        )
    )
    # A table that leaves out a sex or a category usually means none (a zero count): those
    # parts are known zeros, and such a relation needs at least one part with a row.
    zero_part = pl.col("_zeros") & ~pl.col("_parent")
    members = (
        members.filter(~(zero_part & pl.col("_rid").is_null()))
        .filter(zero_part.any().over("_rel") | ~pl.col("_zeros"))
        # a relation needs a parent and a part (an area listed as its own parent has none)
        .filter(pl.col("_parent").any().over("_rel") & (~pl.col("_parent")).any().over("_rel"))
    )
    virtual = members.filter(pl.col("_rid").is_null()).select("_cell").unique()
    virtual = virtual.with_row_index("_vid")
    members = members.join(virtual, on="_cell", how="left").select(
        "_rel",
        pl.coalesce(pl.col("_rid").cast(pl.Int64), pl.col("_vid").cast(pl.Int64) + n_rows).alias(
            "_var"
        ),
        "_parent",
    )
    rel = members["_rel"].to_numpy().astype(np.int64)
    var = members["_var"].to_numpy().astype(np.int64)
    is_parent = members["_parent"].to_numpy().astype(bool)
    rel, var, is_parent = _without_dead_ends(rel, var, is_parent, n_rows)
    return Relations(rel, var, is_parent, n_rows + virtual.height)


def _without_dead_ends(
    rel: np.ndarray, var: np.ndarray, is_parent: np.ndarray, n_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop relations with a virtual variable in no other relation, until none is left.

    Such a variable is free, so its relation constrains nothing else; dropping it can leave
    another virtual variable alone in turn (a chain of pooled periods without single years).
    """
    keep = np.ones(len(rel), bool)
    while True:
        n_in = np.bincount(var[keep], minlength=int(var.max()) + 1 if len(var) else 0)
        lonely = keep & (var >= n_rows) & (n_in[var] == 1)
        if not lonely.any():
            return rel[keep], var[keep], is_parent[keep]
        keep &= ~np.isin(rel, np.unique(rel[lonely]))
