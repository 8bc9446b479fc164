"""Validation of arguments and data, run once at the public boundary of each method.

Messages say what (argument or column), the rule, what was found and where (row positions or
group keys, with a count when many), as in ``STYLE.md`` section 6.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import narwhals as nw
import numpy as np

from healthgap._conventions import LEVELS
from healthgap.errors import ColumnNotFoundError, InputError

Confidence = float | Sequence[float] | None
OnError = Literal["raise", "flag"]

#: The only pair of confidence levels accepted together (Fingertips' 95% and 99.8% limits).
CONFIDENCE_PAIR = LEVELS
_SHOW = 5  # how many offending rows a message lists


def _fmt(values: Iterable[Any]) -> str:
    return "[" + ", ".join(_fmt_one(v) for v in values) + "]"


def _fmt_one(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "NaN" if math.isnan(v) else f"{float(v):g}"
    if isinstance(v, np.integer):
        return str(int(v))
    return repr(v) if isinstance(v, str) else str(v)


def where(mask: np.ndarray, values: np.ndarray | None = None, total: int | None = None) -> str:
    """Describe the rows where ``mask`` is true: count, first positions and values."""
    rows = np.flatnonzero(mask)
    total = len(mask) if total is None else total
    text = f"{len(rows):,} of {total:,} rows fail (rows {_fmt(rows[:_SHOW])}"
    if values is not None:
        text += f", values {_fmt(np.asarray(values)[rows[:_SHOW]])}"
    if len(rows) > _SHOW:
        text += ", ..."
    return text + ")"


def confidence(value: Confidence) -> tuple[float, ...]:
    """Normalise a confidence argument to a tuple of proportions.

    Accepts ``0.95``, ``95``, ``(0.95, 0.998)``, ``[95, 99.8]`` or ``None`` (no limits).
    Single levels must lie in 0.9-1 (or 90-100); two levels must be 95% and 99.8%.
    """
    if value is None:
        return ()
    levels = [value] if isinstance(value, int | float) else list(value)
    out = []
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | float | np.number):
            raise InputError(f"confidence must be a number or a pair of numbers; got {value!r}")
        level = float(level)
        level = level / 100 if level >= 90 else level
        if not 0.9 <= level <= 1:
            raise InputError(f"confidence must be between 0.9 and 1 (or 90 and 100); got {value!r}")
        out.append(round(level, 10))
    if len(out) > 1 and tuple(sorted(out)) != CONFIDENCE_PAIR:
        raise InputError(
            f"two confidence levels must be 95% and 99.8% (0.95, 0.998); got {value!r}"
        )
    return tuple(sorted(out))


def one_of(name: str, value: Any, allowed: Iterable[Any]) -> None:
    """Raise unless ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise InputError(f"argument '{name}' must be one of {list(allowed)}; got {value!r}")


def boolean(name: str, value: Any) -> bool:
    """Raise unless ``value`` is ``True`` or ``False`` (a string such as ``"no"`` is truthy
    in Python, so it is never taken as a flag)."""
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"argument '{name}' must be True or False; got {value!r}")
    return bool(value)


def repetitions(value: Any, low: int, high: int) -> int:
    r"""Raise unless ``value`` is a whole number of simulation draws in ``low..high``.

    The upper bound keeps memory and time finite (``10**12`` draws would need terabytes);
    the limits' Monte Carlo error falls as :math:`1/\sqrt{R}`, so more buys nothing.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"argument 'repetitions' must be a whole number; got {value!r}")
    if not low <= value <= high:
        raise InputError(
            f"argument 'repetitions' must be between {low:,} and {high:,}; got {value:,} "
            "(the simulation error falls as 1/sqrt(repetitions): 100,000 gives limits to "
            "about 3 significant figures)"
        )
    return int(value)


def number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Raise unless ``value`` is a finite number within the bounds; return it as float."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise InputError(f"argument '{name}' must be a number; got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"argument '{name}' must be finite; got {value!r}")
    if low is not None and (v <= low if low_open else v < low):
        op = ">" if low_open else ">="
        raise InputError(f"argument '{name}' must be {op} {low:g}; got {value!r}")
    if high is not None and v > high:
        raise InputError(f"argument '{name}' must be <= {high:g}; got {value!r}")
    return v


def number_vector(
    name: str, values: Any, *, positive: bool = False, expected: str = "a sequence of numbers"
) -> np.ndarray:
    """Raise unless ``values`` is a non-empty 1-d sequence of finite numbers >= 0 (or > 0)."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"argument '{name}' must be {expected}; got {values!r}") from exc
    if arr.ndim != 1 or len(arr) == 0:
        raise InputError(
            f"argument '{name}' must be a non-empty sequence of numbers; got {values!r}"
        )
    bad = ~np.isfinite(arr) | ((arr <= 0) if positive else (arr < 0))
    if bad.any():
        rule = "> 0" if positive else ">= 0"
        raise InputError(
            f"argument '{name}' must hold finite numbers {rule}: positions "
            f"{np.flatnonzero(bad)[:_SHOW].tolist()} hold {arr[bad][:_SHOW].tolist()}"
        )
    return arr


def columns(frame: nw.DataFrame[Any], *names: str | None) -> None:
    """Raise :class:`ColumnNotFoundError` naming every missing column and the available ones."""
    wanted = [n for n in names if n is not None]
    missing = [n for n in wanted if n not in frame.columns]
    if missing:
        raise ColumnNotFoundError(f"columns {missing} not found; available: {list(frame.columns)}")


def numeric(frame: nw.DataFrame[Any], *names: str | None) -> None:
    """Raise unless each named column exists and is numeric (text is never cast to numbers)."""
    columns(frame, *names)
    schema = frame.schema
    bad = [(n, str(schema[n])) for n in names if n is not None and not schema[n].is_numeric()]
    if bad:
        desc = ", ".join(f"'{n}' is {t}" for n, t in bad)
        raise InputError(f"columns must be numeric: {desc}")


def _all_finite_at_least(values: np.ndarray, low: float, *, strict: bool) -> bool:
    """True when every value is finite and >= ``low`` (> if ``strict``): two reductions, no
    temporary arrays, so clean columns (the usual case) skip the row-by-row masks. ``False``
    is only a "look closer" (a NaN, an infinity, a value too low or a sum that overflows)."""
    if values.size == 0:
        return True
    smallest = values.min()
    if values.dtype.kind in "iu":  # integers are finite: the minimum decides
        return bool(smallest > low if strict else smallest >= low)
    if not (smallest > low if strict else smallest >= low):  # also False for NaN
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(values.sum()))


class RowChecks:
    """Collect row-level rule failures, then raise or flag the groups they belong to.

    ``errors="raise"`` (the default in every method) raises one :class:`InputError` listing
    every failed rule. ``errors="flag"`` instead returns, per row, the reason its group cannot
    be computed, so the method can give results for the good groups and null values with the
    reason in ``statistic`` for the bad ones.
    """

    def __init__(self, n_rows: int, group_ids: np.ndarray | None = None) -> None:
        self.n_rows = n_rows
        self.group_ids = group_ids
        self.failures: list[tuple[np.ndarray, str]] = []

    def rule(self, mask: np.ndarray, message: str, values: np.ndarray | None = None) -> None:
        """Record that rows where ``mask`` is true break the rule described by ``message``."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.failures.append((mask, f"{message}: {where(mask, values, self.n_rows)}"))

    def count_column(self, name: str, x: np.ndarray, *, integer: bool = False) -> None:
        """Counts must be present, finite and >= 0 (and whole numbers if ``integer``)."""
        if not _all_finite_at_least(x, 0, strict=False):
            self.rule(~np.isfinite(x), f"column '{name}' must not be missing or infinite", x)
            self.rule(np.isfinite(x) & (x < 0), f"column '{name}' must be >= 0", x)
        if integer and x.dtype.kind == "f":
            frac = np.isfinite(x) & (x != np.floor(x))
            self.rule(frac, f"column '{name}' must hold whole numbers", x)

    def positive_column(self, name: str, n: np.ndarray) -> None:
        """Denominators must be present, finite and > 0."""
        if not _all_finite_at_least(n, 0, strict=True):
            self.rule(~np.isfinite(n), f"column '{name}' must not be missing or infinite", n)
            self.rule(np.isfinite(n) & (n <= 0), f"column '{name}' must be > 0", n)

    def at_most(self, x_name: str, x: np.ndarray, n_name: str, n: np.ndarray) -> None:
        """Numerators must not exceed denominators (proportions)."""
        self.rule(x > n, f"column '{x_name}' must be <= column '{n_name}'", x)

    def resolve(self, errors: str = "raise") -> np.ndarray | None:
        """Raise, or return a per-group reason array (``None`` entries for good groups)."""
        one_of("errors", errors, ("raise", "flag"))
        if not self.failures:
            return None
        if errors == "raise":
            raise InputError("; ".join(msg for _, msg in self.failures))
        ids = self.group_ids if self.group_ids is not None else np.zeros(self.n_rows, np.int64)
        n_groups = int(ids.max()) + 1 if len(ids) else 0
        reasons = np.full(n_groups, None, dtype=object)
        for mask, msg in self.failures:
            short = msg.split(":")[0]
            for g in np.unique(ids[mask]):
                reasons[g] = short if reasons[g] is None else f"{reasons[g]}; {short}"
        return reasons
