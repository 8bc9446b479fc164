"""Small-area counts to the counts each indicator needs: geographies, breakdowns, sex, periods.

Input: counts of each side of an indicator (numerator, denominator, ...) by small area,
year, sex (and age band, record breakdowns) as returned by
:func:`healthgap.engine.counts.count_expression`. Output: one long Polars frame with one
column per side (``x`` the numerator, ``n`` the denominator; see :func:`rollup`) keyed by
:data:`KEYS` (and ``age_start``), every geography level, breakdown, sex and period at once,
with group-by sums (no loop over areas or periods).

Text keys are turned into integer codes once, on entry (area codes through the lookup, sexes
and categories through small sorted dictionaries), so that every sum is over one 64-bit
integer packing the key codes (:func:`_sum_by`); the text comes back at the end. The
dictionaries are sorted, so the order of the packed keys is the order of the text keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import polars as pl

from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.errors import InputError

__all__ = ["GROUP", "KEYS", "rollup"]

#: The keys of an indicator value (VALUES without indicator_id and age).
KEYS = ("area_code", "period_start", "period_years", "sex", "category_type", "category")
KEY_SCHEMA = {
    "area_code": pl.String,
    "period_start": pl.Int32,
    "period_years": pl.Int16,
    "sex": pl.String,
    "category_type": pl.String,
    "category": pl.String,
}
#: Names of the sides of an indicator's counts (``x`` numerator, ``n`` denominator; ``hx``,
#: ``hn`` the prevalence's numerator and denominator; ``s``, ``q`` the sum and sum of squares
#: of a mean's values, ``n`` their number).
MEASURES = ("x", "n", "hx", "hn", "s", "q")
#: Sides named ``cause_<k>`` hold the numerator's events of cause group ``k`` (decompositions).
CAUSE_PREFIX = "cause_"
#: Column of :func:`rollup`'s output numbering its groups (:data:`KEYS`) in their sorted order.
GROUP = "_group"
NONE = -1  # the code of a missing level code or category: such rows are left out
_PACK_LIMIT = 2**62  # packed keys stay below this (Int64)
#: Sums and sorts address an array by the packed key when it has at most this many cells
#: per row (plus _DENSE_MIN): ``numpy.bincount`` beats any hash group-by on such keys.
_DENSE_FACTOR, _DENSE_MIN = 4, 1 << 20


def _measures(frame: pl.DataFrame) -> list[str]:
    """Return the summed columns of a counts frame (every other column is a key)."""
    return [c for c in frame.columns if c in MEASURES or c.startswith(CAUSE_PREFIX)]


# -- packed integer keys ---------------------------------------------------------------------


class _Packing(NamedTuple):
    """Integer key columns packed into one Int64.

    Mixed radix, the first key most significant, so the packed order is the order of the
    keys.
    """

    keys: list[str]
    lows: list[int]
    cards: list[int]

    @property
    def total(self) -> int:
        """Return the number of possible packed values."""
        return math.prod(self.cards)

    def expr(self) -> pl.Expr:
        """Return the packed key of each row."""
        out: pl.Expr = pl.lit(0, pl.Int64)
        for key, low, card in zip(self.keys, self.lows, self.cards, strict=True):
            out = out * card + (pl.col(key).cast(pl.Int64) - low)
        return out

    def unpack(self, packed: np.ndarray, dtypes: Mapping[str, pl.DataType]) -> dict[str, pl.Series]:
        """Return the key columns of packed keys (by shifts when every range is binary)."""
        out: dict[str, pl.Series] = {}
        binary = all(card & (card - 1) == 0 for card in self.cards)
        rest, shift = packed, 0
        for key, low, card in reversed(list(zip(self.keys, self.lows, self.cards, strict=True))):
            if binary:
                digit = (packed >> shift) & (card - 1)
                shift += card.bit_length() - 1
            else:
                digit, rest = rest % card, rest // card
            out[key] = pl.Series(key, digit + low).cast(dtypes[key])
        return {key: out[key] for key in self.keys}


def _packing(
    frames: Sequence[pl.DataFrame], keys: Sequence[str], *, binary: bool = False
) -> _Packing | None:
    """Pack the integer columns ``keys`` of ``frames`` (their range seen in the data).

    With ``binary`` every key takes a power-of-two range (unpacked by shifts, not divisions:
    for sorting; sums want the smallest range, :func:`_dense`). ``None`` when the frames are
    empty or the keys do not fit 62 bits.
    """
    frames = [f for f in frames if not f.is_empty()]
    if not frames:
        return None
    bounds = [
        f.select(
            *[pl.col(k).min().alias(f"{k}\x00lo") for k in keys],
            *[pl.col(k).max().alias(f"{k}\x00hi") for k in keys],
        ).row(0)
        for f in frames
    ]
    lows = [min(int(b[i]) for b in bounds) for i in range(len(keys))]
    highs = [max(int(b[len(keys) + i]) for b in bounds) for i in range(len(keys))]
    cards = [hi - low + 1 for low, hi in zip(lows, highs, strict=True)]
    if binary:
        cards = [1 << (card - 1).bit_length() for card in cards]
    if math.prod(cards) >= _PACK_LIMIT:
        return None
    return _Packing(list(keys), lows, cards)


def _dense(packing: _Packing, rows: int) -> bool:
    """Whether the packed keys are few enough to address an array directly."""
    return packing.total <= _DENSE_FACTOR * rows + _DENSE_MIN


def _sum_by(
    frames: pl.DataFrame | Sequence[pl.DataFrame], keys: Sequence[str], measures: Sequence[str]
) -> pl.DataFrame:
    """Sum ``measures`` by the integer columns ``keys`` over the rows of ``frames``.

    A frame may lack some measures (they count 0 there), as may a row (null). The keys are
    packed into one Int64 (:class:`_Packing`). When the packed keys are few enough
    (:func:`_dense`) each frame's measures are summed by ``numpy.bincount`` into arrays
    addressed by the key, rows in their order, and the output comes sorted by the keys;
    otherwise by a group-by on the packed key.
    """
    frames = [frames] if isinstance(frames, pl.DataFrame) else list(frames)
    schema = {k: frames[0].schema[k] for k in keys} | dict.fromkeys(measures, pl.Float64)
    packing = _packing(frames, keys)
    if packing is None or not _dense(packing, sum(len(f) for f in frames)):
        rows = pl.concat(
            [f.select(*keys, *[m for m in measures if m in f.columns]) for f in frames],
            how="diagonal_relaxed",
        )
        if packing is None:
            return (
                rows.group_by(keys)
                .agg([pl.col(m).sum() for m in measures])
                .select(*[pl.col(c).cast(t) for c, t in schema.items()])
            )
        out = (
            rows.select(packing.expr().alias("_p"), *measures)
            .group_by("_p")
            .agg([pl.col(m).sum() for m in measures])
        )
        return pl.DataFrame(
            {
                **packing.unpack(out["_p"].to_numpy(), schema),
                **{m: out[m].cast(pl.Float64) for m in measures},
            }
        )
    present = np.zeros(packing.total, dtype=bool)
    sums = {m: np.zeros(packing.total) for m in measures}
    for frame in frames:
        packed = frame.select(packing.expr())[:, 0].to_numpy()
        present[packed] = True
        for m in measures:
            if m in frame.columns:
                weights = frame[m].cast(pl.Float64).fill_null(0.0).to_numpy()
                sums[m] += np.bincount(packed, weights=weights, minlength=packing.total)
    cells = np.flatnonzero(present)
    return pl.DataFrame(
        {**packing.unpack(cells, schema), **{m: pl.Series(m, sums[m][cells]) for m in measures}}
    )


def _order(packed: np.ndarray, packing: _Packing) -> np.ndarray:
    """Return the permutation sorting packed keys (a counting sort when dense and distinct)."""
    if _dense(packing, len(packed)):
        slot = np.full(packing.total, -1, dtype=np.int64)
        slot[packed] = np.arange(len(packed))
        order = slot[slot >= 0]
        if len(order) == len(packed):  # else keys repeat: sorted by comparisons below
            return order
    return np.argsort(packed, kind="stable")


# -- text <-> codes --------------------------------------------------------------------------


def _dictionary(values: pl.Series) -> pl.Series:
    """Return the sorted distinct non-null texts of ``values`` (code = position)."""
    return values.drop_nulls().unique().sort()


def _coded(column: str, names: pl.Series, alias: str) -> pl.Expr:
    """Code the texts of ``column`` by their position in ``names`` (absent or null: NONE)."""
    positions = pl.int_range(len(names), eager=True)
    return (
        pl.col(column)
        .cast(pl.String)
        .replace_strict(names, positions, default=NONE, return_dtype=pl.Int32)
        .fill_null(NONE)
        .alias(alias)
    )


def _gathered(codes: pl.Series | list[int], column: str, alias: str) -> pl.Expr:
    """Look ``column`` up in ``codes`` (``codes[column]``; NONE stays NONE)."""
    table = pl.Series(codes, dtype=pl.Int32)
    return (
        pl.when(pl.col(column) >= 0)
        .then(pl.lit(table).gather(pl.col(column).clip(0)))
        .otherwise(NONE)
        .alias(alias)
    )


@dataclass
class _Codes:
    """The dictionaries of one roll-up: areas of every level, sexes, categories.

    ``areas`` are the output area codes (sorted); ``level_of[lv]`` maps each small area (row
    of ``small``) to its area at level ``lv``; ``pairs`` the (category type, category) pairs
    (sorted, the total ``("", "")`` included); ``area_pair[b]`` maps each small area to its
    pair in area breakdown ``b``, ``record_pair[column]`` each record value code to its pair.
    """

    small: pl.DataFrame  # area_code -> _a (the small areas of the lookup)
    areas: pl.Series
    level_of: dict[str, list[int]]
    sexes: pl.Series
    pairs: list[tuple[str, str]]
    area_pair: dict[str, list[int]]
    records: dict[str, pl.Series]  # record column -> its values' dictionary
    record_pair: dict[str, list[int]]


def _positions(values: pl.Series, names: pl.Series) -> list[int]:
    """Position of each of ``values`` in the dictionary ``names`` (NONE if absent or null)."""
    return values.to_frame("v").select(_coded("v", names, "v"))["v"].to_list()


def _codes(
    indicator: Indicator,
    geo: Geography,
    sides: Mapping[str, pl.DataFrame],
    lookup: pl.DataFrame,
    levels: Sequence[str],
    record: Sequence[str],
    area: Sequence[str],
) -> _Codes:
    cols = {
        geo.area,
        *(geo.levels[lv] for lv in levels if lv in geo.levels),
        *(geo.breakdowns[b].column for b in area),
    }
    missing = sorted(cols - set(lookup.columns))
    if missing:
        raise InputError(
            f"lookup table {geo.lookup!r}: columns {missing} not found; available: {lookup.columns}"
        )
    small = (
        lookup.select(
            pl.col(geo.area).cast(pl.String).alias("area_code"),
            *[
                pl.col(geo.levels[lv]).cast(pl.String).alias(f"lv_{lv}")
                for lv in levels
                if lv in geo.levels
            ],
            *[pl.col(geo.breakdowns[b].column).cast(pl.String).alias(f"ab_{b}") for b in area],
        )
        .unique("area_code", keep="first", maintain_order=True)
        .filter(pl.col("area_code").is_not_null())
    )
    level_codes = {
        lv: small[f"lv_{lv}"]
        if lv in geo.levels
        else pl.Series([geo.national[lv]] * len(small), dtype=pl.String)
        for lv in levels
    }
    areas = _dictionary(pl.concat([pl.Series([], dtype=pl.String), *level_codes.values()]))
    level_of = {lv: _positions(codes, areas) for lv, codes in level_codes.items()}

    seen = pl.concat([frame["sex"].cast(pl.String).unique() for frame in sides.values()])
    sexes = _dictionary(
        pl.concat([seen, pl.Series(["Persons"])]) if "Persons" in indicator.sex else seen
    )

    # each breakdown's categories: its values (of the lookup or the records) as labelled
    labelled: dict[str, pl.Series] = {}
    for b in area:
        spec = geo.breakdowns[b]
        labelled[b] = small[f"ab_{b}"].replace(spec.labels) if spec.labels else small[f"ab_{b}"]
    records: dict[str, pl.Series] = {}
    for b in record:
        spec = geo.breakdowns[b]
        column = f"rb_{record_column(geo, b)}"
        records[column] = _dictionary(
            pl.concat([frame[column].cast(pl.String).unique() for frame in sides.values()])
        )
        labelled[column] = records[column].replace(spec.labels) if spec.labels else records[column]
    ctype = {b: geo.breakdowns[b].category_type for b in area}
    ctype |= {f"rb_{record_column(geo, b)}": geo.breakdowns[b].category_type for b in record}
    pairs = sorted(
        {
            ("", ""),
            *(
                (ctype[k], v)
                for k, labels in labelled.items()
                for v in labels.drop_nulls().unique().to_list()
            ),
        }
    )
    # pairs as one text each, to find them with the same dictionary lookup as other codes
    joined = pl.Series([f"{t}\x00{c}" for t, c in pairs], dtype=pl.String)

    def pair_codes(key: str) -> list[int]:
        return _positions(ctype[key] + "\x00" + labelled[key], joined)

    return _Codes(
        small=small.select("area_code")
        .with_row_index("_a")
        .with_columns(pl.col("_a").cast(pl.Int32)),
        areas=areas,
        level_of=level_of,
        sexes=sexes,
        pairs=pairs,
        area_pair={b: pair_codes(b) for b in area},
        records=records,
        record_pair={c: pair_codes(c) for c in records},
    )


def _encoded(
    sides: Mapping[str, pl.DataFrame], codes: _Codes, geo: Geography, base: Sequence[str]
) -> tuple[list[pl.DataFrame], list[str]]:
    """Put every side on integer keys; and the names of all their measures.

    Keys: ``_a, year, sex[, age_start], rb_*``. A side's ``n`` is renamed to the side; its
    other measures (``cause_<k>``) keep their names. Area codes not in the lookup are an
    error naming them.
    """
    frames, measures, unknown = [], [], []
    for name, side in sides.items():
        renamed = {"n": name}
        mine = [renamed.get(c, c) for c in side.columns if c == "n" or c.startswith(CAUSE_PREFIX)]
        measures += [m for m in mine if m not in measures]
        joined = side.join(codes.small, on="area_code", how="left")
        bad = joined.filter(pl.col("_a").is_null())
        if len(bad):
            unknown.append(bad["area_code"].unique())
            continue
        frames.append(
            joined.select(
                "_a",
                pl.col("year").cast(pl.Int32),
                _coded("sex", codes.sexes, "sex"),
                *[pl.col(c) for c in base if c == "age_start"],
                *[_coded(c, codes.records[c], c) for c in base if c.startswith("rb_")],
                *[
                    pl.col(c).alias(renamed.get(c, c))
                    for c in side.columns
                    if c == "n" or c.startswith(CAUSE_PREFIX)
                ],
            )
        )
    if unknown:
        found = pl.concat(unknown).unique().sort()
        raise InputError(
            f"{len(found)} area codes are not in the lookup {geo.lookup!r} "
            f"(first: {found.head(5).to_list()}); add them to the lookup"
        )
    return frames, measures


def _with_persons(
    counts: pl.DataFrame,
    keys: Sequence[str],
    measures: Sequence[str],
    sexes: Sequence[int],
    persons: int | None,
) -> pl.DataFrame:
    """Keep the rows of the sexes coded ``sexes``; add Persons, the sum over every sex.

    Persons (coded ``persons``) only when asked for (not ``None``).
    """
    kept = counts.filter(pl.col("sex").is_in(list(sexes)))
    if persons is None:
        return kept
    total = _sum_by(counts, [k for k in keys if k != "sex"], measures)
    return pl.concat(
        [kept, total.with_columns(pl.lit(persons, pl.Int32).alias("sex")).select(counts.columns)]
    )


def _by_level(
    indicator: Indicator,
    geo: Geography,
    sides: list[pl.DataFrame],
    keys: list[str],
    measures: list[str],
    codes: _Codes,
    area: Sequence[str],
) -> pl.DataFrame:
    """Sum the measures to every geography level and breakdown split of ``indicator``.

    Output keys: ``_area`` (code in ``codes.areas``), ``year``, ``sex``, ``_cat`` (code in
    ``codes.pairs``), ``_lvl`` (position of the level in the indicator's geographies) and
    ``age_start`` when banded. The small-area level needs no sum of its pieces (its area
    breakdowns are functions of the area) unless record breakdowns must be added up; larger
    levels are summed from one "cube" grouped by all their codes and area breakdowns, a frame
    far smaller than the small-area counts.
    """
    record = [c for c in keys if c.startswith("rb_")]
    age = [c for c in keys if c == "age_start"]
    total = codes.pairs.index(("", ""))
    splits: list[tuple[str, pl.Expr]] = [("", pl.lit(total, pl.Int32))]
    for b in indicator.breakdowns:
        spec = geo.breakdowns[b]
        if spec.source == "area":
            splits.append((f"_ab_{b}", pl.col(f"_ab_{b}")))
        else:
            column = f"rb_{record_column(geo, b)}"
            splits.append(
                (
                    column,
                    pl.when(pl.col(column) >= 0)
                    .then(
                        pl.lit(pl.Series(codes.record_pair[column], dtype=pl.Int32)).gather(
                            pl.col(column).clip(0)
                        )
                    )
                    .otherwise(NONE),
                )
            )
    levels = list(indicator.geographies)
    small = [lv for lv in levels if geo.levels.get(lv) == geo.area]
    large = [lv for lv in levels if lv not in small]
    wanted = [k for k, s in enumerate(codes.sexes.to_list()) if s in indicator.sex]
    persons = codes.sexes.to_list().index("Persons") if "Persons" in indicator.sex else None
    if persons is not None:
        wanted.remove(persons)
    areas = [_gathered(codes.area_pair[b], "_a", f"_ab_{b}") for b in area]
    sources: list[tuple[str, pl.DataFrame, bool]] = []
    fine: pl.DataFrame | None = None
    if small:  # one row per small area key: Persons added there, pieces need no group-by
        fine = _sum_by(sides, keys, measures)
        by_area = _with_persons(fine, keys, measures, wanted, persons).with_columns(
            *areas, *[_gathered(codes.level_of[lv], "_a", f"_lv_{lv}") for lv in small]
        )
        sources += [(lv, by_area, not record) for lv in small]
    if large:  # the larger levels' codes and the area breakdowns, summed over small areas
        inner = [k for k in keys if k != "_a"]
        cube_keys = [*[f"_lv_{lv}" for lv in large], *[f"_ab_{b}" for b in area], *inner]
        cube = _sum_by(
            [
                frame.with_columns(
                    *areas, *[_gathered(codes.level_of[lv], "_a", f"_lv_{lv}") for lv in large]
                )
                for frame in (sides if fine is None else [fine])
            ],
            cube_keys,
            measures,
        )
        cube = _with_persons(cube, cube_keys, measures, wanted, persons)
        sources += [(lv, cube, False) for lv in large]
    pieces = []
    for level, frame, unique in sources:
        for name, category in splits:
            cols = [
                pl.col(f"_lv_{level}").alias("_area"),
                pl.col("year"),
                pl.col("sex"),
                category.alias("_cat"),
                *[pl.col(c) for c in age],
            ]
            kept = frame.filter(pl.col(f"_lv_{level}") != NONE)
            if name:
                kept = kept.filter(pl.col(name) != NONE)
            piece = kept.select(*cols, *measures)
            if not unique:  # else one row per small area already: no group-by
                piece = _sum_by(piece, ["_area", "year", "sex", "_cat", *age], measures)
            pieces.append(piece.with_columns(pl.lit(levels.index(level), pl.Int32).alias("_lvl")))
    return pl.concat(pieces)


def _pooled(
    frame: pl.DataFrame,
    years_seen: list[int],
    lengths: Sequence[int],
    inner: list[str],
    measures: list[str],
) -> pl.DataFrame:
    """Periods of ``lengths`` consecutive years (``period_start``, ``period_years``)."""
    pieces = []
    seen = set(years_seen)
    for length in lengths:
        if length == 1:  # single years: nothing to add up
            pieces.append(
                frame.with_columns(
                    pl.col("year").alias("period_start"), pl.lit(1, pl.Int16).alias("period_years")
                ).drop("year")
            )
            continue
        ends = [y for y in sorted(seen) if all(y - k in seen for k in range(length))]
        shifted = pl.concat(
            [frame.with_columns((pl.col("year") + k).alias("_end")) for k in range(length)]
        ).filter(pl.col("_end").is_in(ends))
        pieces.append(
            _sum_by(shifted, [*inner, "_end"], measures)
            .with_columns(
                (pl.col("_end") - (length - 1)).cast(pl.Int32).alias("period_start"),
                pl.lit(length, pl.Int16).alias("period_years"),
            )
            .drop("_end")
        )
    columns = [*inner, "period_start", "period_years", *measures]
    return pl.concat([piece.select(columns) for piece in pieces])


def rollup(
    indicator: Indicator,
    geo: Geography,
    sides: Mapping[str, pl.DataFrame],
    lookup: pl.DataFrame,
    *,
    banded: bool,
    years: Sequence[int] | None = None,
    base_side: str = "n",
    with_level: bool = False,
) -> pl.DataFrame:
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

    Rows are sorted by :data:`KEYS` (and ``age_start``); column :data:`GROUP` numbers the
    groups of :data:`KEYS` in that order (not consecutively), so the statistics number them
    without sorting text.
    """
    record = [b for b in indicator.breakdowns if geo.breakdowns[b].source != "area"]
    area = [b for b in indicator.breakdowns if geo.breakdowns[b].source == "area"]
    base = [
        "_a",
        "year",
        "sex",
        *(["age_start"] if banded else []),
        *[f"rb_{record_column(geo, b)}" for b in record],
    ]
    years_seen = sorted(sides[base_side]["year"].unique().to_list())
    sides = {
        name: frame if name == base_side else frame.filter(pl.col("year").is_in(years_seen))
        for name, frame in sides.items()
    }
    codes = _codes(indicator, geo, sides, lookup, indicator.geographies, record, area)
    coded, measures = _encoded(sides, codes, geo, base)
    both = _by_level(indicator, geo, coded, base, measures, codes, area)
    age = ["age_start"] if banded else []
    out = _pooled(
        both, years_seen, indicator.periods.pooled, ["_area", "sex", "_cat", *age, "_lvl"], measures
    )
    if years is not None:
        end = pl.col("period_start") + pl.col("period_years") - 1
        out = out.filter(end.is_in(list(years)))
    return _decoded(out, codes, indicator, age, measures, with_level)


def _decoded(
    out: pl.DataFrame,
    codes: _Codes,
    indicator: Indicator,
    age: list[str],
    measures: list[str],
    with_level: bool,
) -> pl.DataFrame:
    """Sort by the codes (the order of the texts), number the groups, put the texts back."""
    group = ["_area", "period_start", "period_years", "sex", "_cat"]
    packing = _packing([out], [*group, *age, "_lvl"], binary=True)
    if packing is None:  # empty, or keys too many to pack: sorted by the codes
        keys = out.sort([*group, *age]).with_columns(pl.lit(None, pl.Int64).alias(GROUP))
    else:  # one row per packed key: sort the keys, then take the rows in that order
        packed = out.select(packing.expr())[:, 0].to_numpy()
        order = _order(packed, packing)
        cols = packing.unpack(packed[order], out.schema)
        inner = math.prod(packing.cards[len(group) :])  # age and level: below the group
        keys = pl.DataFrame(
            {**cols, **{m: out[m].gather(order) for m in measures}, GROUP: packed[order] // inner}
        )
    ctypes = pl.Series([t for t, _ in codes.pairs], dtype=pl.String)
    categories = pl.Series([c for _, c in codes.pairs], dtype=pl.String)
    levels = pl.Series(list(indicator.geographies), dtype=pl.String)
    return keys.select(
        pl.lit(codes.areas).gather(pl.col("_area")).alias("area_code"),
        pl.col("period_start").cast(pl.Int32),
        pl.col("period_years").cast(pl.Int16),
        pl.lit(codes.sexes).gather(pl.col("sex")).alias("sex"),
        pl.lit(ctypes).gather(pl.col("_cat")).alias("category_type"),
        pl.lit(categories).gather(pl.col("_cat")).alias("category"),
        *[pl.col(c) for c in age],
        *([pl.lit(levels).gather(pl.col("_lvl")).alias("level")] if with_level else []),
        *[pl.col(m).fill_null(0.0) for m in measures],
        pl.col(GROUP).cast(pl.Int64),
    )


def record_column(geo: Geography, breakdown: str) -> str:
    """Name (after ``rb_``) of the count column of a record or age breakdown."""
    spec = geo.breakdowns[breakdown]
    return f"age_group_{breakdown}" if spec.source == "age" else spec.column
