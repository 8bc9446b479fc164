"""Assign areas to quantiles by rank within groups (OHID "Assigning deprivation categories")."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames
from healthgap.errors import InputError, SuppressedWarning

__all__ = ["quantile"]

#: ``qinverted`` labels, as PHEindicatormethods' ``phe_quantile``.
INVERTED = "lowest quantile represents highest values"
NOT_INVERTED = "lowest quantile represents lowest values"


def _ranks(values: np.ndarray, ids: np.ndarray, descending: np.ndarray) -> np.ndarray:
    """Rank of each value within its group, ties at the minimum rank (1 = first in order).

    Sorts once by (group, signed value) and finds where each run of equal values starts, so
    every group is ranked at once. ``descending`` (bool per row) ranks largest first.
    """
    n = len(values)
    key = np.where(descending, -values, values)
    order = np.lexsort((key, ids))
    sorted_ids, sorted_key = ids[order], key[order]
    position = np.arange(n)
    new_group = np.empty(n, dtype=bool)
    new_run = np.empty(n, dtype=bool)
    if n:
        new_group[0] = new_run[0] = True
        new_group[1:] = sorted_ids[1:] != sorted_ids[:-1]
        new_run[1:] = new_group[1:] | (sorted_key[1:] != sorted_key[:-1])
    group_start = np.maximum.accumulate(np.where(new_group, position, 0))
    run_start = np.maximum.accumulate(np.where(new_run, position, 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = run_start - group_start + 1
    return ranks


def _quantiles(ranks: np.ndarray, counts: np.ndarray, nquantiles: int) -> np.ndarray:
    """Quantile of rank r among N areas: q + 1 - ceil(q (N + 1 - r) / N), in exact integers.

    Areas are split into q groups of N/q ranks, rank 1 in quantile 1 (OHID guidance,
    "Assigning deprivation categories"). Integer arithmetic avoids the rounding that can put
    rank 1 in quantile 0 when N/q is not a whole number.
    """
    numerator = nquantiles * (counts + 1 - ranks)
    return nquantiles + 1 - (-(-numerator // counts))


def quantile(
    data: IntoFrameT,
    values: str,
    *,
    group_by: str | Sequence[str] = (),
    nquantiles: int = 10,
    invert: bool | str = True,
    type: Literal["standard", "full"] = "full",
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""Assign each area to a quantile of its group by the rank of its value.

    Within each group the :math:`N` areas with a value are ranked (rank 1 = highest value when
    ``invert`` is true, lowest otherwise; tied values share the lowest rank they span), and the
    area of rank :math:`r` goes to quantile

    .. math:: Q(r) = q + 1 - \left\lceil \frac{N + 1 - r}{N / q} \right\rceil

    where :math:`q` is the number of quantiles, so each quantile holds :math:`N/q` ranks
    (rounded) and quantile 1 holds rank 1.

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per area (e.g. LSOAs with their IMD score).
    values : str
        Numeric column to rank by; missing values get a null quantile and are not counted.
    group_by : str or sequence of str, default ()
        Columns defining the higher geographies (or other sets) within which separate
        quantiles are assigned; ``()`` ranks all rows together.
    nquantiles : int, default 10
        Number of quantiles per group (10 = deciles, 5 = quintiles); a whole number >= 1.
    invert : bool or str, default True
        ``True``: quantile 1 holds the highest values (as IMD deprivation deciles, decile 1 the
        most deprived); ``False``: quantile 1 holds the lowest. A column name gives the choice
        per group: a boolean column holding one value within each group.
    type : {"standard", "full"}, default "full"
        ``"standard"`` appends ``quantile``; ``"full"`` also ``nquantiles``, ``groupvars`` (the
        group columns, comma separated) and ``qinverted`` (the direction, in words).
    errors : {"raise", "flag"}, default "raise"
        ``"flag"`` gives rows with an infinite value no quantile (as a missing value), with
        one :class:`~healthgap.errors.SuppressedWarning`, instead of raising.

    Returns
    -------
    table of the caller's kind
        The input rows, in their order, with the columns above appended (as PHEindicatormethods'
        ``phe_quantile``). ``quantile`` is a float column with nulls where none is assigned.

    Warns
    -----
    SuppressedWarning
        Once, when groups have fewer areas with values than ``nquantiles``: their quantiles
        are null.

    Notes
    -----
    The rule is applied strictly: tied areas on a quantile boundary all take the quantile of
    their lowest rank, so quantiles can differ in size, as the guidance notes; review such
    boundaries by hand when they matter.

    References
    ----------
    .. [1] Office for Health Improvement and Disparities. Public health technical guidance:
       assigning deprivation categories (Fingertips data processing methods).
    .. [2] Ministry of Housing, Communities and Local Government. The English Indices of
       Deprivation 2019: technical report, section 3 (ranks and deciles of 32,844 LSOAs).

    Examples
    --------
    Twelve areas in quartiles (4 quantiles of 3 ranks), highest values first. The two 40s tie
    at rank 6, the last rank of quartile 2, so both go there and quartile 3 holds two areas:

    >>> import polars as pl
    >>> df = pl.DataFrame({"score": [90, 80, 70, 60, 50, 40, 40, 30, 20, 10, 5, 1]})
    >>> quantile(df, "score", nquantiles=4, type="standard")["quantile"].to_list()
    [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0]
    """
    frame = _frames.to_frame(data)
    keys = _frames.as_names(group_by)
    _checks.one_of("type", type, ("standard", "full"))
    _checks.one_of("errors", errors, ("raise", "flag"))
    nq = _whole_number("nquantiles", nquantiles)
    _checks.numeric(frame, values)
    _checks.columns(frame, *keys)
    ids, uniques = _frames.group_ids(frame, keys)
    n_groups = 1 if uniques is None else len(uniques)
    inverted = _invert_per_group(frame, invert, ids, n_groups, uniques)

    x = _frames.column(frame, values)
    if np.isinf(x).any():
        message = f"column '{values}' must be finite or missing: " + _checks.where(np.isinf(x), x)
        if errors == "raise":
            raise InputError(message)
        warnings.warn(f"{message}; those rows get no quantile", SuppressedWarning, stacklevel=2)
        x = np.where(np.isinf(x), np.nan, x)
    has_value = ~np.isnan(x)
    counts = np.bincount(ids[has_value], minlength=n_groups)

    q = np.full(len(x), np.nan)
    ranks = _ranks(x[has_value], ids[has_value], inverted[ids[has_value]])
    group_counts = counts[ids[has_value]]
    assigned = _quantiles(ranks, group_counts, nq).astype(float)
    q[has_value] = np.where(group_counts >= nq, assigned, np.nan)

    too_few = (counts > 0) & (counts < nq)
    if too_few.any():
        first = np.flatnonzero(too_few)[0]
        where_first = (
            "all rows"
            if uniques is None
            else ", ".join(_checks._fmt_one(v) for v in uniques.row(int(first)))
        )
        warnings.warn(
            f"quantile withheld for {int(too_few.sum()):,} of {n_groups:,} groups with fewer "
            f"areas with values than nquantiles = {nq} (first: {where_first})",
            SuppressedWarning,
            stacklevel=2,
        )

    backend = nw.get_native_namespace(frame)
    out = frame.with_columns(nw.new_series("quantile", q, backend=backend))
    if type == "full":
        flags = nw.new_series("__inverted__", inverted[ids], backend=backend)
        out = (
            out.with_columns(flags)
            .with_columns(
                nw.lit(nq, dtype=nw.Int64()).alias("nquantiles"),
                nw.lit(", ".join(keys), dtype=nw.String()).alias("groupvars"),
                nw.when(nw.col("__inverted__"))
                .then(nw.lit(INVERTED))
                .otherwise(nw.lit(NOT_INVERTED))
                .alias("qinverted"),
            )
            .drop("__inverted__")
        )
    out = out.with_columns(nw.col("quantile").fill_nan(None))
    return _frames.to_native(out)


def _whole_number(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InputError(f"argument '{name}' must be a whole number >= 1; got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise InputError(f"argument '{name}' must be a whole number >= 1; got {value!r}") from None
    if number < 1:
        raise InputError(f"argument '{name}' must be a whole number >= 1; got {value!r}")
    return number


def _invert_per_group(
    frame: nw.DataFrame[Any],
    invert: bool | str,
    ids: np.ndarray,
    n_groups: int,
    uniques: nw.DataFrame[Any] | None,
) -> np.ndarray:
    """``invert`` as one boolean per group, from a constant or a column constant in groups."""
    if isinstance(invert, bool | np.bool_):
        return np.full(n_groups, bool(invert))
    if not isinstance(invert, str):
        raise InputError(f"argument 'invert' must be True, False or a column name; got {invert!r}")
    _checks.columns(frame, invert)
    if frame.schema[invert] != nw.Boolean:
        raise InputError(
            f"column '{invert}' (invert) must be boolean; it is {frame.schema[invert]}"
        )
    flags = frame[invert]
    if flags.null_count():
        missing = flags.is_null().to_numpy()
        raise InputError(
            f"column '{invert}' (invert) must not be missing: " + _checks.where(missing)
        )
    as_int = flags.to_numpy().astype(np.int64)
    highs = np.bincount(ids, weights=as_int, minlength=n_groups)
    sizes = np.bincount(ids, minlength=n_groups)
    mixed = (highs > 0) & (highs < sizes)
    if mixed.any():
        first = int(np.flatnonzero(mixed)[0])
        where_first = (
            "all rows"
            if uniques is None
            else ", ".join(_checks._fmt_one(v) for v in uniques.row(first))
        )
        raise InputError(
            f"column '{invert}' (invert) must hold one value within each group: "
            f"{int(mixed.sum()):,} of {n_groups:,} groups mix True and False "
            f"(first: {where_first})"
        )
    return highs > 0
