"""The engine's table of methods: everything it needs to know of each method, in one place.

One row per method a catalogue may name (the keys of
:data:`healthgap.catalogue.method_rules.RULES`, which says what a definition must give;
a test checks both have the same methods). A row says which function computes the method
and how the engine feeds it: which age bands it counts, whether it counts values (a mean),
how its ``count`` and ``denominator`` are made, in which units exposures are summed, and what
the slope index of inequality is told of its values. The rest of the engine reads these
rows and never tests a method's name.

Adding a method: its function in :mod:`healthgap.methods`, its row here (with a run of
:mod:`healthgap.engine.runs`, or a new run there) and its rules in the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import polars as pl
import pyarrow as pa

from healthgap.catalogue.catalogue import Catalogue
from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.engine import runs
from healthgap.engine.counts import AgeBands
from healthgap.engine.decomposition import decomposition_values
from healthgap.engine.derived import ratio_values, summary_values
from healthgap.methods import (
    dsr,
    healthy_life_expectancy,
    life_expectancy,
    mean_of_sums,
    proportion,
    rate,
)
from healthgap.methods.attributable import attributable_fraction
from healthgap.methods.decomposition import decompose_gap
from healthgap.methods.isr import israte, isratio

__all__ = ["METHODS", "Method"]

#: ``(function, ind, counts, geo) -> values``: a method computed from the rolled-up counts.
OnCounts = Callable[[Callable[..., Any], Indicator, pl.DataFrame, Geography], pl.DataFrame]
#: ``(ind, computed, catalogue) -> VALUES``: a method computed from other indicators' values.
FromValues = Callable[[Indicator, Mapping[str, pa.Table], Catalogue], pa.Table]


@dataclass(frozen=True)
class Method:
    """How the engine computes one method.

    Attributes
    ----------
    function : callable or None
        The :mod:`healthgap.methods` function computing it (``None``: computed from other
        indicators' values, :attr:`from_values`).
    run : callable or None
        How the function is called on numbered counts (a :data:`~.runs.Run`); ``None`` when
        :attr:`on_counts` or :attr:`from_values` computes the values.
    bands : {"five", "life"} or None
        Age bands counted: five-year bands to 90+ (standardisation) or the 20 life-table
        bands; ``None``: no age bands.
    standardised : bool
        Standardised over its age bands: each call takes groups sharing the same bands (an
        age breakdown's groups are called apart), every band present.
    moments : bool
        Counts values (their number, sum and sum of squares), not events: a mean.
    totals : callable
        The ``count`` and ``denominator`` of each group (a :data:`~.runs.Totals`).
    exposure_units : int or None
        Exposures (``Indicator.exposure``) are summed in ``1 / exposure_units`` so that sums
        are exact; ``None``: the method takes no exposure.
    value_type : int
        What the values are, for the slope index of inequality (OHID: 1 rates,
        2 proportions, 0 anything else).
    on_counts : callable or None
        Computes the values from the rolled-up counts directly (not group by group).
    from_values : callable or None
        Computes the values from other indicators' values (nothing is counted).
    """

    function: Callable[..., Any] | None = None
    run: runs.Run | None = None
    bands: AgeBands | None = None
    standardised: bool = False
    moments: bool = False
    totals: runs.Totals = runs.event_totals
    exposure_units: int | None = None
    value_type: int = 0
    on_counts: OnCounts | None = None
    from_values: FromValues | None = None

    @property
    def counted(self) -> bool:
        """Whether the method is computed from counts of records."""
        return self.from_values is None


def _summary(ind: Indicator, computed: Mapping[str, pa.Table], catalogue: Catalogue) -> pa.Table:
    """Compute an inequality summary, told the summarised indicator's value type."""
    assert ind.summary is not None
    value_type = METHODS[catalogue[ind.summary.of].method].value_type
    return summary_values(ind, computed, catalogue, value_type=value_type)


#: Method name -> how the engine computes it.
METHODS: dict[str, Method] = {
    "proportion": Method(proportion, runs.crude, value_type=2),
    "rate": Method(rate, runs.crude, value_type=1),
    "mean": Method(mean_of_sums, runs.mean, moments=True, totals=runs.value_totals),
    "dsr": Method(dsr, runs.direct, bands="five", standardised=True, value_type=1),
    "israte": Method(
        israte,
        partial(runs.indirect, scale="multiplier"),
        bands="five",
        standardised=True,
        value_type=1,
    ),
    "isratio": Method(
        isratio, partial(runs.indirect, scale="refvalue"), bands="five", standardised=True
    ),
    "life_expectancy": Method(life_expectancy, runs.life, bands="life"),
    "healthy_life_expectancy": Method(healthy_life_expectancy, runs.healthy_life, bands="life"),
    "decompose_gap": Method(decompose_gap, bands="life", on_counts=decomposition_values),
    "attributable_fraction": Method(
        attributable_fraction,
        runs.attributable,
        totals=runs.attributable_totals,
        exposure_units=runs.EXPOSURE_UNITS,
    ),
    "ratio": Method(from_values=ratio_values),
    "inequality": Method(from_values=_summary),
}
