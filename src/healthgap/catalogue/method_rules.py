"""What an indicator definition must give for each method: data, read by the validators.

One row per method the engine runs (``healthgap.engine.method_table.METHODS`` has the same
keys, with how each runs; a test checks both agree). The catalogue imports nothing of the
engine: these rows are plain data, and :class:`~healthgap.catalogue.indicator.Indicator`
and :func:`~healthgap.catalogue.load_catalogue` check a definition against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["EXCLUSIVE_FIELDS", "RULES", "MethodRules"]

#: Fields of an indicator that one method needs and no other takes, with what they hold.
EXCLUSIVE_FIELDS = {
    "ratio": "numerator and denominator ids",
    "prevalence": "numerator and denominator of the proportion in good health",
    "decomposition": "breakdown, reference, comparison",
    "exposure": "table, value, level, relative_risk",
    "summary": "of, breakdown, measure",
}


@dataclass(frozen=True)
class MethodRules:
    """What a definition of an indicator computed by one method must give.

    Attributes
    ----------
    counts : {"events", "values", "none"}
        ``events``: a numerator and a denominator table; ``values``: a numerator summing a
        column (``numerator.value``) and no denominator (a mean); ``none``: no tables, the
        indicator is computed from other indicators' values.
    field : str or None
        The one field of :data:`EXCLUSIVE_FIELDS` the method needs (``None``: none).
    age_bands : bool
        Counted by age band: every table counted needs an age column.
    age_groups : {"any", "five_year", "none"}
        Breakdowns by age group: allowed; allowed when each group spans whole five-year
        bands (methods standardising over them); not allowed.
    reference : bool
        Needs ``reference``, the geography level whose rates are the standard (ISR).
    """

    counts: Literal["events", "values", "none"] = "events"
    field: str | None = None
    age_bands: bool = False
    age_groups: Literal["any", "five_year", "none"] = "any"
    reference: bool = False


_BANDED = MethodRules(age_bands=True, age_groups="none")
_STANDARDISED = MethodRules(age_bands=True, age_groups="five_year")

#: Method name -> its rules, in the order error messages list the methods.
RULES: dict[str, MethodRules] = {
    "proportion": MethodRules(),
    "rate": MethodRules(),
    "mean": MethodRules(counts="values"),
    "dsr": _STANDARDISED,
    "israte": MethodRules(age_bands=True, age_groups="five_year", reference=True),
    "isratio": MethodRules(age_bands=True, age_groups="five_year", reference=True),
    "life_expectancy": _BANDED,
    "healthy_life_expectancy": MethodRules(field="prevalence", age_bands=True, age_groups="none"),
    "decompose_gap": MethodRules(field="decomposition", age_bands=True, age_groups="none"),
    "attributable_fraction": MethodRules(field="exposure", age_groups="none"),
    "ratio": MethodRules(counts="none", field="ratio", age_groups="none"),
    "inequality": MethodRules(counts="none", field="summary", age_groups="none"),
}
