"""The engine's ways of running a method, by the name a method's row gives as its ``run``.

Every fact of a method is its row of :data:`healthgap.catalogue.METHODS`; the row names its
run, and this table says what that run is: the function of :mod:`healthgap.engine.runs`
that calls the method on numbered counts and the totals it gives each group, or how the
values are computed from the rolled-up counts directly, or from other indicators' values.
Many methods share a run (``crude``: proportions and rates; ``indirect``: both standardised
ratios); a new run is needed only for a new way of calling a method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

from healthgap.catalogue.catalogue import Catalogue
from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.catalogue.method_table import METHODS, Method
from healthgap.engine import runs
from healthgap.engine.decomposition import decomposition_values
from healthgap.engine.derived import ratio_values, summary_values
from healthgap.errors import InputError

__all__ = ["RUNS", "Run", "row_of"]

#: ``(function, ind, counts, geo) -> values``: a method computed from the rolled-up counts.
OnCounts = Callable[[Callable[..., Any], Indicator, pl.DataFrame, Geography], pl.DataFrame]
#: ``(ind, computed, catalogue) -> VALUES``: a method computed from other indicators' values.
FromValues = Callable[[Indicator, Mapping[str, pa.Table], Catalogue], pa.Table]


@dataclass(frozen=True)
class Run:
    """One way the engine runs a method: exactly one of ``call``, ``on_counts``, ``from_values``.

    Attributes
    ----------
    call : callable or None
        Calls the method's function on numbered counts (a :data:`~.runs.RunCall`).
    totals : callable
        The ``count`` and ``denominator`` of each group (a :data:`~.runs.Totals`), with
        ``call``.
    on_counts : callable or None
        Computes the values from the rolled-up counts directly (not group by group).
    from_values : callable or None
        Computes the values from other indicators' values (nothing is counted).
    """

    call: runs.RunCall | None = None
    totals: runs.Totals = runs.event_totals
    on_counts: OnCounts | None = None
    from_values: FromValues | None = None


def _summary(ind: Indicator, computed: Mapping[str, pa.Table], catalogue: Catalogue) -> pa.Table:
    """Compute an inequality summary, told the summarised indicator's value type."""
    assert ind.summary is not None
    value_type = METHODS[catalogue[ind.summary.of].method].value_type
    return summary_values(ind, computed, catalogue, value_type=value_type)


#: Run name (``Method.run``) -> how the engine runs it.
RUNS: dict[str, Run] = {
    "crude": Run(runs.crude),
    "mean": Run(runs.mean, totals=runs.value_totals),
    "direct": Run(runs.direct),
    "indirect": Run(runs.indirect),
    "life": Run(runs.life),
    "healthy_life": Run(runs.healthy_life),
    "attributable": Run(runs.attributable, totals=runs.attributable_totals),
    "decomposition": Run(on_counts=decomposition_values),
    "ratio": Run(from_values=ratio_values),
    "summary": Run(from_values=_summary),
}


def row_of(ind: Indicator) -> tuple[Method, Run]:
    """Return the indicator's method row and the run it names."""
    method = METHODS.get(ind.method)
    if method is None or method.run not in RUNS:
        raise InputError(
            f"indicator {ind.id!r}: method {ind.method!r} has no run the engine knows; "
            f"runs: {list(RUNS)}"
        )
    return method, RUNS[method.run]
