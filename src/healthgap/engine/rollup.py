"""Small-area counts to the counts each indicator needs: geographies, breakdowns, sex, periods.

Input: numerator and denominator counts by small area, year, sex (and age band, record
breakdowns) as returned by :func:`healthgap.engine.counts.count_expression`. Output: one
long Polars frame of ``x`` (numerator) and ``n`` (denominator) keyed by :data:`KEYS` (and
``age_start``), every geography level, breakdown, sex and period at once, with group-by sums
(no loop over areas or periods).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.errors import InputError

__all__ = ["KEYS", "period_label", "rollup"]

#: The keys of an indicator value (VALUES without indicator_id and age).
KEYS = ("area_code", "period_start", "period_years", "sex", "category_type", "category")


def period_label(start: int, years: int, period_type: str) -> str:
    """``2021`` / ``2019 - 21`` (calendar) or ``2021/22`` / ``2019/20 - 21/22`` (financial).

    Examples
    --------
    >>> period_label(2019, 3, "calendar"), period_label(2021, 1, "financial")
    ('2019 - 21', '2021/22')
    """
    end = start + years - 1
    if period_type == "calendar":
        return str(start) if years == 1 else f"{start} - {end % 100:02d}"
    first = f"{start}/{(start + 1) % 100:02d}"
    return first if years == 1 else f"{first} - {end % 100:02d}/{(end + 1) % 100:02d}"


def _joined(num: pl.DataFrame, den: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    both = num.rename({"n": "x"}).join(den, on=keys, how="full", coalesce=True)
    return both.with_columns(pl.col("x", "n").fill_null(0.0))


def _with_areas(counts: pl.DataFrame, lookup: pl.DataFrame, geo: Geography,
                levels: Sequence[str], area_breakdowns: Sequence[str]) -> pl.DataFrame:
    cols = {geo.area, *(geo.levels[lv] for lv in levels if lv in geo.levels),
            *(geo.breakdowns[b].column for b in area_breakdowns)}
    missing = sorted(cols - set(lookup.columns))
    if missing:
        raise InputError(f"lookup table {geo.lookup!r}: columns {missing} not found; "
                         f"available: {lookup.columns}")
    small = lookup.select(
        pl.col(geo.area).cast(pl.String).alias("area_code"),
        *[pl.col(geo.levels[lv]).cast(pl.String).alias(f"lv_{lv}") for lv in levels
          if lv in geo.levels],
        *[pl.col(geo.breakdowns[b].column).cast(pl.String).alias(f"ab_{b}")
          for b in area_breakdowns],
    ).unique("area_code", keep="first")
    unknown = counts.join(small, on="area_code", how="anti")
    if len(unknown):
        codes = unknown["area_code"].unique().sort()
        raise InputError(f"{len(codes)} area codes are not in the lookup {geo.lookup!r} "
                         f"(first: {codes.head(5).to_list()}); add them to the lookup")
    out = counts.join(small, on="area_code", how="inner")
    for lv, code in geo.national.items():
        if lv in levels:
            out = out.with_columns(pl.lit(code).alias(f"lv_{lv}"))
    return out


def _pooled(frame: pl.DataFrame, years_seen: list[int], lengths: Sequence[int],
            inner: list[str]) -> pl.DataFrame:
    pieces = []
    seen = set(years_seen)
    for length in lengths:
        if length == 1:  # single years: nothing to add up
            pieces.append(frame.with_columns(pl.col("year").cast(pl.Int32).alias("period_start"),
                                             pl.lit(1, pl.Int16).alias("period_years"))
                          .drop("year"))
            continue
        shifted = pl.concat([
            frame.with_columns((pl.col("year") + k).alias("_end")) for k in range(length)
        ])
        ends = [y for y in sorted(seen) if all(y - k in seen for k in range(length))]
        pooled = (shifted.filter(pl.col("_end").is_in(ends))
                  .group_by([*inner, "_end"]).agg(pl.col("x", "n").sum())
                  .with_columns((pl.col("_end") - (length - 1)).cast(pl.Int32)
                                .alias("period_start"),
                                pl.lit(length, pl.Int16).alias("period_years"))
                  .drop("_end"))
        pieces.append(pooled)
    return pl.concat(pieces)


def rollup(indicator: Indicator, geo: Geography, num: pl.DataFrame, den: pl.DataFrame,
           lookup: pl.DataFrame, *, banded: bool, years: Sequence[int] | None = None
           ) -> pl.DataFrame:
    """Sum ``x`` and ``n`` for every geography, breakdown, sex and period of ``indicator``.

    Numerator and denominator are joined on all keys (a missing side counts 0), small areas
    are mapped to each geography level through ``lookup``, area or record breakdowns become
    ``category_type``/``category`` (``""`` for the total), Persons is the sum over sexes, and
    pooled periods sum consecutive years (a pooled period is given only when all its years
    are in the denominator's data; numerator records of other years are left out).
    ``years``, when given, keeps periods ending in those years.
    """
    record = [b for b in indicator.breakdowns if geo.breakdowns[b].source == "record"]
    area = [b for b in indicator.breakdowns if geo.breakdowns[b].source == "area"]
    base = ["area_code", "year", "sex", *(["age_start"] if banded else []),
            *[f"rb_{geo.breakdowns[b].column}" for b in record]]
    years_seen = sorted(den["year"].unique().to_list())
    counts = _joined(num, den, base).filter(pl.col("year").is_in(years_seen))
    counts = _with_areas(counts, lookup, geo, indicator.geographies, area)

    inner = ["area_code", "sex", "category_type", "category", *(["age_start"] if banded else [])]
    pieces = []
    for level in indicator.geographies:
        splits: list[tuple[str, pl.Expr]] = [("", pl.lit(""))]
        for b in indicator.breakdowns:
            spec = geo.breakdowns[b]
            col = f"rb_{spec.column}" if spec.source == "record" else f"ab_{b}"
            label = pl.col(col).cast(pl.String)
            if spec.labels:
                label = label.replace(spec.labels)
            splits.append((spec.category_type, label))
        for category_type, category in splits:
            # no filter for the total: polars 1.x rejects a literal predicate on a chunked frame
            kept = counts.filter(category.is_not_null()) if category_type else counts
            piece = (kept
                     .group_by(pl.col(f"lv_{level}").alias("area_code"), "year", "sex",
                               pl.lit(category_type).alias("category_type"),
                               category.alias("category"),
                               *(["age_start"] if banded else []))
                     .agg(pl.col("x", "n").sum()))
            pieces.append(piece)
    by_sex = pl.concat(pieces).filter(pl.col("area_code").is_not_null())
    persons = (by_sex.group_by([c for c in by_sex.columns if c not in ("sex", "x", "n")])
               .agg(pl.col("x", "n").sum()).with_columns(pl.lit("Persons").alias("sex")))
    both = pl.concat([by_sex.filter(pl.col("sex") != "Persons"), persons], how="diagonal")
    both = both.filter(pl.col("sex").is_in(list(indicator.sex)))
    out = _pooled(both, years_seen, indicator.periods.pooled, inner)
    if years is not None:
        end = pl.col("period_start") + pl.col("period_years") - 1
        out = out.filter(end.is_in(list(years)))
    # rows come in no particular order (sorting millions of string keys costs more than the
    # rest of the roll-up); the methods group, and compute_values sorts the final values
    return out.select(*KEYS, *(["age_start"] if banded else []), "x", "n")
