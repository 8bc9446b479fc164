"""Conventions shared by every layer, defined once: limit columns, levels, periods, polarity.

The names of the published confidence limits, the two confidence levels Fingertips
publishes, how a period is written (``2019 - 21``, ``2021/22``) and which polarity a
target's direction implies. Importers, the engine, the store, exports and the report use
these; none restates them. Polars is imported only by :func:`period_label_expr`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "LEVELS",
    "LIMITS",
    "LIMITS_95",
    "LIMITS_998",
    "LIMIT_PAIRS",
    "period_label",
    "period_label_expr",
    "polarity_of_direction",
]

#: The two confidence levels of Fingertips' limits: 95% and 99.8% (OHID technical guidance,
#: "Confidence intervals"; the funnel-plot control limits of about 2 and 3 standard errors).
LEVELS = (0.95, 0.998)
#: 95% limits (lower, upper): column names as PHEindicatormethods writes them.
LIMITS_95 = ("lower95_0cl", "upper95_0cl")
#: 99.8% limits (lower, upper).
LIMITS_998 = ("lower99_8cl", "upper99_8cl")
#: Every limit column of a value, 95% first (the store's VALUES order).
LIMITS = (*LIMITS_95, *LIMITS_998)
#: (lower, upper) of each level, in the order of :data:`LEVELS`.
LIMIT_PAIRS = (LIMITS_95, LIMITS_998)

#: Value note of a published row whose limits lie outside its value by less than the value's
#: published rounding (Fingertips rounds values for display but not their limits): the
#: importers accept such rows within the rounding and say so; the store accepts them too.
ROUNDING_NOTE = "limits lie outside the value by less than the value's published rounding"

#: A target's direction (``healthgap.catalogue.strategy.Direction``) -> the polarity it
#: implies (``healthgap.catalogue.metadata.Polarity``); milestones judge nothing.
_POLARITY = {"at_least": "high_is_good", "at_most": "low_is_good"}


def polarity_of_direction(direction: str) -> str:
    """Return the polarity a target direction implies.

    ``at_least`` a target is met from above: high is good; ``at_most``: low is good; any
    other direction (``milestones``) gives ``no_judgement``.

    Examples
    --------
    >>> polarity_of_direction("at_most"), polarity_of_direction("milestones")
    ('low_is_good', 'no_judgement')
    """
    return _POLARITY.get(direction, "no_judgement")


def period_label(start: int, years: int, period_type: str) -> str:
    """Write a period as Fingertips does.

    ``2021`` / ``2019 - 21`` (calendar) or ``2021/22`` / ``2019/20 - 21/22`` (financial and
    academic years, which start in ``start``).

    Examples
    --------
    >>> period_label(2019, 3, "calendar"), period_label(2021, 1, "financial")
    ('2019 - 21', '2021/22')
    >>> period_label(2019, 3, "financial")
    '2019/20 - 21/22'
    """
    end = start + years - 1
    if period_type == "calendar":
        return str(start) if years == 1 else f"{start} - {end % 100:02d}"
    first = f"{start}/{(start + 1) % 100:02d}"
    return first if years == 1 else f"{first} - {end % 100:02d}/{(end + 1) % 100:02d}"


def period_label_expr(
    start: str | pl.Expr = "period_start",
    years: str | pl.Expr = "period_years",
    period_type: str = "calendar",
) -> pl.Expr:
    """Polars form of :func:`period_label`: the label of every row's period at once.

    Parameters
    ----------
    start, years : str or polars.Expr
        Columns (or expressions) of the first year and the number of years.
    period_type : str, default "calendar"
        ``calendar``, or ``financial``/``academic`` (years written ``2021/22``).

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"period_start": [2019, 2021], "period_years": [3, 1]})
    >>> frame.select(period_label_expr(period_type="financial"))["period"].to_list()
    ['2019/20 - 21/22', '2021/22']
    """
    import polars as pl

    first = (pl.col(start) if isinstance(start, str) else start).cast(pl.Int64)
    length = (pl.col(years) if isinstance(years, str) else years).cast(pl.Int64)
    end = first + length - 1

    def yy(year: pl.Expr) -> pl.Expr:
        return (year % 100).cast(pl.String).str.zfill(2)

    if period_type == "calendar":
        one, many = first.cast(pl.String), pl.format("{} - {}", first, yy(end))
    else:
        one = pl.format("{}/{}", first, yy(first + 1))
        many = pl.format("{}/{} - {}/{}", first, yy(first + 1), yy(end), yy(end + 1))
    return pl.when(length == 1).then(one).otherwise(many).alias("period")
