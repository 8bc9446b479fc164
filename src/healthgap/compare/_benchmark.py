"""Compare each value with a benchmark (England, London, the parent area), as Fingertips does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT
from scipy import stats

from healthgap import _checks, _frames, _limits, _output
from healthgap.compare import _inputs, _labels
from healthgap.errors import InputError

__all__ = ["benchmark"]

Method = Literal["ci_overlap", "spc_proportion", "spc_rate"]
METHODS = ("ci_overlap", "spc_proportion", "spc_rate")

#: reasons a row is not compared (code -> words); code -1 means compared, nothing to say
_REASONS = (
    "value missing",
    "confidence limits missing",
    "benchmark value missing",
    "denominator missing or not positive",
    "this row is the benchmark area",
    "polarity not set: difference shown without judgement",
)
(_NO_VALUE, _NO_LIMITS, _NO_BENCHMARK, _NO_DENOMINATOR, _IS_BENCHMARK, _NO_POLARITY) = range(6)

_BASES = ("Better", "Worse", "Higher", "Lower")


def benchmark(
    data: IntoFrameT,
    value: str = "value",
    lower_cl: str | Sequence[str] | None = None,
    upper_cl: str | Sequence[str] | None = None,
    benchmark_value: str | float | None = None,
    *,
    polarity: str | None = None,
    confidence: float | Sequence[float] = 0.95,
    method: Method = "ci_overlap",
    n: str | None = None,
    multiplier: float = 1,
    area: str | None = None,
    benchmark_area: str | None = None,
    group_by: str | Sequence[str] = (),
) -> IntoFrameT:
    r"""Judge each value against a benchmark: better, similar or worse (Fingertips' methods).

    With ``method="ci_overlap"`` (Fingertips' default for most indicators) a value differs
    significantly from the benchmark :math:`B` when :math:`B` lies outside the value's
    confidence interval :math:`[L, U]`; on a limit counts as inside (similar). With two levels
    (``confidence=(95, 99.8)``) a difference is reported at 99.8% when :math:`B` is outside the
    99.8% interval, else at 95% when it is outside the 95% interval.

    The control-limit (SPC) tests use the area's denominator :math:`n` instead of its limits.
    For proportions (``"spc_proportion"``) the limits are Wilson score limits of the benchmark
    proportion :math:`p_0 = B/m` for an area of size :math:`n`, with :math:`E = n p_0`:

    .. math:: \frac{2E + z^2 \mp z\sqrt{z^2 + 4E(1 - p_0)}}{2(n + z^2)}

    and the area's :math:`v/m` is compared with them. For rates (``"spc_rate"``) the limits
    are exact Poisson limits of the expected count :math:`E = B n / m`, divided by :math:`n`
    and multiplied by :math:`m`, as Fingertips' "SPC for DSRs" (the lower limit uses
    :math:`\lceil E \rceil`, the upper :math:`\lfloor E \rfloor`, as its Poisson search does).

    Parameters
    ----------
    data : pandas, Polars or Arrow table
        One row per value to judge.
    value : str
        Column of values (default ``"value"``).
    lower_cl, upper_cl : str or pair of str, optional
        Columns of the confidence limits at ``confidence`` (a pair, in level order, for two
        levels). Default: the methods' names, ``lowercl``/``uppercl`` for one level, or
        ``lower95_0cl``/``lower99_8cl`` and ``upper95_0cl``/``upper99_8cl``. Not used by the
        SPC methods.
    benchmark_value : str or float, optional
        The benchmark: a number, or a column holding each row's benchmark. Give this or
        ``benchmark_area``.
    polarity : str, optional
        ``"high_is_good"``, ``"low_is_good"``, ``"no_judgement"`` (blue-orange-blue:
        ``Higher``/``Similar``/``Lower``) or a column of these. ``None`` or a null gives the
        ``Higher``/``Lower`` words and says in ``reason`` that no judgement was made.
    confidence : 95, 99.8 or (95, 99.8)
        Confidence level(s), as a percentage or a proportion.
    method : {"ci_overlap", "spc_proportion", "spc_rate"}
        How to test the difference (see above).
    n : str, optional
        Column of denominators (people at risk, person-years), for the SPC methods.
    multiplier : float
        The values' multiplier (100 for percentages, 100000 for rates per 100,000); SPC only.
    area, benchmark_area : str, optional
        Take the benchmark from the data: ``area`` is the column of area codes and
        ``benchmark_area`` the code of the benchmark's rows; its value is matched to every row
        of the same ``group_by`` keys (indicator, period, sex, ...). Its own rows are
        "Not compared".
    group_by : str or list of str
        Keys matching each row to its benchmark row (with ``benchmark_area`` only).

    Returns
    -------
    Same kind of table as ``data``: its rows and columns, then ``benchmark`` (the value
    compared with), ``comparison`` (``Better``, ``Similar``, ``Worse``; ``Higher``/``Lower``
    without judgement; with two levels ``Better 95%``, ``Better 99.8%`` ...; or
    ``Not compared``), ``reason`` (why not compared, or that no polarity was set; else null)
    and ``comparison_method``. Existing columns of these names are replaced.

    Notes
    -----
    A missing value, limit, benchmark or denominator gives "Not compared" with the reason;
    never a silent judgement. A lower limit above its upper limit is an error.

    References
    ----------
    .. [1] OHID. Fingertips technical guidance: "Comparing indicator values with a
       benchmark" (confidence interval overlap; two-level 95%/99.8% comparisons).
    .. [2] Flowers J. Statistical process control methods in public health intelligence.
       APHO Technical Briefing 2, 2007 (control limits for proportions and rates).

    Examples
    --------
    Fingertips indicator 90284 (hospital admissions for injuries in children aged 0-14, per
    10,000), 2023/24, low is good; England 72.71223. Its export says Westminster "Worse" and
    Islington "Similar":

    >>> import polars as pl
    >>> df = pl.DataFrame({"area": ["Westminster", "Islington"], "value": [96.8015, 71.8679],
    ...                    "lowercl": [84.1851, 61.9577], "uppercl": [108.9973, 81.4306]})
    >>> out = benchmark(df, benchmark_value=72.71223, polarity="low_is_good")
    >>> out["comparison"].to_list()
    ['Worse', 'Similar']
    """
    frame = _frames.to_frame(data)
    levels = _checks.confidence(confidence)
    if not levels:
        raise InputError("argument 'confidence' must be a level or the pair (95, 99.8); got None")
    _checks.one_of("method", method, METHODS)
    values = _inputs.column_or_none(frame, value)
    codes = _inputs.polarity(frame, polarity)
    bench, is_benchmark = _benchmark_values(
        frame, value, benchmark_value, area, benchmark_area, group_by
    )

    reason = np.full(len(frame), -1, dtype=np.int64)
    if method == "ci_overlap":
        if n is not None:
            raise InputError("argument 'n' is used by the SPC methods only, not 'ci_overlap'")
        limits = _read_limits(frame, levels, lower_cl, upper_cl)
        missing = np.zeros(len(frame), dtype=bool)
        for lo, hi in limits:
            missing |= np.isnan(lo) | np.isnan(hi)
        outside = [(bench < lo) | (bench > hi) for lo, hi in limits]
        above = values > bench
        plural = "s" if len(levels) > 1 else ""
        described = f"benchmark value vs {_output.level_label(levels)} confidence interval{plural}"
        reason[missing] = _NO_LIMITS
    else:
        if lower_cl is not None or upper_cl is not None:
            raise InputError(f"arguments 'lower_cl'/'upper_cl' are not used by method {method!r}")
        if n is None:
            raise InputError(f"method {method!r} needs argument 'n' (the denominators)")
        m = _checks.number("multiplier", multiplier, low=0, low_open=True)
        denominators = _inputs.column_or_none(frame, n)
        bad_n = ~(denominators > 0)
        outside, above = _control_limits(method, values, bench, denominators, m, levels)
        kind = "Wilson" if method == "spc_proportion" else "exact Poisson"
        described = f"control limits ({kind}) around the benchmark at {_output.level_label(levels)}"
        reason[bad_n] = _NO_DENOMINATOR

    # later reasons overwrite earlier ones: the most basic is the one given
    reason[np.isnan(bench)] = _NO_BENCHMARK
    reason[is_benchmark] = _IS_BENCHMARK
    reason[np.isnan(values)] = _NO_VALUE
    compared = reason < 0
    reason[compared & (codes == _inputs.UNSET)] = _NO_POLARITY

    comparison = _comparison_codes(outside, above, codes, compared, len(levels))
    words = (_labels.NOT_COMPARED, "Similar", *_words(len(levels)))
    out = _labels.append(
        frame,
        numbers={"benchmark": bench},
        texts={"comparison": (comparison, words), "reason": (reason, _REASONS)},
    )
    out = out.with_columns(nw.lit(described).alias("comparison_method"))
    return _frames.to_native(out)


def _words(n_levels: int) -> list[str]:
    suffixes = ("",) if n_levels == 1 else (" 95%", " 99.8%")
    return [base + s for base in _BASES for s in suffixes]


def _comparison_codes(
    outside: list[np.ndarray],
    above: np.ndarray,
    polarity: np.ndarray,
    compared: np.ndarray,
    n_levels: int,
) -> np.ndarray:
    """Code per row: 0 not compared, 1 similar, then base x level (see :func:`_words`)."""
    significant = outside[0]
    strongest = outside[-1].astype(np.int64) if n_levels > 1 else np.zeros(len(above), np.int64)
    judged = (polarity == _inputs.HIGH) | (polarity == _inputs.LOW)
    good = np.where(polarity == _inputs.LOW, ~above, above)
    base = np.where(judged, np.where(good, 0, 1), np.where(above, 2, 3))
    code = 2 + base * n_levels + strongest
    code = np.where(significant, code, 1)
    return np.where(compared, code, 0)


def _read_limits(
    frame: nw.DataFrame[Any],
    levels: tuple[float, ...],
    lower_cl: str | Sequence[str] | None,
    upper_cl: str | Sequence[str] | None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    default = _output.limit_names(levels)
    lowers = _frames.as_names(lower_cl) or tuple(lo for lo, _ in default)
    uppers = _frames.as_names(upper_cl) or tuple(hi for _, hi in default)
    if len(lowers) != len(levels) or len(uppers) != len(levels):
        raise InputError(
            f"arguments 'lower_cl' and 'upper_cl' must name one column per level "
            f"({_output.level_label(levels)}); got lower_cl={lower_cl!r}, upper_cl={upper_cl!r}"
        )
    _checks.numeric(frame, *lowers, *uppers)
    limits = []
    for lo_name, hi_name in zip(lowers, uppers, strict=True):
        lo, hi = _frames.column(frame, lo_name), _frames.column(frame, hi_name)
        _inputs.limits_in_order(lo, hi, lo_name, hi_name)
        limits.append((lo, hi))
    return limits


def _control_limits(
    method: str,
    values: np.ndarray,
    bench: np.ndarray,
    n: np.ndarray,
    multiplier: float,
    levels: tuple[float, ...],
) -> tuple[list[np.ndarray], np.ndarray]:
    """Whether each value is outside the benchmark's control limits at each level."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "spc_proportion":
            p0 = bench / multiplier
            bad = (p0 < 0) | (p0 > 1)
            if bad.any():
                raise InputError(
                    "benchmark proportions (benchmark / multiplier) must lie in 0-1 for "
                    "'spc_proportion': " + _checks.where(bad, bench)
                )
            limits = [_limits.wilson(n * p0, n, level) for level in levels]
        else:
            expected = bench * n / multiplier
            limits = [_poisson_search_limits(expected, level) for level in levels]
            limits = [_limits.Limits(lo / n, hi / n) for lo, hi in limits]
        observed = values / multiplier
        outside = [(observed < lo) | (observed > hi) for lo, hi in limits]
        above = observed > limits[0].upper
    return outside, above


def _poisson_search_limits(expected: np.ndarray, level: float) -> _limits.Limits:
    """Poisson limits of an expected count as Fingertips' search finds them (ceil/floor)."""
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        low_k = np.ceil(expected)
        lower = np.where(low_k > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(low_k, 1)) / 2, 0.0)
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * np.floor(expected) + 2) / 2
    return _limits.Limits(lower, upper)


def _benchmark_values(
    frame: nw.DataFrame[Any],
    value: str,
    benchmark_value: Any,
    area: str | None,
    benchmark_area: str | None,
    group_by: str | Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's benchmark, and whether the row is the benchmark area's own.

    The benchmark is a number, a column, or the value on the benchmark area's row of the
    same ``group_by`` keys.
    """
    if (benchmark_value is None) == (benchmark_area is None):
        raise InputError(
            "give either 'benchmark_value' (a number or column) or 'benchmark_area' "
            "(with 'area'), not both or neither"
        )
    keys = _inputs.keys(frame, group_by)
    if benchmark_value is not None:
        if keys or area is not None:
            raise InputError("arguments 'area' and 'group_by' go with 'benchmark_area' only")
        values = _inputs.number_or_column(frame, "benchmark_value", benchmark_value)
        return values, np.zeros(len(frame), dtype=bool)
    if area is None:
        raise InputError("argument 'benchmark_area' needs 'area', the column of area codes")
    _checks.columns(frame, area)
    is_benchmark = (frame[area] == benchmark_area).fill_null(False).to_numpy()
    rows = frame.filter(nw.col(area) == benchmark_area)
    if len(rows) == 0:
        raise InputError(f"benchmark area {benchmark_area!r} has no rows in column '{area}'")
    duplicated = (
        rows.select(*keys).is_duplicated().to_numpy()
        if keys
        else np.array([len(rows) > 1] * len(rows))
    )
    if duplicated.any():
        raise InputError(
            f"benchmark area {benchmark_area!r} must have one row per {list(keys) or 'table'}: "
            f"{int(duplicated.sum())} of its {len(rows)} rows repeat a key"
            + ("; pass group_by" if not keys else "")
        )
    if not keys:
        return np.full(len(frame), float(_frames.column(rows, value)[0])), is_benchmark
    lookup = rows.select(*keys, nw.col(value).cast(nw.Float64()).alias("__benchmark__"))
    joined = (
        frame.select(*keys)
        .with_row_index("__row__")
        .join(lookup, on=list(keys), how="left")
        .sort("__row__")
    )
    return _frames.column(joined, "__benchmark__"), is_benchmark
