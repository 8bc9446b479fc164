"""Local authority code changes (2018-2023), so series join across reorganisations.

ONS gives an area a new code when its boundary changes (Gateshead E08000020 -> E08000037 in
2019) and new areas replace merged ones (four districts -> Buckinghamshire E06000060 in 2020).
The table ``data/la_successors.csv`` (from the ONS Register of Geographic Codes and Code
History Database; see ``data/README.md``) lists each retired code, its successor and whether
the change is a ``recode`` (same area) or a ``merge`` (part of the new area).

At import, :func:`apply_successors`:

* recodes: the row takes the new code, and ``value_note`` says which code the file gave, so
  a series written under both codes joins across years. A row whose new code would repeat
  another row's key (the file gives both codes for the same period) keeps its old code;
* merges: the row keeps its code (a district's value is not its successor's) and the
  hierarchy ``la-successor`` links it to the new area, so counts can be added up.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib.resources import files

import polars as pl

__all__ = ["SUCCESSOR_HIERARCHY", "apply_successors", "successors"]

#: Hierarchy linking a retired local authority code to the area that succeeded it.
SUCCESSOR_HIERARCHY = "la-successor"


@functools.cache
def _table() -> pl.DataFrame:
    text = files("healthgap.sources").joinpath("data/la_successors.csv").read_bytes()
    return pl.read_csv(text, infer_schema=False).with_columns(pl.col("year").cast(pl.Int32))


def successors() -> pl.DataFrame:
    """Return the shipped table: ``old_code, old_name, new_code, new_name, year, change``.

    Examples
    --------
    >>> table = successors()
    >>> table.filter(table["old_code"] == "E08000020").select("new_code", "year").row(0)
    ('E08000037', 2019)
    """
    return _table().clone()


def apply_successors(
    frame: pl.DataFrame, keys: Sequence[str], *, code: str = "area_code"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Recode retired local authority codes in ``frame``; link merged ones to their successor.

    Parameters
    ----------
    frame : polars.DataFrame
        Rows with an area code column (and ``value_note``, added when absent).
    keys : sequence of str
        The columns that identify a row (with ``code``); a recode that would repeat a key is
        not applied.
    code : str, default "area_code"
        The area code column.

    Returns
    -------
    frame : polars.DataFrame
        ``frame`` with recoded codes; their ``value_note`` says "area code <old> (<name>)
        recoded <new> by ONS in <year>".
    edges : polars.DataFrame
        ``hierarchy, child_code, parent_code, parent_name`` (``la-successor``): every
        retired code in the file -> its successor (empty when none).
    """
    table = _table()
    present = frame.select(pl.col(code).unique()).join(
        table, left_on=code, right_on="old_code", how="inner"
    )
    edges = present.select(
        pl.lit(SUCCESSOR_HIERARCHY).alias("hierarchy"),
        pl.col(code).alias("child_code"),
        pl.col("new_code").alias("parent_code"),
        pl.col("new_name").alias("parent_name"),
    )
    recodes = present.filter(pl.col("change") == "recode")
    if not recodes.height:
        return frame, edges
    if "value_note" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("value_note"))
    joined = frame.join(
        recodes.select(code, "old_name", "new_code", "year"),
        on=code,
        how="left",
        maintain_order="left",
    ).with_columns(pl.coalesce("new_code", code).alias("_new_code"))
    other = [k for k in keys if k != code]
    clash = pl.struct("_new_code", *other).is_duplicated()
    take = pl.col("new_code").is_not_null() & ~clash
    note = pl.format(
        "area code {} ({}) recoded {} by ONS in {}",
        pl.col(code),
        pl.col("old_name"),
        pl.col("new_code"),
        pl.col("year"),
    )
    return (
        joined.with_columns(
            pl.when(take).then(pl.col("_new_code")).otherwise(pl.col(code)).alias(code),
            pl.when(take)
            .then(
                pl.when(pl.col("value_note").is_null() | (pl.col("value_note") == ""))
                .then(note)
                .otherwise(pl.format("{}; {}", pl.col("value_note"), note))
            )
            .otherwise(pl.col("value_note"))
            .alias("value_note"),
        ).drop("old_name", "new_code", "year", "_new_code"),
        edges,
    )
