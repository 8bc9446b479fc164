"""Indicator and strategy definitions: declarative files validated by pydantic models."""

from healthgap._extras import require

require("healthgap.catalogue", "store", "yaml", "pydantic")

from healthgap.catalogue.catalogue import Catalogue, load_catalogue
from healthgap.catalogue.indicator import (
    Breakdown,
    Condition,
    Denominator,
    Filter,
    Geography,
    Indicator,
    Inequality,
    Numerator,
    Periods,
)
from healthgap.catalogue.metadata import DisclosureRule, IndicatorMeta
from healthgap.catalogue.method_table import METHODS, Method

__all__ = [
    "METHODS",
    "Breakdown",
    "Catalogue",
    "Condition",
    "Denominator",
    "DisclosureRule",
    "Filter",
    "Geography",
    "Indicator",
    "IndicatorMeta",
    "Inequality",
    "Method",
    "Numerator",
    "Periods",
    "load_catalogue",
]
