"""Small-area counts to the counts each indicator needs: geographies, breakdowns, sex, periods.

Input: counts of each side of an indicator (numerator, denominator, ...) by small area,
year, sex (and age band, record breakdowns) as returned by
:func:`healthgap.engine.counts.count_expression`. Output: one long Polars frame with one
column per side (``x`` the numerator, ``n`` the denominator; see :func:`rollup`) keyed by
:data:`KEYS` (and ``age_start``), every geography level, breakdown, sex and period at once,
with group-by sums (no loop over areas or periods).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.errors import InputError

__all__ = ["KEYS", "period_label", "rollup"]

#: The keys of an indicator value (VALUES without indicator_id and age).
KEYS = ("area_code", "period_start", "period_years", "sex", "category_type", "category")
KEY_SCHEMA = {"area_code": pl.String, "period_start": pl.Int32, "period_years": pl.Int16,
              "sex": pl.String, "category_type": pl.String, "category": pl.String}
#: Names of the sides of an indicator's counts (``x`` numerator, ``n`` denominator; ``hx``,
#: ``hn`` the prevalence's numerator and denominator; ``s``, ``q`` the sum and sum of squares
#: of a mean's values, ``n`` their number).
MEASURES = ("x", "n", "hx", "hn", "s", "q")
#: Sides named ``cause_<k>`` hold the numerator's events of cause group ``k`` (decompositions).
CAUSE_PREFIX = "cause_"


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


def _measures(frame: pl.DataFrame) -> list[str]:
    """Return the summed columns of a counts frame (every other column is a key)."""
    return [c for c in frame.columns if c in MEASURES or c.startswith(CAUSE_PREFIX)]


def _joined(sides: Mapping[str, pl.DataFrame], keys: list[str]) -> pl.DataFrame:
    """Full join of every side's counts (column ``n``, renamed to the side) on ``keys``.

    A side may hold more measures (a decomposition's deaths by cause, ``cause_<k>``).
    """
    names = list(sides)
    out = sides[names[0]].rename({"n": names[0]})
    for name in names[1:]:
        out = out.join(sides[name].rename({"n": name}), on=keys, how="full", coalesce=True)
    return out.with_columns(pl.col(*_measures(out)).fill_null(0.0))


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
    ).unique("area_code", keep="first").with_columns(pl.lit(True).alias("_known"))
    out = counts.join(small, on="area_code", how="left")  # one join: known codes, checked
    unknown = out.filter(pl.col("_known").is_null())
    if len(unknown):
        codes = unknown["area_code"].unique().sort()
        raise InputError(f"{len(codes)} area codes are not in the lookup {geo.lookup!r} "
                         f"(first: {codes.head(5).to_list()}); add them to the lookup")
    out = out.drop("_known")
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
                  .group_by([*inner, "_end"]).agg(pl.col(*_measures(frame)).sum())
                  .with_columns((pl.col("_end") - (length - 1)).cast(pl.Int32)
                                .alias("period_start"),
                                pl.lit(length, pl.Int16).alias("period_years"))
                  .drop("_end"))
        pieces.append(pooled)
    return pl.concat(pieces)


def _with_persons(counts: pl.DataFrame, sexes: Sequence[str]) -> pl.DataFrame:
    """Add Persons (the sum over every sex, on the small-area grain) and keep ``sexes``."""
    if "Persons" not in sexes:
        return counts.filter(pl.col("sex").is_in(list(sexes)))
    measures = _measures(counts)
    others = [c for c in counts.columns if c != "sex" and c not in measures]
    persons = (counts.group_by(others).agg(pl.col(*measures).sum())
               .with_columns(pl.lit("Persons").alias("sex")).select(counts.columns))
    return pl.concat([counts.filter(pl.col("sex").is_in([s for s in sexes if s != "Persons"])),
                      persons])


def _cube(counts: pl.DataFrame, indicator: Indicator, geo: Geography, base: Sequence[str]
          ) -> pl.DataFrame:
    """Sum small-area counts by the codes of every larger level and every area breakdown."""
    keys = [f"lv_{lv}" for lv in indicator.geographies if geo.levels.get(lv) != geo.area]
    keys += [c for c in counts.columns if c.startswith("ab_")]
    keys += [c for c in base if c != "area_code"]
    return counts.group_by(keys).agg(pl.col(*_measures(counts)).sum())


def _by_level(indicator: Indicator, geo: Geography, counts: pl.DataFrame, banded: bool,
              with_level: bool = False) -> pl.DataFrame:
    """Sum ``x``, ``n`` to every geography level and breakdown split of ``indicator``.

    The small-area level needs no sum (its area breakdowns are functions of the area) unless
    record breakdowns must be added up; larger levels are summed from one "cube" grouped by
    all their codes and area breakdowns, a frame far smaller than the small-area counts.
    """
    age = ["age_start"] if banded else []
    record = [c for c in counts.columns if c.startswith("rb_")]
    splits: list[tuple[str, pl.Expr]] = [("", pl.lit(""))]
    for b in indicator.breakdowns:
        spec = geo.breakdowns[b]
        col = f"rb_{record_column(geo, b)}" if spec.source != "area" else f"ab_{b}"
        label = pl.col(col).cast(pl.String)
        if spec.labels:
            label = label.replace(spec.labels)
        splits.append((spec.category_type, label))
    small = [lv for lv in indicator.geographies if geo.levels.get(lv) == geo.area]
    large = [lv for lv in indicator.geographies if lv not in small]
    sexes = indicator.sex
    sources: list[tuple[str, pl.DataFrame, bool]] = []
    if small:  # counts by small area: Persons added there, pieces need no group-by
        by_area = _with_persons(counts, sexes)
        sources += [(lv, by_area, not record) for lv in small]
    if large:  # counts by small area, or already summed to a cube of the larger levels
        cube = _cube(counts, indicator, geo, ["year", "sex", *age, *record]) if small else counts
        cube = _with_persons(cube, sexes)
        sources += [(lv, cube, False) for lv in large]
    pieces = []
    measures = _measures(counts)
    for level, frame, unique in sources:
        for category_type, category in splits:
            # no filter for the total: polars 1.x rejects a literal predicate on a chunked frame
            kept = frame.filter(category.is_not_null()) if category_type else frame
            cols = [pl.col(f"lv_{level}").alias("area_code"), pl.col("year"), pl.col("sex"),
                    pl.lit(category_type).alias("category_type"), category.alias("category"),
                    *[pl.col(c) for c in age]]
            if unique:  # one row per small area already: rename, no group-by
                piece = kept.select(*cols, *measures)
            else:
                piece = kept.group_by(*cols).agg(pl.col(*measures).sum())
            if with_level:
                piece = piece.with_columns(pl.lit(level).alias("level"))
            pieces.append(piece.filter(pl.col("area_code").is_not_null()))
    return pl.concat(pieces)


def rollup(indicator: Indicator, geo: Geography, sides: Mapping[str, pl.DataFrame],
           lookup: pl.DataFrame, *, banded: bool, years: Sequence[int] | None = None,
           base_side: str = "n", with_level: bool = False) -> pl.DataFrame:
    """Sum every side's counts for every geography, breakdown, sex and period of ``indicator``.

    ``sides`` maps a name of :data:`MEASURES` (``x`` numerator, ``n`` denominator, ...) to
    counts with column ``n``; the output has one column per side. The sides are joined on
    all keys (a missing side counts 0), small areas are mapped to each geography level through
    ``lookup``, area, record and age breakdowns become ``category_type``/``category`` (``""``
    for the total), Persons is the sum over sexes, and pooled periods sum consecutive years (a
    pooled period is given only when all its years are in ``base_side``'s data, the
    denominator's by default; other sides' records of other years are left out). ``years``,
    when given, keeps periods ending in those years; ``with_level`` adds a column ``level``
    naming each row's geography level.
    """
    record = [b for b in indicator.breakdowns if geo.breakdowns[b].source != "area"]
    area = [b for b in indicator.breakdowns if geo.breakdowns[b].source == "area"]
    base = ["area_code", "year", "sex", *(["age_start"] if banded else []),
            *[f"rb_{record_column(geo, b)}" for b in record]]
    years_seen = sorted(sides[base_side]["year"].unique().to_list())
    sides = {name: frame if name == base_side else frame.filter(pl.col("year").is_in(years_seen))
             for name, frame in sides.items()}
    levels = indicator.geographies
    if any(geo.levels.get(lv) == geo.area for lv in levels):  # small areas: join them
        counts = _with_areas(_joined(sides, base), lookup, geo, levels, area)
    else:  # only larger areas: sum each side to them first, then join far fewer rows
        cubes = {name: _cube(_with_areas(side, lookup, geo, levels, area), indicator, geo,
                             base) for name, side in sides.items()}
        first = next(iter(cubes.values()))
        counts = _joined(cubes, [c for c in first.columns if c not in _measures(first)])

    inner = ["area_code", "sex", "category_type", "category", *(["age_start"] if banded else []),
             *(["level"] if with_level else [])]
    both = _by_level(indicator, geo, counts, banded, with_level)
    out = _pooled(both, years_seen, indicator.periods.pooled, inner)
    if years is not None:
        end = pl.col("period_start") + pl.col("period_years") - 1
        out = out.filter(end.is_in(list(years)))
    # rows come in no particular order (sorting millions of string keys costs more than the
    # rest of the roll-up); the methods group, and compute_values sorts the final values
    return out.select(*KEYS, *(["age_start"] if banded else []),
                      *(["level"] if with_level else []), *_measures(out))


def record_column(geo: Geography, breakdown: str) -> str:
    """Name (after ``rb_``) of the count column of a record or age breakdown."""
    spec = geo.breakdowns[breakdown]
    return f"age_group_{breakdown}" if spec.source == "age" else spec.column
