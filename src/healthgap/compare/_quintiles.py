"""Quintiles within a comparator group, for indicators with no better/worse judgement."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _frames
from healthgap.compare import _inputs, _labels

__all__ = ["quintiles"]

#: Fingertips sets quintile bounds only when a comparator group has at least 5 valid values
#: (QuintilesComparer.SetDataForCategories, fingertips-open).
MIN_VALUES = 5
#: The position (c - 1) q is rounded to 9 decimals so that whole positions are exact (0.2 x 15
#: is 3.0000000000000004 in floating point). Fingertips instead rounds each bound to 10
#: decimals, which moves values with more decimals than that across a bound; ours keeps the
#: bound an exact order statistic whenever the position is whole.
_POSITION_DECIMALS = 9

_REASONS = (
    "value missing",
    f"fewer than {MIN_VALUES} values in the group",
    "polarity not set: quintiles shown without judgement",
)
_NO_VALUE, _TOO_FEW, _NO_POLARITY = range(3)


def quintiles(
    data: IntoFrameT,
    value: str = "value",
    *,
    group_by: str | Sequence[str] = (),
    polarity: str | None = None,
) -> IntoFrameT:
    r"""Place each value in a quintile of its group (area type x indicator x period ...).

    As Fingertips does, the bounds are the 20th, 40th, 60th and 80th percentiles of the
    group's values, each interpolated linearly between order statistics (Excel's
    ``PERCENTILE.INC``): with the :math:`c` values sorted, :math:`x_{(1)} \le \dots \le
    x_{(c)}`, the :math:`q`-th percentile is :math:`x_{(k)} + d\,(x_{(k+1)} - x_{(k)})`
    where :math:`k + d = (c - 1) q + 1`. A value goes in the first quintile whose upper bound
    it does not exceed.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per area (and group).
    value : str
        Column of values (default ``"value"``).
    group_by : str or list of str
        The comparator groups: quintiles are formed within each (e.g. indicator, period and
        parent area for "compared with the parent's areas").
    polarity : str, optional
        ``None`` or ``"no_judgement"``: Fingertips' labels, ``Lowest quintile``,
        ``2nd lowest quintile``, ``Middle quintile``, ``2nd highest quintile``,
        ``Highest quintile``. ``"high_is_good"``/``"low_is_good"`` (or a column of these) give
        ``Best quintile`` ... ``Worst quintile`` instead; a null in a polarity column gives
        the plain labels with the reason.

    Returns
    -------
    Same kind of table as ``data``: its rows, then ``quintile`` (1 = lowest values, 5 =
    highest, whatever the polarity; null when not compared), ``comparison`` (the label, or
    ``Not compared``) and ``reason``.

    Notes
    -----
    **Ties.** Equal values always share a quintile; a value equal to a bound goes in the lower
    quintile (``value <= bound``), as in Fingertips. With few or tied values some quintiles
    may be empty: 6 areas give 2, 1, 1, 1, 1. Missing values take no part in the bounds and
    are "Not compared", as is every row of a group with fewer than 5 values. Where a bound
    falls exactly on a value, it is that value (Fingertips rounds bounds to 10 decimals
    instead, which differs only for values with more decimals than that).

    References
    ----------
    .. [1] OHID. Fingertips: quintiles comparisons ("Compared to ... value or percentiles").
       The bounds follow fingertips-open ``QuintilesCalculator`` / ``ValueCategoriesCalculator``.

    Examples
    --------
    Deprivation score (IMD 2019, indicator 93553) of the Liverpool City Region's six
    authorities, as in Fingertips' export (compared with the parent's areas):

    >>> import polars as pl
    >>> df = pl.DataFrame({"area": ["Knowsley", "Liverpool", "Halton", "St. Helens", "Wirral",
    ...                             "Sefton"],
    ...                    "value": [43.006, 42.412, 32.325, 31.518, 29.589, 27.035]})
    >>> quintiles(df)["comparison"].to_list()  # doctest: +NORMALIZE_WHITESPACE
    ['Highest quintile', '2nd highest quintile', 'Middle quintile', '2nd lowest quintile',
     'Lowest quintile', 'Lowest quintile']
    """
    frame = _frames.to_frame(data)
    keys = _inputs.keys(frame, group_by)
    values = _inputs.column_or_none(frame, value)
    codes = _inputs.polarity(frame, polarity)
    ids, uniques = _frames.group_ids(frame, keys)
    n_groups = 1 if uniques is None else len(uniques)

    quintile = _quintile_numbers(values, ids, n_groups)
    reason = np.full(len(frame), -1, dtype=np.int64)
    reason[np.isnan(quintile)] = _TOO_FEW
    reason[np.isnan(values)] = _NO_VALUE
    compared = ~np.isnan(quintile)
    reason[compared & (codes == _inputs.UNSET) & (polarity is not None)] = _NO_POLARITY

    # labels: 0 not compared, 1-5 plain (lowest..highest), 6-10 judged (best..worst)
    q = np.nan_to_num(quintile).astype(np.int64)
    judged_rank = np.where(codes == _inputs.HIGH, 6 - q, q)
    label = np.where((codes == _inputs.HIGH) | (codes == _inputs.LOW), 5 + judged_rank, q)
    label = np.where(compared, label, 0)
    words = (_labels.NOT_COMPARED, *_labels.QUINTILES, *_labels.QUINTILES_JUDGED)
    out = _labels.append(
        frame,
        numbers={"quintile": quintile},
        texts={"comparison": (label, words), "reason": (reason, _REASONS)},
        integers=["quintile"],
    )
    return _frames.to_native(out)


def _quintile_numbers(values: np.ndarray, ids: np.ndarray, n_groups: int) -> np.ndarray:
    """Quintile 1-5 of each value within its group (NaN: missing value or too few values)."""
    valid = ~np.isnan(values)
    v, g = values[valid], ids[valid]
    order = np.lexsort((v, g))
    v_sorted = v[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    bounds = []
    for fraction in (0.2, 0.4, 0.6, 0.8):
        h = np.round((counts - 1) * fraction, _POSITION_DECIMALS)
        k = np.floor(h).astype(np.int64)
        d = h - k
        lo = v_sorted[np.clip(starts + k, 0, max(len(v_sorted) - 1, 0))] if len(v) else h
        hi = (
            v_sorted[np.clip(starts + np.minimum(k + 1, counts - 1), 0, max(len(v_sorted) - 1, 0))]
            if len(v)
            else h
        )
        bounds.append(lo + d * (hi - lo))
    out = np.full(len(values), np.nan)
    enough = counts >= MIN_VALUES
    q = 1 + sum((v > b[g]).astype(np.int64) for b in bounds)
    out[valid] = np.where(enough[g], q, np.nan)
    return out
