"""Time periods as official files write them -> first calendar year and number of years.

Fingertips writes ``2015``, ``2015 - 17`` (pooled), ``2023/24`` (financial), ``2015/16 - 17/18``,
``2015 Q1``, ``2019/20 Q3``, ``Jan 2020``; ONS writes ``2001-2003``, ``2020 to 2022``, ``Q1 2020``,
``Apr 2019 - Mar 2020``, ``Year ending March 2023``, ISO 8601 dates, months (``2023-04``) and
intervals ``2011-01-01/P3Y``; the Department for Education ``201920`` (academic year 2019/20).
A note in brackets after a period (``2019 (2019 boundaries)``, ``2021/22 (provisional)``) is
kept in the label but not parsed. All patterns are regular expressions over the whole column
at once.
"""

from __future__ import annotations

import polars as pl

from healthgap._conventions import period_label_expr
from healthgap.sources._validate import Problems

_Y = r"((?:19|20)\d\d)"


def _year(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int32, strict=False)


def _end_year(start: pl.Expr, end_text: pl.Expr) -> pl.Expr:
    """Two- or four-digit end year, resolved in the start year's century (``2015 - 17``)."""
    end = end_text.cast(pl.Int32, strict=False)
    same_century = start // 100 * 100 + end
    return (
        pl.when(end >= 100)
        .then(end)
        .when(same_century < start)
        .then(same_century + 100)  # 1999 - 01
        .otherwise(same_century)
    )


def parse_periods(
    frame: pl.DataFrame,
    column: str,
    problems: Problems,
    *,
    label: str | None = None,
    relabel_iso: bool = True,
) -> pl.DataFrame:
    """Add ``period_start`` (Int32) and ``period_years`` (Int16) parsed from ``column``.

    Unparseable periods and pooled periods that end before they start are recorded as
    problems. With ``relabel_iso`` an ISO interval is rewritten in Fingertips' style
    (``2011-01-01/P3Y`` -> ``2011 - 13``; ``2021-04-01/P1Y`` -> ``2021/22``).
    """
    # Files hold few distinct periods: parse each once, then join back to the rows.
    distinct = frame.select(pl.col(column).cast(pl.String).unique().alias("_period"))
    parsed = _parse(distinct, relabel_iso)
    out = frame.with_columns(pl.col(column).cast(pl.String).alias("_period")).join(
        parsed, on="_period", how="left", nulls_equal=True, maintain_order="left"
    )
    problems.add(
        out,
        out["period_start"].is_null() | (out["period_years"] < 1),
        label or column,
        column,
        "a period such as 2021, 2019 - 21, 2021/22, 2021 Q1, 2019-01-01/P3Y or 2025-04-30 "
        f"(at most {MAX_PERIOD_YEARS} years)",
    )
    out = out.with_columns(
        pl.col("period_start").cast(pl.Int32), pl.col("period_years").cast(pl.Int16)
    )
    if relabel_iso:
        out = out.with_columns(pl.col("_label").alias(column))
    return out.drop("_period", "_label")


#: Longest pooled period accepted (Fingertips pools at most 10 years; ONS up to 5). A
#: longer span is far likelier a typing error (``2021-99`` is not 79 years of data).
MAX_PERIOD_YEARS = 20

_DATE = rf"{_Y}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def _month_number(name: pl.Expr) -> pl.Expr:
    """Month number of an English month name or its first three letters (``Sept`` too)."""
    return (
        name.str.slice(0, 3)
        .str.to_lowercase()
        .replace_strict(_MONTHS, default=None, return_dtype=pl.Int32)
    )


def _month_name(number: pl.Expr) -> pl.Expr:
    """``01`` -> ``Jan``."""
    names = {f"{i:02d}": m.capitalize() for m, i in _MONTHS.items()}
    return number.replace_strict(names, default=None, return_dtype=pl.String)


def _two(number: pl.Expr) -> pl.Expr:
    return number.cast(pl.String).str.zfill(2)


def _normalised(p: pl.Expr) -> pl.Expr:
    """Other spellings of the same periods rewritten in the forms :func:`_spelled_out` reads.

    ``Financial year 2019/20`` and ``FY 2019/20`` -> ``2019/20``; ``2020 to 2022`` ->
    ``2020 - 2022``; ``2020/21 - 2022/23`` -> ``2020/21 - 22/23``; ``Q1 2020``, ``2020-Q1``,
    ``2020Q1`` -> ``2020 Q1``; ``201920`` and ``2019/2020`` -> ``2019/20``;
    ``Apr 2019 - Mar 2020`` and ``Year ending March 2020`` -> ``04/2019 - 03/2020``.
    """
    p = p.str.replace(r"(?i)^(?:(?:financial|academic|calendar)\s+year|FY|AY)\s+(\d)", "$1")
    p = p.str.replace_all(r"(?i)(\S)\s+to\s+(\S)", "$1 - $2")
    p = p.str.replace(r"^(\d{4}/\d\d\s*-\s*)(?:19|20)(\d\d/\d\d)$", "$1$2")
    p = p.str.replace(r"(?i)^Q([1-4])\s+(\S+)$", "$2 Q$1")
    p = p.str.replace(rf"(?i)^{_Y}\s*-?\s*Q([1-4])$", "$1 Q$2")
    six = p.str.extract_groups(rf"^{_Y}(\d\d)$")  # DfE: 201920
    six_start = six.struct.field("1").cast(pl.Int32, strict=False)
    six_ok = six.struct.field("2").cast(pl.Int32, strict=False) == (six_start + 1) % 100
    long = p.str.extract_groups(rf"^{_Y}/{_Y}$")  # 2019/2020
    long_start = long.struct.field("1").cast(pl.Int32, strict=False)
    long_ok = long.struct.field("2").cast(pl.Int32, strict=False) == long_start + 1
    first = pl.when(six_ok).then(six_start).when(long_ok).then(long_start)
    span = p.str.extract_groups(rf"^([A-Za-z]{{3,9}})\.?\s+{_Y}\s*-\s*([A-Za-z]{{3,9}})\.?\s+{_Y}$")
    ending = p.str.extract_groups(
        rf"(?i)^(?:12 months|year)\s+ending\s+(?:in\s+)?([A-Za-z]{{3,9}})\.?\s+{_Y}$"
    )
    end_month = _month_number(ending.struct.field("1"))
    end_year = ending.struct.field("2").cast(pl.Int32, strict=False)
    start_month = _month_number(span.struct.field("1"))
    end_of_span = _month_number(span.struct.field("3"))
    return (
        pl.when(first.is_not_null())
        .then(pl.format("{}/{}", first, _two((first + 1) % 100)))
        .when(start_month.is_not_null() & end_of_span.is_not_null())
        .then(
            pl.format(
                "{}/{} - {}/{}",
                _two(start_month),
                span.struct.field("2"),
                _two(end_of_span),
                span.struct.field("4"),
            )
        )
        .when(end_month.is_not_null() & end_year.is_not_null())
        .then(
            pl.format(
                "{}/{} - {}/{}",
                _two(end_month % 12 + 1),
                end_year - (end_month < 12).cast(pl.Int32),
                _two(end_month),
                end_year,
            )
        )
        .otherwise(p)
    )


def _spelled_out(p: pl.Expr) -> pl.Expr:
    """ONS's spelled-out periods rewritten in the forms :func:`_parse` reads.

    ``Financial year ending 2023`` -> ``2022/23``; ``04/2022 - 03/2023`` and
    ``16/11/2021 - 15/11/2022`` -> ISO intervals; ``Sep-23`` -> ``Sep 2023``;
    ``As at 31 January 2024`` -> ``2024-01-31`` (ONS subnational indicators).
    """
    fye = p.str.extract(rf"(?i)^financial year ending {_Y}$", 1).cast(pl.Int32, strict=False)
    months = p.str.extract_groups(r"^(\d\d)/(\d{4})\s*-\s*(\d\d)/(\d{4})$")
    days = p.str.extract_groups(r"^(\d\d)/(\d\d)/(\d{4})\s*-\s*(\d\d)/(\d\d)/(\d{4})$")
    mon_yy = p.str.extract_groups(r"^([A-Za-z]{3})-(?:20)?(\d\d)$")
    as_at = p.str.extract_groups(rf"(?i)^(?:as at\s+)?(\d{{1,2}})\s+([A-Za-z]{{3}})[a-z]*\s+{_Y}$")
    month_of = (
        as_at.struct.field("2")
        .str.to_lowercase()
        .replace_strict(_MONTHS, default=None, return_dtype=pl.Int32)
    )
    return (
        pl.when(fye.is_not_null())
        .then(pl.format("{}/{}", fye - 1, (fye % 100).cast(pl.String).str.zfill(2)))
        .when(months.struct.field("1").is_not_null())
        .then(
            pl.format(
                "{}-{}-01/{}-{}-01",
                months.struct.field("2"),
                months.struct.field("1"),
                months.struct.field("4"),
                months.struct.field("3"),
            )
        )
        .when(days.struct.field("1").is_not_null())
        .then(
            pl.format(
                "{}-{}-{}/{}-{}-{}",
                days.struct.field("3"),
                days.struct.field("2"),
                days.struct.field("1"),
                days.struct.field("6"),
                days.struct.field("5"),
                days.struct.field("4"),
            )
        )
        .when(mon_yy.struct.field("1").is_not_null())
        .then(pl.format("{} 20{}", mon_yy.struct.field("1"), mon_yy.struct.field("2")))
        .when(month_of.is_not_null())
        .then(
            pl.format(
                "{}-{}-{}",
                as_at.struct.field("3"),
                month_of.cast(pl.String).str.zfill(2),
                as_at.struct.field("1").str.zfill(2),
            )
        )
        .otherwise(p)
    )


def _parse(distinct: pl.DataFrame, relabel_iso: bool) -> pl.DataFrame:
    """``_period`` -> ``period_start``, ``period_years`` and the Fingertips-style ``_label``.

    ISO 8601 (ONS Explore Local Statistics): a date ``2025-04-30`` (one year), an interval
    with a duration ``2011-01-01/P3Y`` or ``2021-04-01/P12M``, or with an end date
    ``2021-04-01/2022-03-31``.
    """
    # Each step is materialised as a column: one expression tree per step keeps Polars'
    # planning cheap (the nested whole took seconds to plan for a handful of rows).
    text = pl.col("_period").str.strip_chars()
    distinct = distinct.with_columns(
        text.str.extract(r"(\s*\([^()]*\))$", 1).alias("_suffix"),
        _normalised(text.str.replace(r"\s*\([^()]*\)$", "")).alias("_p"),
    )
    distinct = distinct.with_columns(_spelled_out(pl.col("_p")).alias("_p"))
    p = pl.col("_p")
    distinct = distinct.with_columns(
        p.str.extract_groups(rf"^{_DATE}/P(\d+)([YM])$").alias("_iso"),
        p.str.extract_groups(rf"^{_DATE}/{_DATE}$").alias("_iso_end"),
        p.str.extract_groups(rf"^{_DATE}$").alias("_date"),
        p.str.extract_groups(rf"^{_Y}\s*-\s*(\d{{2}}|\d{{4}})$").alias("_pooled"),
        p.str.extract_groups(rf"^{_Y}/(\d\d)(?:\s+Q[1-4]|\s+\w+)?$").alias("_fin"),
        p.str.extract_groups(rf"^{_Y}/(\d\d)\s*-\s*(\d\d)/(\d\d)$").alias("_fin_pooled"),
        p.str.extract(rf"^{_Y}(?:\s+Q[1-4]|\s+[A-Za-z]{{3,9}})?$", 1).alias("_single"),
        p.str.extract(rf"^[A-Za-z]{{3,9}}\s+{_Y}$", 1).alias("_month_year"),
        p.str.extract(rf"^{_Y}-(?:0[1-9]|1[0-2])$", 1).alias("_year_month"),
    )
    iso, iso_end, date = pl.col("_iso"), pl.col("_iso_end"), pl.col("_date")
    pooled, fin, fin_pooled = pl.col("_pooled"), pl.col("_fin"), pl.col("_fin_pooled")
    single, month_year = pl.col("_single"), pl.col("_month_year")
    # 2020-04 is April 2020 (ISO 8601) when it cannot be years 2020 to 2104; 2009-12 stays
    # years 2009 to 2012, as ONS and Fingertips write pooled years.
    iso_month_year = _year(pl.col("_year_month"))

    # ISO intervals: months covered, from the duration or from the two dates (end inclusive)
    iso_start = pl.coalesce(_year(iso.struct.field("1")), _year(iso_end.struct.field("1")))
    iso_month = pl.coalesce(iso.struct.field("2"), iso_end.struct.field("2"))
    amount = _year(iso.struct.field("4"))
    months = pl.coalesce(
        pl.when(iso.struct.field("5") == "Y").then(amount * 12).otherwise(amount),
        (_year(iso_end.struct.field("4")) - _year(iso_end.struct.field("1"))) * 12
        + _year(iso_end.struct.field("5"))
        - _year(iso_end.struct.field("2"))
        + (_year(iso_end.struct.field("6")) >= _year(iso_end.struct.field("3"))).cast(pl.Int32),
    )
    iso_years = pl.when(months >= 1).then((months + 11) // 12)
    pooled_start = _year(pooled.struct.field("1"))
    pooled_end = _end_year(pooled_start, pooled.struct.field("2"))
    pooled_years = pooled_end - pooled_start + 1
    a_month = iso_month_year.is_not_null() & ~pooled_years.is_between(1, MAX_PERIOD_YEARS)
    pooled_start = pl.when(~a_month).then(pooled_start)
    fin_start = _year(fin.struct.field("1"))
    fin_next = (fin_start + 1) % 100 == _year(fin.struct.field("2"))
    fp_start = _year(fin_pooled.struct.field("1"))
    fp_end = _end_year(fp_start, fin_pooled.struct.field("3"))
    fp_consistent = ((fp_start + 1) % 100 == _year(fin_pooled.struct.field("2"))) & (
        (fp_end + 1) % 100 == _year(fin_pooled.struct.field("4"))
    )
    start = pl.coalesce(
        iso_start,
        _year(date.struct.field("1")),
        pooled_start,
        pl.when(fin_next).then(fin_start),
        pl.when(fp_consistent).then(fp_start),
        _year(single),
        _year(month_year),
        pl.when(a_month).then(iso_month_year),
    )
    years = pl.coalesce(
        iso_years,
        pl.when(date.struct.field("1").is_not_null()).then(1),
        pl.when(~a_month).then(pooled_years),
        pl.when(fin_next).then(1),
        pl.when(fp_consistent).then(fp_end - fp_start + 1),
        pl.when(single.is_not_null() | month_year.is_not_null() | a_month).then(1),
    )
    years = pl.when(years <= MAX_PERIOD_YEARS).then(years).otherwise(0)
    distinct = distinct.with_columns(
        start.alias("period_start"),
        years.alias("period_years"),
        months.alias("_months"),
        iso_start.alias("_iso_start"),
        iso_years.alias("_iso_years"),
        iso_month.alias("_iso_month"),
    )
    months, iso_start = pl.col("_months"), pl.col("_iso_start")
    iso_years, iso_month = pl.col("_iso_years"), pl.col("_iso_month")
    label = (
        pl.when(pl.lit(not relabel_iso) | (iso_start.is_null() & date.struct.field("1").is_null()))
        .then(p)
        .when(date.struct.field("1").is_not_null())
        .then(date.struct.field("1"))
        .when(months == 1)  # one month: as Fingertips labels months ("Jan 2020")
        .then(pl.format("{} {}", _month_name(iso_month), iso_start))
        .when(months % 12 != 0)
        .then(p)
        .when(iso_month != "01")  # a year from April (or September): financial style
        .then(period_label_expr(iso_start, iso_years, "financial"))
        .otherwise(period_label_expr(iso_start, iso_years, "calendar"))
    )
    label = (
        pl.when(pl.col("_suffix").is_not_null()).then(label + pl.col("_suffix")).otherwise(label)
    )
    return distinct.with_columns(label.alias("_label")).select(
        "_period", "period_start", "period_years", "_label"
    )
