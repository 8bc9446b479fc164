"""The table of methods: every fact of each method a catalogue may name, in one row.

A row says which :mod:`healthgap.methods` function computes the method, what an indicator
definition must give for it (tables counted, the one field only it takes, age columns, age
breakdowns, an ISR reference) and how the engine feeds it: its ``run`` (one of the engine's
ways of calling a method, :data:`healthgap.engine.run_table.RUNS`), the age bands counted,
the argument given the indicator's multiplier, the units exposures are summed in, what
the slope index of inequality is told of its values and how a value or its limits give the
count back (for disclosure control). The catalogue's validation
(:class:`~healthgap.catalogue.indicator.Indicator`,
:func:`~healthgap.catalogue.load_catalogue`), the engine and disclosure control read these
rows and nothing else: none tests a method's name.

Adding a method is its function in :mod:`healthgap.methods` and its row here. Its ``run``
names how the engine calls it; a method called in a way no run knows (new arguments, new
counts) also needs that run in :mod:`healthgap.engine.runs`, once for every method called
that way.

The rows are data and function references only: the catalogue may import
:mod:`healthgap.methods` (the layers: engine > catalogue > compare > methods), and the
engine resolves ``run`` to its own code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

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

__all__ = ["EXCLUSIVE_FIELDS", "EXPOSURE_UNITS", "METHODS", "Method"]

#: Fields of an indicator that one method needs and no other takes, with what they hold.
EXCLUSIVE_FIELDS = {
    "ratio": "numerator and denominator ids",
    "prevalence": "numerator and denominator of the proportion in good health",
    "decomposition": "breakdown, reference, comparison",
    "exposure": "table, value, level, relative_risk",
    "summary": "of, breakdown, measure",
}

#: Exposures are summed in these units (millionths) so that their sums are exact.
EXPOSURE_UNITS = 1_000_000


@dataclass(frozen=True)
class Method:
    """Everything known of one method: its function, what a definition gives, how it runs.

    Attributes
    ----------
    function : callable or None
        The :mod:`healthgap.methods` function computing it; ``None``: computed from other
        indicators' values (``counts="none"``).
    run : str
        How the engine calls the function: a key of
        :data:`healthgap.engine.run_table.RUNS` (``"crude"``, ``"direct"``, ``"life"``,
        ...), which also says how each group's ``count`` and ``denominator`` are made.
    counts : {"events", "values", "none"}
        ``events``: a numerator and a denominator table; ``values``: a numerator summing a
        column (``numerator.value``) and no denominator; the engine counts the values'
        number, sum and sum of squares (a mean); ``none``: no tables, the indicator is
        computed from other indicators' values.
    field : str or None
        The one field of :data:`EXCLUSIVE_FIELDS` the method needs (``None``: none).
    bands : {"five", "life"} or None
        Counted by age band: five-year bands to 90+ (standardisation) or the 20 life-table
        bands; every table counted then needs an age column. ``None``: no age bands.
    age_groups : {"any", "five_year", "none"}
        Breakdowns by age group: allowed; allowed when each group spans whole five-year
        bands, for methods standardising over them (each call of the function then takes
        groups sharing the same bands, every band present); not allowed.
    reference : bool
        Needs ``reference``, the geography level whose rates are the standard (ISR).
    multiplier_argument : str or None
        The function's argument given the indicator's ``multiplier`` (``None``: none).
    exposure_units : int or None
        Exposures (``Indicator.exposure``) are summed in ``1 / exposure_units`` so that sums
        are exact; ``None``: the method takes no exposure.
    value_type : {0, 1, 2}
        What the values are, for the slope index of inequality (OHID: 1 rates,
        2 proportions, 0 anything else).
    count_from_value : bool
        ``value * denominator / multiplier`` is the count (crude rates and proportions), so
        disclosure control judges a published value with its denominator by that count.
    count_limits : {"poisson", "wilson"} or None
        How the confidence limits are computed from the count, so that they give it back
        (disclosure control judges a value by the count its limits imply): Poisson (Byar's
        or exact limits; Dobson's for a DSR), Wilson score; ``None``: not from one count.
    """

    function: Callable[..., Any] | None
    run: str
    counts: Literal["events", "values", "none"] = "events"
    field: str | None = None
    bands: Literal["five", "life"] | None = None
    age_groups: Literal["any", "five_year", "none"] = "any"
    reference: bool = False
    multiplier_argument: str | None = None
    exposure_units: int | None = None
    value_type: Literal[0, 1, 2] = 0
    count_from_value: bool = False
    count_limits: Literal["poisson", "wilson"] | None = None

    @property
    def counted(self) -> bool:
        """Whether the method is computed from counts of records."""
        return self.counts != "none"

    @property
    def moments(self) -> bool:
        """Whether the engine counts values (number, sum, sum of squares), not events."""
        return self.counts == "values"

    @property
    def standardised(self) -> bool:
        """Whether the method standardises over five-year bands (groups called apart)."""
        return self.age_groups == "five_year"


#: Method name -> its row, in the order error messages list the methods.
METHODS: dict[str, Method] = {
    "proportion": Method(
        proportion,
        "crude",
        multiplier_argument="multiplier",
        value_type=2,
        count_from_value=True,
        count_limits="wilson",
    ),
    "rate": Method(
        rate,
        "crude",
        multiplier_argument="multiplier",
        value_type=1,
        count_from_value=True,
        count_limits="poisson",
    ),
    "mean": Method(mean_of_sums, "mean", counts="values"),
    "dsr": Method(
        dsr,
        "direct",
        bands="five",
        age_groups="five_year",
        multiplier_argument="multiplier",
        value_type=1,
        count_limits="poisson",
    ),
    "israte": Method(
        israte,
        "indirect",
        bands="five",
        age_groups="five_year",
        reference=True,
        multiplier_argument="multiplier",
        value_type=1,
        count_limits="poisson",
    ),
    "isratio": Method(
        isratio,
        "indirect",
        bands="five",
        age_groups="five_year",
        reference=True,
        multiplier_argument="refvalue",
        count_limits="poisson",
    ),
    "life_expectancy": Method(life_expectancy, "life", bands="life", age_groups="none"),
    "healthy_life_expectancy": Method(
        healthy_life_expectancy,
        "healthy_life",
        field="prevalence",
        bands="life",
        age_groups="none",
    ),
    "decompose_gap": Method(
        decompose_gap,
        "decomposition",
        field="decomposition",
        bands="life",
        age_groups="none",
    ),
    "attributable_fraction": Method(
        attributable_fraction,
        "attributable",
        field="exposure",
        age_groups="none",
        multiplier_argument="multiplier",
        exposure_units=EXPOSURE_UNITS,
    ),
    "ratio": Method(None, "ratio", counts="none", field="ratio", age_groups="none"),
    "inequality": Method(None, "summary", counts="none", field="summary", age_groups="none"),
}
