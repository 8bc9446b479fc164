"""Indicator definitions: metadata plus how to compute the indicator from record-level tables.

An :class:`Indicator` is an :class:`~healthgap.catalogue.metadata.IndicatorMeta` (what the
store keeps and the report shows) with the computation added: a :class:`Numerator` (which
event table, which records, what to count), a :class:`Denominator` (a population table or
another event table), the method (``IndicatorMeta.method``), the geographies, breakdowns and
periods. A :class:`Geography` (one per catalogue) says how small areas roll up to larger ones
and which area classifications (deprivation deciles) exist.

The models say *what* to compute and hold no SQL: ``healthgap.engine`` turns them into Ibis
expressions. Field names are those an analyst writes in the YAML files (see ``load_catalogue``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from healthgap.catalogue.metadata import IndicatorMeta

__all__ = [
    "METHODS",
    "Breakdown",
    "Condition",
    "Denominator",
    "Filter",
    "Geography",
    "Indicator",
    "Inequality",
    "Numerator",
    "Periods",
    "icd10_ranges",
]

#: Methods the engine can run on aggregated counts (names of ``healthgap.methods`` functions).
METHODS = ("proportion", "rate", "dsr", "israte", "isratio", "life_expectancy")

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in", "between", "is null",
                   "not null"]

_ICD10_CODE = r"[A-Z][0-9]{2}(?:\.?[0-9]{1,2})?"
_ICD10_ITEM = re.compile(rf"^({_ICD10_CODE})(?:\s*-\s*({_ICD10_CODE}))?$")


def icd10_ranges(codes: str) -> list[tuple[str, str]]:
    """Parse ``"X60-X84, Y10-Y34, C34"`` into normalised ``(first, last)`` pairs (no dots).

    A single code is the range from itself to itself; a code matches a pair when its first
    characters (as many as the bound has) lie between the bounds, so ``"C34"`` covers
    ``C34.0``-``C34.9``.

    Examples
    --------
    >>> icd10_ranges("X60-X84, Y10-Y34, c34.1")
    [('X60', 'X84'), ('Y10', 'Y34'), ('C341', 'C341')]
    """
    pairs = []
    for raw in codes.split(","):
        item = raw.strip().upper()
        match = _ICD10_ITEM.match(item)
        if match is None:
            raise ValueError(
                f"ICD-10 code or range {raw.strip()!r} is not valid; expected codes like "
                "'C34', 'C34.1' or ranges like 'X60-X84', separated by commas"
            )
        first, last = match.group(1), match.group(2) or match.group(1)
        first, last = first.replace(".", ""), last.replace(".", "")
        if first[: len(last)] > last[: len(first)]:
            raise ValueError(f"ICD-10 range {raw.strip()!r} runs backwards ({first} > {last})")
        pairs.append((first, last))
    return pairs


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Model):
    """A comparison of one column with a value, e.g. ``birth_weight_g < 2500``."""

    column: str
    op: Operator = "=="
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if self.op in ("is null", "not null"):
            if self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value; got {self.value!r}")
        elif self.op in ("in", "not in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"op {self.op!r} needs a non-empty list; got {self.value!r}")
        elif self.op == "between":
            if not isinstance(self.value, list) or len(self.value) != 2:
                raise ValueError(f"op 'between' needs a list [low, high]; got {self.value!r}")
        elif self.value is None or isinstance(self.value, (list, dict)):
            raise ValueError(f"op {self.op!r} needs one number or text; got {self.value!r}")
        return self


class Filter(_Model):
    """Which records count: ICD-10 codes, an age range, one sex and any column conditions."""

    icd10: str | None = Field(None, description="codes and ranges, e.g. 'X60-X84, Y10-Y34'")
    icd10_column: str = "icd10"
    age: tuple[int, int | None] | None = Field(
        None, description="inclusive [min, max] in years; max null = no upper bound")
    sex: Literal["Male", "Female"] | None = None
    where: tuple[Condition, ...] = ()

    @field_validator("icd10")
    @classmethod
    def _icd10_parses(cls, value: str | None) -> str | None:
        if value is not None:
            icd10_ranges(value)
        return value

    @field_validator("age")
    @classmethod
    def _age_ordered(cls, value: tuple[int, int | None] | None) -> Any:
        if value is not None:
            low, high = value
            if low < 0 or (high is not None and high < low):
                raise ValueError(f"age must be [min, max] with 0 <= min <= max; got {list(value)}")
        return value


YearFrom = Literal["year", "date", "label"]


class _TableRef(_Model):
    table: str = Field(description="file <table>.parquet / .csv in the data folder, or a table")
    area: str = Field("lsoa_code", description="column with the small-area code")
    year: str = Field("year", description="column giving the period")
    year_from: YearFrom = Field(
        "year", description="year: integer start year; date: a date column; label: '2021/22'")
    sex: str | None = Field("sex", description="column with 'Male'/'Female' (null: none)")
    age: str | None = Field("age", description="column with age in whole years (null: none)")
    filter: Filter = Field(default_factory=Filter)

    @model_validator(mode="after")
    def _filter_columns_exist(self) -> _TableRef:
        if self.filter.age is not None and self.age is None:
            raise ValueError("filter.age needs an age column (age is null)")
        if self.filter.sex is not None and self.sex is None:
            raise ValueError("filter.sex needs a sex column (sex is null)")
        return self


class Numerator(_TableRef):
    """The events counted: a table, a filter, and events or distinct people.

    ``count: people`` counts distinct ``person_id`` within each small area, period, sex (and
    age band); larger areas and pooled periods add those counts up, so a person found in two
    small areas or two years counts once in each.
    """

    count: Literal["events", "people"] = "events"
    person_id: str | None = Field(None, description="person column, when counting people")
    value: str | None = Field(
        None, description="column summed instead of counting records (aggregate tables, e.g. "
        "notifications by borough); only with count: events")

    @model_validator(mode="after")
    def _people_need_id(self) -> Numerator:
        if self.count == "people" and not self.person_id:
            raise ValueError("count: people needs person_id (the column identifying a person)")
        if self.count == "people" and self.value is not None:
            raise ValueError("value (a column summed) cannot be used with count: people")
        return self


class Denominator(_TableRef):
    """The population at risk: a population table (summing ``value``) or counted records."""

    value: str | None = Field(None, description="column summed (e.g. population); null: rows")


class Periods(_Model):
    """Period type and lengths: single years (1) and pooled rolling periods (3, 5)."""

    type: Literal["calendar", "financial", "academic"] = "calendar"
    pooled: tuple[Literal[1, 2, 3, 5], ...] = (1,)


class Breakdown(_Model):
    """A breakdown category: an area classification (from the lookup) or a record column."""

    source: Literal["area", "record"] = "area"
    column: str
    category_type: str = Field(description="label stored in VALUES.category_type")
    labels: dict[str, str] = Field(default_factory=dict, description="category -> label")


class Inequality(_Model):
    """Inequality summaries over the categories of a breakdown (1 = most deprived)."""

    breakdown: str
    measures: tuple[Literal["sii", "rii"], ...] = ("sii", "rii")
    repetitions: int = Field(10_000, ge=1_000)
    seed: int = 1


class Geography(_Model):
    """How small areas roll up (a lookup table) and the classifications of areas."""

    lookup: str = "lsoa_lookup"
    area: str = Field("lsoa_code", description="small-area code column in the lookup")
    levels: dict[str, str] = Field(
        default_factory=lambda: {"lsoa": "lsoa_code"},
        description="level name -> lookup column holding that level's area code")
    national: dict[str, str] = Field(
        default_factory=dict, description="level name -> one code covering every area")
    breakdowns: dict[str, Breakdown] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_unique(self) -> Geography:
        both = set(self.levels) & set(self.national)
        if both:
            raise ValueError(f"levels and national share names {sorted(both)}")
        return self

    @property
    def level_names(self) -> tuple[str, ...]:
        """All geography level names, small areas first."""
        return (*self.levels, *self.national)


class Indicator(IndicatorMeta):
    """One indicator: metadata plus numerator, denominator, method, geographies, periods."""

    numerator: Numerator
    denominator: Denominator | None = None
    geographies: tuple[str, ...] = ("lsoa",)
    breakdowns: tuple[str, ...] = ()
    periods: Periods = Field(default_factory=Periods)
    inequality: tuple[Inequality, ...] = ()
    reference: str | None = Field(
        None, description="geography level whose age-specific rates are the ISR reference")

    @model_validator(mode="after")
    def _method_runs(self) -> Indicator:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {list(METHODS)}; got {self.method!r}")
        if self.denominator is None:
            raise ValueError(f"method {self.method!r} needs a denominator")
        if self.method in ("israte", "isratio") and self.reference is None:
            raise ValueError(f"method {self.method!r} needs reference (a geography level)")
        if self.method in ("dsr", "israte", "isratio", "life_expectancy"):
            for part in (self.numerator, self.denominator):
                if part.age is None:
                    raise ValueError(f"method {self.method!r} needs an age column in "
                                     f"table {part.table!r}")
        for item in self.inequality:
            if item.breakdown not in self.breakdowns:
                raise ValueError(f"inequality breakdown {item.breakdown!r} is not one of "
                                 f"breakdowns {list(self.breakdowns)}")
        return self

    def meta(self) -> IndicatorMeta:
        """Return the metadata part, as the store keeps it."""
        return IndicatorMeta(**{name: getattr(self, name) for name in IndicatorMeta.model_fields})
