"""Time periods as official files write them -> first calendar year and number of years.

Fingertips writes ``2015``, ``2015 - 17`` (pooled), ``2023/24`` (financial), ``2015/16 - 17/18``,
``2015 Q1``, ``2019/20 Q3``, ``Jan 2020``; ONS writes ``2001-2003`` and ISO 8601 intervals
``2011-01-01/P3Y``. All patterns are regular expressions over the whole column at once.
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


def _spelled_out(p: pl.Expr) -> pl.Expr:
    """ONS's spelled-out periods rewritten in the forms :func:`_parse` reads.

    ``Financial year ending 2023`` -> ``2022/23``; ``04/2022 - 03/2023`` and
    ``16/11/2021 - 15/11/2022`` -> ISO intervals; ``Sep-23`` -> ``Sep 2023``;
    ``As at 31 January 2024`` -> ``2024-01-31`` (ONS subnational indicators).
    """
    fye = p.str.extract(rf"(?i)^financial year ending {_Y}$", 1).cast(pl.Int32, strict=False)
    months = p.str.extract_groups(r"^(\d\d)/(\d{4})\s*-\s*(\d\d)/(\d{4})$")
    days = p.str.extract_groups(r"^(\d\d)/(\d\d)/(\d{4})\s*-\s*(\d\d)/(\d\d)/(\d{4})$")
    mon_yy = p.str.extract_groups(r"^([A-Za-z]{3})-(\d\d)$")
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
    distinct = distinct.with_columns(_spelled_out(pl.col("_period").str.strip_chars()).alias("_p"))
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
    )
    iso, iso_end, date = pl.col("_iso"), pl.col("_iso_end"), pl.col("_date")
    pooled, fin, fin_pooled = pl.col("_pooled"), pl.col("_fin"), pl.col("_fin_pooled")
    single, month_year = pl.col("_single"), pl.col("_month_year")

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
    )
    years = pl.coalesce(
        iso_years,
        pl.when(date.struct.field("1").is_not_null()).then(1),
        pooled_end - pooled_start + 1,
        pl.when(fin_next).then(1),
        pl.when(fp_consistent).then(fp_end - fp_start + 1),
        pl.when(single.is_not_null() | month_year.is_not_null()).then(1),
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
        .when(months % 12 != 0)
        .then(p)
        .when(iso_month != "01")  # a year from April (or September): financial style
        .then(period_label_expr(iso_start, iso_years, "financial"))
        .otherwise(period_label_expr(iso_start, iso_years, "calendar"))
    )
    return distinct.with_columns(label.alias("_label")).select(
        "_period", "period_start", "period_years", "_label"
    )
