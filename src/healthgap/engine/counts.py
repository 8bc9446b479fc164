"""Records to counts: unexecuted Ibis expressions that run unchanged on DuckDB and Spark.

From a numerator or denominator definition (:mod:`healthgap.catalogue.indicator`) we build one
expression: keep the records the filter selects, derive the period's start year, the sex and
the age band, and count events, distinct people or sum a population column by small area,
year, sex, age band and record-level breakdowns. Nothing is executed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import ibis
import ibis.expr.types as ir

from healthgap.catalogue.indicator import (
    Condition,
    Denominator,
    Filter,
    Numerator,
    icd10_ranges,
)
from healthgap.errors import ColumnNotFoundError, InputError

__all__ = [
    "AgeBands",
    "AgeGroups",
    "band_start",
    "batch_expression",
    "count_expression",
    "filter_expression",
    "period_start",
    "record_name",
    "segment_bounds",
    "segment_start",
]

#: Age-band layouts: ``five`` = 0-4, 5-9, ..., 85-89, 90+ (the 2013 European Standard
#: Population's 19 bands); ``life`` = 0, 1-4, 5-9, ..., 85-89, 90+ (OHID's life tables).
AgeBands = Literal["five", "life"]
TOP_BAND = 90  # ESP2013 and OHID life tables: last band 90+

#: First month of the year for each period type (financial: April; academic: September).
FIRST_MONTH = {"calendar": 1, "financial": 4, "academic": 9}


def _column(table: ir.Table, name: str, role: str) -> ir.Column:
    if name not in table.columns:
        raise ColumnNotFoundError(
            f"{role}: column {name!r} not found; available: {list(table.columns)}"
        )
    return table[name]


def _condition(table: ir.Table, cond: Condition) -> ir.BooleanValue:
    col = _column(table, cond.column, "filter.where")
    op, value = cond.op, cond.value
    if op == "is null":
        return col.isnull()
    if op == "not null":
        return col.notnull()
    if op == "in":
        return col.isin(value)
    if op == "not in":
        return col.notin(value)
    if op == "between":
        return col.between(value[0], value[1])
    return {
        "==": col.__eq__,
        "!=": col.__ne__,
        "<": col.__lt__,
        "<=": col.__le__,
        ">": col.__gt__,
        ">=": col.__ge__,
    }[op](value)


def _icd10_code(column: ir.Column) -> ir.StringValue:
    return column.cast("string").upper().replace(".", "").strip()


def _icd10_match(code: ir.StringValue, codes: str) -> ir.BooleanValue:
    """Return where ``code`` (see :func:`_icd10_code`) lies in one of the ranges of ``codes``."""
    ranges = [
        (code.substr(0, len(first)) >= first) & (code.substr(0, len(last)) <= last)
        for first, last in icd10_ranges(codes)
    ]
    any_range = ranges[0]
    for extra in ranges[1:]:
        any_range = any_range | extra
    return code.notnull() & any_range


def filter_expression(
    table: ir.Table, flt: Filter, *, age: str | None, sex: str | None
) -> ir.BooleanValue | None:
    """Build the boolean expression keeping the records ``flt`` selects (``None``: all).

    ICD-10 codes are compared without dots and in upper case, on as many leading characters as
    each bound has, so ``X60-X84`` keeps ``X60`` to ``X84.9``.
    """
    parts: list[ir.BooleanValue] = []
    if flt.icd10 is not None:
        code = _icd10_code(_column(table, flt.icd10_column, "filter.icd10_column"))
        parts.append(_icd10_match(code, flt.icd10))
    if flt.age is not None:
        if age is None:
            raise InputError("filter.age needs an age column (age: is null)")
        low, high = flt.age
        col = _column(table, age, "age")
        parts.append(col >= low if high is None else col.between(low, high))
    if flt.sex is not None:
        if sex is None:
            raise InputError("filter.sex needs a sex column (sex: is null)")
        parts.append(_column(table, sex, "sex") == flt.sex)
    parts.extend(_condition(table, cond) for cond in flt.where)
    if not parts:
        return None
    out = parts[0]
    for part in parts[1:]:
        out = out & part
    return out


def period_start(col: ir.Column, year_from: str, period_type: str) -> ir.IntegerValue:
    """First calendar year of the period each record falls in.

    ``year``: the column already holds it; ``date``: from a date, the year in which the
    calendar, financial (April) or academic (September) year starts; ``label``: the first four
    characters of labels such as ``"2021/22"``.
    """
    if year_from == "year":
        return col.cast("int32")
    if year_from == "label":
        return col.cast("string").substr(0, 4).cast("int32")
    date = col.cast("date")
    first = FIRST_MONTH[period_type]
    if first == 1:
        return date.year().cast("int32")
    return (date.year() - (date.month() < first).cast("int32")).cast("int32")


def band_start(age: ir.IntegerValue, bands: AgeBands) -> ir.IntegerValue:
    """Start of the age band: 5-year bands to 90+, and for life tables 0 and 1-4 apart."""
    age = age.cast("int32")
    five = ibis.ifelse(age >= TOP_BAND, TOP_BAND, age - age % 5)
    if bands == "five":
        return five.cast("int16")
    return ibis.ifelse(age < 1, 0, ibis.ifelse(age < 5, 1, five)).cast("int16")


class AgeGroups(NamedTuple):
    """A record breakdown by named age groups of the part's age column (``rb_<name>``)."""

    name: str
    bands: tuple[tuple[str, int, int | None], ...]  # (label, first year, last year or None)


class CauseGroups(NamedTuple):
    """A record breakdown by named ICD-10 groups of a code column (``rb_<name>``)."""

    name: str
    column: str
    groups: tuple[tuple[str, str], ...]  # (label, ICD-10 codes and ranges); first match wins
    other: str


#: A record breakdown: a column of the records, age groups or cause groups.
RecordBreakdown = str | AgeGroups | CauseGroups


def record_name(item: RecordBreakdown) -> str:
    """Return the name of a record breakdown (its count column is ``rb_<name>``)."""
    return item if isinstance(item, str) else item.name


def _record_columns(
    table: ir.Table, part: Numerator | Denominator, record: Sequence[RecordBreakdown]
) -> dict[str, ir.Value]:
    cols: dict[str, ir.Value] = {}
    for item in record:
        if isinstance(item, AgeGroups):
            if part.age is None:
                raise InputError(
                    f"table {part.table!r}: the age breakdown {item.name!r} "
                    "needs an age column (age is null)"
                )
            age = _column(table, part.age, "age")
            cases = [
                ((age >= lo) if hi is None else age.between(lo, hi), label)
                for label, lo, hi in item.bands
            ]
            cols[f"rb_{item.name}"] = ibis.cases(*cases, else_=ibis.null("string"))
        elif isinstance(item, CauseGroups):
            code = _icd10_code(_column(table, item.column, "cause column"))
            cases = [(_icd10_match(code, codes), label) for label, codes in item.groups]
            cols[f"rb_{item.name}"] = ibis.cases(*cases, else_=ibis.literal(item.other))
        else:
            cols[f"rb_{item}"] = _column(table, item, "breakdown").cast("string")
    return cols


def _key_columns(
    table: ir.Table, part: Numerator | Denominator, period_type: str
) -> dict[str, ir.Value]:
    """Build the grouping keys every count shares: area code, period start year and sex.

    Without a sex column every record counts as ``"Persons"``.
    """
    return {
        "area_code": _column(table, part.area, "area").cast("string"),
        "year": period_start(_column(table, part.year, "year"), part.year_from, period_type),
        "sex": (
            _column(table, part.sex, "sex").cast("string") if part.sex else ibis.literal("Persons")
        ),
    }


def count_expression(
    table: ir.Table,
    part: Numerator | Denominator,
    *,
    period_type: str,
    bands: AgeBands | None,
    record_breakdowns: Sequence[RecordBreakdown] = (),
    moments: bool = False,
) -> ir.Table:
    """Count by ``area_code, year, sex[, age_start][, record breakdowns]`` into column ``n``.

    Numerators count rows (``count: events``), distinct ``person_id`` (``count: people``)
    or sum ``value`` (aggregate tables); denominators sum ``value`` or count rows. Records
    with no area or period are left out; without a sex column every record counts as
    ``"Persons"``. With ``moments`` (a mean's values), ``n`` is the number of non-missing
    ``value`` and ``s``, ``q`` their sum and sum of squares.
    """
    kept = table
    cond = filter_expression(table, part.filter, age=part.age, sex=part.sex)
    if cond is not None:
        kept = kept.filter(cond)
    cols = _key_columns(kept, part, period_type)
    if bands is not None:
        if part.age is None:
            raise InputError(f"table {part.table!r}: age bands need an age column")
        cols["age_start"] = band_start(_column(kept, part.age, "age"), bands)
    cols.update(_record_columns(kept, part, record_breakdowns))
    if moments:
        if part.value is None:
            raise InputError(f"table {part.table!r}: a mean needs value (the column averaged)")
        value = _column(kept, part.value, "value").cast("float64")
        rows = kept.select(**cols, _value=value)
        rows = rows.filter(rows.area_code.notnull() & rows.year.notnull() & rows._value.notnull())
        keys = [c for c in rows.columns if not c.startswith("_")]
        return rows.group_by(keys).aggregate(
            n=rows.count().cast("float64"), s=rows._value.sum(), q=(rows._value * rows._value).sum()
        )
    if isinstance(part, Numerator) and part.count == "people":
        cols["_person"] = _column(kept, part.person_id or "", "person_id")
    elif part.value is not None:  # a denominator's population, or a numerator's counts
        cols["_value"] = _column(kept, part.value, "value").cast("float64")
    rows = kept.select(**cols)
    rows = rows.filter(rows.area_code.notnull() & rows.year.notnull())
    keys = [c for c in rows.columns if not c.startswith("_")]
    if "_person" in rows.columns:
        # distinct (keys, person) rows, then a plain count: a hash group-by that spills to
        # disk when it must, where COUNT(DISTINCT) keeps a set per group in memory
        people = rows.filter(rows._person.notnull()).distinct()
        return people.group_by(keys).aggregate(n=people.count().cast("float64"))
    if "_value" in rows.columns:
        measure = rows._value.sum().cast("float64")
    else:
        measure = rows.count().cast("float64")
    return rows.group_by(keys).aggregate(n=measure)


def segment_bounds(
    parts: Sequence[tuple[Numerator | Denominator, AgeBands | None]], extra: Sequence[int] = ()
) -> tuple[int, ...]:
    """Age-segment starts fine enough for every part: its age bands and its age filter.

    Each band and each ``filter.age`` range of ``parts`` is a union of the segments
    ``[bounds[i], bounds[i + 1])`` (the last open-ended), so counts by segment add up to
    counts by band or within the age range; ``extra`` bounds are added (age groups).

    Examples
    --------
    >>> from healthgap.catalogue.indicator import Denominator, Filter
    >>> under75 = Denominator(table="population", filter=Filter(age=(0, 74)))
    >>> segment_bounds([(under75, None)])
    (0, 75)
    """
    bounds = {0, *extra}
    for part, bands in parts:
        if bands is not None:
            bounds.update(range(0, TOP_BAND + 1, 5))
            if bands == "life":
                bounds.add(1)
        if part.filter.age is not None:
            low, high = part.filter.age
            bounds.add(low)
            if high is not None:
                bounds.add(high + 1)
    return tuple(sorted(bounds))


def segment_start(age: ir.IntegerValue, bounds: Sequence[int]) -> ir.IntegerValue:
    """Start of the age segment: the largest bound <= age (negative ages kept as they are).

    Written as a balanced tree of ``CASE`` expressions (a few comparisons a row).
    """

    def tree(lo: int, hi: int) -> ir.IntegerValue:
        if hi - lo == 1:
            return ibis.literal(bounds[lo], "int32")
        mid = (lo + hi) // 2
        return ibis.ifelse(age >= bounds[mid], tree(mid, hi), tree(lo, mid))

    return ibis.cases(
        (age.isnull(), ibis.null("int32")),
        (age < bounds[0], age.cast("int32")),
        else_=tree(0, len(bounds)),
    )


def batch_expression(
    table: ir.Table,
    parts: Sequence[Numerator | Denominator],
    filters: Sequence[Filter],
    *,
    period_type: str,
    bounds: Sequence[int] | None,
    record_breakdowns: Sequence[RecordBreakdown] = (),
) -> ir.Table:
    """One pass over ``table`` for several parts that share its columns.

    ``parts`` read the same area, year, sex, age and value columns; they may differ in their
    age bands, their age filter and their other filters. Records are grouped by
    ``area_code, year, sex[, age_seg][, record breakdowns]`` (``age_seg`` = start of the age
    segment given by ``bounds``, see :func:`segment_bounds`) and for each filter ``k`` of
    ``filters`` (the parts' filters without their age range) the aggregate has ``c<k>``, the
    number of records it keeps, and, when the parts sum a value column, ``s<k>``, the sum of
    that column over those records. Each part's counts are sums of these over segments
    (events and people counted as distinct persons are not additive: those parts are not
    batched).
    """
    first = parts[0]
    cols = _key_columns(table, first, period_type)
    if bounds is not None:
        cols["age_seg"] = segment_start(_column(table, first.age or "", "age"), bounds)
    cols.update(_record_columns(table, first, record_breakdowns))
    value = (
        _column(table, first.value, "value").cast("float64") if first.value is not None else None
    )
    for k, flt in enumerate(filters):
        cond = filter_expression(table, flt, age=first.age, sex=first.sex)
        if cond is None:
            cond = ibis.literal(True)
        cols[f"_c{k}"] = cond.ifelse(1, 0).cast("int64")
        if value is not None:
            cols[f"_s{k}"] = cond.ifelse(value, ibis.null("float64"))
    rows = table.select(**cols)
    rows = rows.filter(rows.area_code.notnull() & rows.year.notnull())
    keys = [c for c in rows.columns if not c.startswith("_")]
    measures = {c[1:]: rows[c].sum() for c in rows.columns if c.startswith("_")}
    out = rows.group_by(keys).aggregate(**measures)
    kept = out[f"c{0}"] > 0
    for k in range(1, len(filters)):
        kept = kept | (out[f"c{k}"] > 0)
    return out.filter(kept)
