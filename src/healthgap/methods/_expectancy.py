"""The shared plumbing of the life-table methods: validate and band the rows, compute the
expectancies of every group at once, and assemble the output rows.

Used by :func:`~healthgap.methods.life_expectancy`, :func:`~healthgap.methods.
healthy_life_expectancy` and :func:`~healthgap.methods.decompose_gap`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np

from healthgap import _checks, _frames, _output
from healthgap._limits import Limits, z_value
from healthgap.errors import InputError
from healthgap.methods import _ages, _aggregate, _life_table


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


def assemble(
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
