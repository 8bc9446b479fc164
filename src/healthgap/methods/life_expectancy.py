"""Life expectancy by Chiang's method II, as OHID publishes it (``phe_life_expectancy``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT

from healthgap.errors import InputError
from healthgap.methods import _ages, _aggregate, _checks, _frames, _life_table, _output
from healthgap.methods._limits import Limits, z_value

__all__ = ["life_expectancy"]

METHOD = "Chiang II, Silcocks et al. for the open age band"


class Prepared(NamedTuple):
    """Validated, banded input of the life-table methods (one row of matrices per group)."""

    frame: nw.DataFrame[Any]
    g: _aggregate.Groups
    banded: _ages.Banded
    deaths: np.ndarray  # (groups, bands), 0 where a band is absent
    population: np.ndarray
    reasons: np.ndarray | None  # why each group is withheld (None: computed)
    layouts: list[tuple[np.ndarray, np.ndarray]]  # (group rows, band columns) per layout
    layout_of: np.ndarray  # each group's layout number
    descriptions: list[str]  # each layout described, e.g. '20 age bands (0, 1-4, ...)'


def prepare(
    frame: nw.DataFrame[Any],
    keys: Sequence[str],
    deaths: str,
    population: str,
    startage: str,
    age_contents: Sequence[Any] | str | None,
    errors: str,
    *,
    extra: Sequence[str] = (),
    extra_checks: Callable[[_checks.RowChecks], None] | None = None,
) -> Prepared:
    """Validate rows, lay them out as ``(groups, bands)`` and apply OHID's group rules."""
    _checks.numeric(frame, deaths, population, *extra)
    g = _aggregate.groups(frame, keys)
    checks = _checks.RowChecks(len(frame), g.ids)
    d_rows, p_rows = _frames.column(frame, deaths), _frames.column(frame, population)
    checks.count_column(deaths, d_rows)
    checks.positive_column(population, p_rows)
    checks.at_most(deaths, d_rows, population, p_rows)
    if extra_checks is not None:
        extra_checks(checks)
    row_reasons = checks.resolve(errors)

    banded = _ages.band(frame, g.ids, g.count, startage, [deaths, population, *extra], age_contents)
    present = banded.present
    if age_contents == _ages.BY_GROUP:
        late = ~present[:, 0]
        if late.any():
            raise InputError(_groups_message("each group's age bands must start at age 0", late, g))
        patterns, layout_of = np.unique(present, axis=0, return_inverse=True)
        layout_of = layout_of.reshape(-1)
        missing = None
    else:
        patterns, layout_of = present[:1] | True, np.zeros(g.count, dtype=np.int64)
        gaps = ~present.all(axis=1)
        missing = None
        if gaps.any():
            if errors == "raise":
                raise InputError(
                    _groups_message(
                        f"each group must have every age band of the layout "
                        f"({_ages.describe(banded.starts)})",
                        np.asarray(gaps),
                        g,
                    )
                )
            missing = np.where(gaps, _life_table.REASON_MISSING_BANDS, np.array(None))
    d = banded.values[deaths]
    p = banded.values[population]
    rules = _life_table.withheld_reasons(d, p, present)
    reasons = _life_table.merge(row_reasons, missing, rules)
    if reasons is not None and not _life_table.has_reason(reasons).any():
        reasons = None
    layouts = [
        (np.flatnonzero(layout_of == i), np.flatnonzero(pattern))
        for i, pattern in enumerate(patterns)
    ]
    descriptions = [_ages.describe(banded.starts[cols]) for _, cols in layouts]
    return Prepared(frame, g, banded, d, p, reasons, layouts, layout_of, descriptions)


def _groups_message(rule: str, mask: np.ndarray, g: _aggregate.Groups) -> str:
    idx = np.flatnonzero(mask)
    shown = "; ".join(f"({_aggregate.describe_group(g, int(i))})" for i in idx[:5])
    more = ", ..." if len(idx) > 5 else ""
    return f"{rule}: {len(idx):,} of {g.count:,} groups fail: {shown}{more}"


def expectancies(
    prep: Prepared, weight: np.ndarray | None = None, weight_variance: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Compute the expectancy and its variance at every band start, ``(groups, bands)``.

    One vectorised life table per distinct layout (usually one), never one per group.
    """
    shape = prep.deaths.shape
    value, variance = np.full(shape, np.nan), np.full(shape, np.nan)
    safe = _life_table.is_withheld(prep.reasons, shape[0])
    # withheld groups still flow through the arithmetic (nulled later): give them harmless rows
    d = np.where(safe[:, None], 1.0, prep.deaths)
    p = np.where(safe[:, None], 2.0, prep.population)
    for rows, cols in prep.layouts:
        ix = np.ix_(rows, cols)
        table = _life_table.chiang(d[ix], p[ix], prep.banded.starts[cols])
        w = None if weight is None else weight[ix]
        wv = None if weight_variance is None else weight_variance[ix]
        result = _life_table.expectancy(table, w, wv)
        value[ix], variance[ix] = result.value, result.variance
    return value, variance


def output_rows(prep: Prepared, ages: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Group and band index of every output row (bands each group has, filtered by age)."""
    keep = prep.banded.present.copy()
    if not (isinstance(ages, str) and ages == "all"):
        wanted = [ages] if isinstance(ages, str | int | float) else list(ages)
        starts, _ = _ages.parse_labels(name, wanted)
        unknown = ~np.isin(starts, prep.banded.starts)
        if unknown.any():
            raise InputError(
                f"argument '{name}' must be 'all' or age bands of the data "
                f"({_ages.describe(prep.banded.starts)}); not found: "
                f"{_checks._fmt(np.array(wanted, dtype=object)[unknown])}"
            )
        keep &= np.isin(prep.banded.starts, starts)[None, :]
    rows, bands = np.nonzero(keep)
    return rows, bands


def limits_of(
    value: np.ndarray, variance: np.ndarray, levels: Sequence[float]
) -> dict[float, Limits]:
    """Symmetric normal limits ``value -/+ z sqrt(variance)`` at each level."""
    se = np.sqrt(variance)
    return {lv: Limits(value - z_value(lv) * se, value + z_value(lv) * se) for lv in levels}


def life_expectancy(
    data: IntoFrameT,
    deaths: str,
    population: str,
    startage: str,
    *,
    group_by: str | Sequence[str] = (),
    age_contents: Sequence[Any] | str | None = None,
    le_age: Any = "all",
    type: _output.OutputType = "full",
    confidence: _checks.Confidence = 0.95,
    errors: _checks.OnError = "flag",
) -> IntoFrameT:
    r"""Life expectancy at every band start from an abridged life table, for all groups at once.

    OHID's method (PHE life expectancy calculator): with deaths :math:`D_x`, population
    :math:`P_x`, band width :math:`n_x` and :math:`a_x = 0.1` for the band starting at age 0,
    0.5 for every other band, the death rate is :math:`M_x = D_x / P_x` and

    .. math::
        q_x = \frac{n_x M_x}{1 + (1 - a_x) n_x M_x} \;(1 \text{ in the open band } \omega),
        \quad l_0 = 100\,000, \quad l_{x+n} = l_x (1 - q_x),

    :math:`L_x = n_x (l_{x+n} + a_x (l_x - l_{x+n}))`, :math:`L_\omega = l_\omega / M_\omega`,
    :math:`T_x = \sum_{j \ge x} L_j` and :math:`e_x = T_x / l_x`. Its variance (Chiang's
    delta method, with Silcocks et al.'s term for the open band) is

    .. math::
        \mathrm{Var}(e_x) = \frac{1}{l_x^2} \Big[\sum_{x \le j < \omega} l_j^2
        \big((1 - a_j) n_j + e_{j+n}\big)^2 \frac{q_j^2 (1 - q_j)}{D_j}
        + \frac{l_\omega^2}{D_\omega M_\omega^2}\Big],

    and the limits are :math:`e_x \mp z \sqrt{\mathrm{Var}(e_x)}`.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and age band (rows repeating a group's band are added up).
    deaths : str
        Column of deaths in the band; ``>= 0``, never missing.
    population : str
        Column of population (person-years) in the band; ``> 0`` and ``>= deaths``.
    startage : str
        Column of age bands: start ages (0, 1, 5, ..., 90) or labels such as ``"<1"``,
        ``"0"``, ``"1-4"``, ``"10 – 14"``, ``"90+"``, ``"85 and over"``, in any row order.
    group_by : str or sequence of str, default ()
        Columns defining groups (areas, sexes, periods); with none, the table is one group.
    age_contents : sequence, 'by group' or None, default None
        The layout: ``None`` takes the distinct ages found in the data; a sequence (ascending,
        starting at 0, e.g. ``[0, 1, 5, ..., 90]`` or ``["0-4", ..., "90+"]``) fixes it;
        ``'by group'`` lets each group use its own bands (groups sharing a layout are computed
        together). Any layout starting at 0 works: 20 bands (0, 1-4, ..., 85-89, 90+), 19
        bands (0-4, ..., 90+), an 85+ top band, single years. The last band is open.
    le_age : 'all', age or sequence of ages, default 'all'
        The band starts to return (numbers or labels).
    type : {'full', 'standard', 'value', 'lower', 'upper'}, default 'full'
        Columns returned (see Returns).
    confidence : float, pair of floats or None, default 0.95
        A level in 0.9-1 (or 90-100), the pair (0.95, 0.998), or ``None`` for no limits.
    errors : {'flag', 'raise'}, default 'flag'
        ``'flag'`` (OHID's behaviour) withholds groups with negative deaths, populations
        of 0 or less, deaths above population, missing values or missing age bands, with the
        reason in ``statistic`` and one :class:`~healthgap.errors.SuppressedWarning`;
        ``'raise'`` raises :class:`~healthgap.errors.InputError` for them instead.

    Returns
    -------
    Same type as ``data``
        One row per group and age band: the ``group_by`` columns, ``startage``, ``value``,
        ``lowercl``/``uppercl`` (or the four 95%/99.8% columns). ``type='full'`` adds
        ``pops_used`` and ``dths_used`` (population and deaths from that age on),
        ``confidence``, ``statistic`` ("life expectancy at 65") and ``method``, which names
        the age-band layout used. ``'value'``, ``'lower'``, ``'upper'`` keep the keys and
        that column.

    Notes
    -----
    OHID's rules, applied whatever ``errors`` says: a group whose total population is 5,000
    or less, or with no deaths in the open band (its :math:`L_\omega` would be infinite), is
    withheld; a value whose 95% interval is wider than 20 years is withheld with its limits,
    as OHID publishes it. A value above 150 years (populations far too large for the deaths)
    is implausible and withheld with its limits. Withheld rows have null values and the reason
    in ``statistic``; one aggregated :class:`~healthgap.errors.SuppressedWarning` names the
    groups. Zero deaths in a closed band are fine. :math:`a_x = 0.1` applies to the band
    starting at age 0 whatever its width, as in OHID's calculator.

    References
    ----------
    .. [1] Chiang CL. The life table and its construction. In: Introduction to Stochastic
       Processes in Biostatistics. New York: Wiley, 1968: 189-214.
    .. [2] Silcocks PBS, Jenner DA, Reza R. Life expectancy as a summary of mortality in a
       population: statistical considerations and suitability for use by health authorities.
       J Epidemiol Community Health 2001;55:38-43.
    .. [3] Public Health England. Life expectancy calculator and technical guidance
       (Fingertips supporting information, "Life expectancy calculation").
    .. [4] Toson B, Baker A. Life expectancy at birth: methodological options for small
       populations. National Statistics Methodology Series No 33. ONS, 2003.

    Examples
    --------
    The example population of PHE's life expectancy calculator (20 bands): life expectancy
    at birth 80.1696, 95% limits 79.8827 to 80.4565.

    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "age": [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90],
    ...     "pops": [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
    ...              50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936],
    ...     "deaths": [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872,
    ...                1390, 1605, 1936, 1937]})
    >>> out = life_expectancy(df, "deaths", "pops", "age", le_age=0)
    >>> out.select(pl.col("value", "lowercl", "uppercl").round(4)).row(0)
    (80.1696, 79.8827, 80.4565)
    >>> out["method"][0]
    'Chiang II, Silcocks et al. for the open age band; 20 age bands (0, 1-4, 5-9, ..., 85-89, 90+)'
    """
    frame, keys, levels = _aggregate.start(
        data, group_by=group_by, confidence=confidence, type=type, errors=errors
    )
    prep = prepare(frame, keys, deaths, population, startage, age_contents, errors)
    value, variance = expectancies(prep)
    return _assemble(
        prep,
        value,
        variance,
        startage=startage,
        ages=le_age,
        age_arg="le_age",
        levels=levels,
        type=type,
        what="life expectancy",
        method=METHOD,
        wide_rule=True,
    )


def _assemble(
    prep: Prepared,
    value: np.ndarray,
    variance: np.ndarray,
    *,
    startage: str,
    ages: Any,
    age_arg: str,
    levels: Sequence[float],
    type: str,
    what: str,
    method: str,
    wide_rule: bool,
    extra: dict[str, np.ndarray] | None = None,
) -> Any:
    """Rows of the output frame from ``(groups, bands)`` results (shared with Sullivan)."""
    gi, ki = output_rows(prep, ages, age_arg)
    g = prep.g
    withheld = _life_table.is_withheld(prep.reasons, g.count)[gi]
    row_value, row_var = value[gi, ki], variance[gi, ki]
    with np.errstate(invalid="ignore"):
        implausible = ~withheld & ~(row_value <= _life_table.MAX_PLAUSIBLE_YEARS)
    wide = None
    if wide_rule:
        with np.errstate(invalid="ignore"):
            wide = ~withheld & (_life_table.Z95 * np.sqrt(row_var) > _life_table.MAX_CI_WIDTH / 2)
        wide &= ~implausible
    # OHID withholds the limits with the value (a wide interval, an implausible value)
    hidden = implausible if wide is None else implausible | wide
    row_value = np.where(hidden, np.nan, row_value)
    limits = {
        level: Limits(np.where(hidden, np.nan, lo), np.where(hidden, np.nan, hi))
        for level, (lo, hi) in limits_of(value[gi, ki], row_var, levels).items()
    }
    labels = np.array(prep.banded.labels, dtype=object)
    base = np.array(
        [f"{what} at {v if isinstance(v, str) else _checks._fmt_one(v)}" for v in labels],
        dtype=object,
    )[ki]
    stat = _life_table.statistic(base, prep.reasons, gi, wide, implausible)
    methods = np.array([f"{method}; {d}" for d in prep.descriptions], dtype=str)
    row_method = str(methods[0]) if len(methods) == 1 else methods[prep.layout_of[gi]]
    keys_frame = _life_table.row_keys(
        g, prep.frame, gi, startage, labels[ki], prep.frame.schema[startage]
    )
    arrays: dict[str, np.ndarray] = {}
    if type == "full":
        present = prep.banded.present
        arrays["pops_used"] = _life_table._reverse_cumsum(prep.population * present)[gi, ki]
        arrays["dths_used"] = _life_table._reverse_cumsum(prep.deaths * present)[gi, ki]
        arrays.update({k: v[gi, ki] for k, v in (extra or {}).items()})
    out = _output.assemble(
        keys_frame,
        value=row_value,
        limits=limits,
        levels=levels,
        statistic=stat,
        method=row_method,
        type=type,
        extra=arrays,
        withheld=withheld if withheld.any() else None,
    )
    _life_table.warn_withheld(what, _row_reasons(prep, gi, wide, implausible), g, stacklevel=4)
    return _frames.to_native(out)


def _row_reasons(
    prep: Prepared, gi: np.ndarray, wide: np.ndarray | None, implausible: np.ndarray
) -> np.ndarray:
    """Return the group reasons, and the row rules (20-year interval, implausible value).

    A group with a value withheld by a row rule, and no reason of its own, says so.
    """
    reasons = (
        np.full(prep.g.count, None, dtype=object) if prep.reasons is None else prep.reasons.copy()
    )
    for mask, text in ((wide, _life_table.REASON_WIDE), (implausible, "an implausible value")):
        if mask is not None and mask.any():
            hit = np.zeros(prep.g.count, dtype=bool)
            hit[gi[mask]] = True
            empty = ~_life_table.has_reason(reasons)
            label = f"some values with a {text}" if mask is wide else f"some values: {text}"
            reasons[hit & empty] = label
    return reasons
