"""Indicator definitions: metadata plus how to compute the indicator from record-level tables.

An :class:`Indicator` is an :class:`~healthgap.catalogue.metadata.IndicatorMeta` (what the
store keeps and the report shows) with the computation added: a :class:`Numerator` (which
event table, which records, what to count), a :class:`Denominator` (a population table or
another event table), the method (``IndicatorMeta.method``), the geographies, breakdowns and
periods. Some methods need more: a :class:`Prevalence` (healthy life expectancy), an
:class:`Exposure` (attributable fraction), a :class:`Decomposition` (the life expectancy
gap by age and cause); a :class:`Ratio` or a :class:`Summary` is computed from other
indicators' values. :class:`Inequality` adds SII/RII or WHO HEAT summaries across a
breakdown. A :class:`Geography` (one per catalogue) says how small areas roll up to larger
ones and which breakdowns exist (area classifications, record columns, age groups).

The models say *what* to compute and hold no SQL: ``healthgap.engine`` turns them into Ibis
expressions. Field names are those an analyst writes in the YAML files (see ``load_catalogue``).
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.catalogue.method_table import EXCLUSIVE_FIELDS, METHODS

__all__ = [
    "Breakdown",
    "Condition",
    "Decomposition",
    "Denominator",
    "Exposure",
    "Filter",
    "Geography",
    "Indicator",
    "Inequality",
    "Numerator",
    "Periods",
    "Prevalence",
    "Ratio",
    "Summary",
    "icd10_ranges",
]

#: WHO HEAT measures (:func:`healthgap.methods.inequality_measures`) an indicator may ask for.
HEAT_MEASURES = (
    "d",
    "r",
    "aci",
    "rci",
    "bgv",
    "bgsd",
    "cov",
    "mdmu",
    "mdmw",
    "mdbu",
    "mdbw",
    "mdru",
    "mdrw",
    "idisu",
    "idisw",
    "ti",
    "mld",
    "par",
    "paf",
)

Operator = Literal[
    "==", "!=", "<", "<=", ">", ">=", "in", "not in", "between", "is null", "not null"
]

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
        None, description="inclusive [min, max] in years; max null = no upper bound"
    )
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
        "year", description="year: integer start year; date: a date column; label: '2021/22'"
    )
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
        None,
        description="column summed instead of counting records (aggregate tables, e.g. "
        "notifications by borough); only with count: events; for method mean, the column "
        "whose mean is taken",
    )

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
    """A breakdown: an area classification, a record column, or age groups of the records.

    ``source: area`` reads the classification from the lookup, ``source: record`` a column of
    the records and ``source: age`` groups the records' age column by ``bands``: named ranges
    of whole years, e.g. ``{"0-17": [0, 17], "65+": [65, null]}``, that must not overlap.
    Age-standardised methods (DSR, ISR) standardise each group over the five-year bands it
    covers, so its bounds must be multiples of 5.
    """

    source: Literal["area", "record", "age"] = "area"
    column: str = Field("", description="lookup or record column (not used by source: age)")
    category_type: str = Field(description="label stored in VALUES.category_type")
    labels: dict[str, str] = Field(default_factory=dict, description="category -> label")
    bands: dict[str, tuple[int, int | None]] = Field(
        default_factory=dict, description="source age: group label -> [min, max] years"
    )

    @model_validator(mode="after")
    def _source_fields(self) -> Breakdown:
        if self.source == "age":
            if not self.bands:
                raise ValueError("source: age needs bands (label -> [min, max] years)")
            spans = sorted((lo, hi) for lo, hi in self.bands.values())
            for (lo, hi), (nxt, _) in itertools.pairwise(spans):
                if hi is None or hi >= nxt:
                    raise ValueError(f"age bands overlap: [{lo}, {hi}] and one from {nxt}")
            for label, (lo, hi) in self.bands.items():
                if lo < 0 or (hi is not None and hi < lo):
                    raise ValueError(
                        f"age band {label!r} must be [min, max] with "
                        f"0 <= min <= max; got [{lo}, {hi}]"
                    )
        elif not self.column:
            raise ValueError(f"source: {self.source} needs column")
        elif self.bands:
            raise ValueError("bands are only for source: age")
        return self

    def aligned(self, step: int = 5) -> bool:
        """Tell whether every age group starts at a multiple of ``step`` and ends before one.

        Then its standardisation bands lie inside it.
        """
        return all(
            lo % step == 0 and (hi is None or (hi + 1) % step == 0)
            for lo, hi in self.bands.values()
        )


class Inequality(_Model):
    """Inequality summaries over the categories of a breakdown.

    ``sii`` and ``rii`` are OHID's slope and relative index of inequality over ordered
    categories (whole numbers, 1 = most deprived); the WHO HEAT measures (``d``, ``r``,
    ``bgv``, ``ti``, ``paf``, ...; see :func:`healthgap.methods.inequality_measures`) also
    work over non-ordered categories such as ethnic groups (``ordered: false``).
    """

    breakdown: str
    measures: tuple[str, ...] = ("sii", "rii")
    ordered: bool = Field(True, description="categories are ranked, 1 = most disadvantaged")
    reference: str | None = Field(None, description="HEAT: the reference category (label)")
    repetitions: int = Field(10_000, ge=100)
    seed: int = 1

    @field_validator("measures")
    @classmethod
    def _known_measures(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = ("sii", "rii", *HEAT_MEASURES)
        unknown = [m for m in value if m not in allowed]
        if unknown or not value:
            raise ValueError(f"measures must be some of {list(allowed)}; got {list(value)}")
        return value

    @model_validator(mode="after")
    def _ordered_for_slope(self) -> Inequality:
        if not self.ordered:
            slope = [m for m in self.measures if m in ("sii", "rii", "aci", "rci")]
            if slope:
                raise ValueError(f"measures {slope} need ordered categories (ordered: true)")
        if any(m in ("sii", "rii") for m in self.measures) and self.repetitions < 1_000:
            raise ValueError("sii and rii need repetitions >= 1000")
        return self


class Summary(_Model):
    """An inequality summary of another indicator across a breakdown, as its own indicator.

    E.g. the slope index of inequality in life expectancy across deprivation deciles
    (``of: life_expectancy``, ``measure: sii``): one value per area, period and sex.
    """

    of: str = Field(description="id of the indicator summarised")
    breakdown: str
    measure: str = "sii"
    ordered: bool = True
    reference: str | None = None
    repetitions: int = Field(10_000, ge=100)
    seed: int = 1

    @model_validator(mode="after")
    def _measure_known(self) -> Summary:
        self.inequality()  # the rules of Inequality
        return self

    def inequality(self) -> Inequality:
        """Return the summary as an :class:`Inequality` of the summarised indicator."""
        return Inequality(
            breakdown=self.breakdown,
            measures=(self.measure,),
            ordered=self.ordered,
            reference=self.reference,
            repetitions=self.repetitions,
            seed=self.seed,
        )


class Prevalence(_Model):
    """Healthy life expectancy: the proportion in good health by age band, from a survey.

    ``numerator`` counts respondents in good health, ``denominator`` all respondents, by
    area, period, sex and the life-table age bands (Sullivan's method).
    """

    numerator: Numerator
    denominator: Denominator


class Groups(_Model):
    """Two groups of a breakdown's categories, each pooled: the reference and the comparison."""

    reference: tuple[str, ...] = Field(description="categories of the reference group")
    comparison: tuple[str, ...] = Field(description="categories of the compared group")

    @field_validator("reference", "comparison", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        items = value if isinstance(value, list | tuple) else [value]
        return tuple(str(v) for v in items)

    @model_validator(mode="after")
    def _apart(self) -> Groups:
        both = set(self.reference) & set(self.comparison)
        if not self.reference or not self.comparison or both:
            raise ValueError(
                "reference and comparison need categories, none in both; got "
                f"{list(self.reference)} and {list(self.comparison)}"
            )
        return self


class Decomposition(Groups):
    """The life expectancy gap between two groups of a breakdown by age and by cause.

    Arriaga's method (:func:`healthgap.methods.decompose_gap`) on the pooled life tables of
    the ``reference`` and ``comparison`` categories (e.g. deciles 10 and 1); ``by_level``
    gives other groups for some geography levels (e.g. quintiles, deciles 9-10 and 1-2, for
    boroughs). ``causes`` names ICD-10 groups of the numerator's ``cause_column`` (the first
    matching group counts; other deaths are ``other``).
    """

    breakdown: str
    by_level: dict[str, Groups] = Field(default_factory=dict)
    cause_column: str = "icd10"
    causes: dict[str, str] = Field(default_factory=dict, description="label -> ICD-10 codes")
    other: str = "Other"

    @field_validator("causes")
    @classmethod
    def _codes_parse(cls, value: dict[str, str]) -> dict[str, str]:
        for codes in value.values():
            icd10_ranges(codes)
        return value

    def groups(self, level: str) -> Groups:
        """Return the groups compared at geography ``level``."""
        return self.by_level.get(level, self)


class Exposure(_TableRef):
    """An exposure (e.g. annual mean PM2.5) by area and year, for attributable mortality.

    ``level`` is the geography level of the table's areas (its codes are that level's codes
    in the lookup): each small area takes its area's exposure, weighted by the small area's
    denominator (population), so larger areas get population-weighted means.
    """

    sex: str | None = None
    age: str | None = None
    value: str = Field(description="column of the exposure (one value per area and year)")
    level: str = Field(description="geography level of the table's area codes")
    relative_risk: float = Field(gt=0, description="relative risk per increment of exposure")
    increment: float = Field(10.0, gt=0, description="exposure difference of relative_risk")


class Ratio(_Model):
    """A ratio of two indicators of the catalogue: ``multiplier x numerator / denominator``.

    Area by area, period by period; e.g. the excess mortality of adults with serious mental
    illness is their standardised rate as a percentage of all adults'.
    """

    numerator: str = Field(description="id of the indicator on top")
    denominator: str = Field(description="id of the indicator below")


class Geography(_Model):
    """How small areas roll up (a lookup table) and the classifications of areas."""

    lookup: str = "lsoa_lookup"
    area: str = Field("lsoa_code", description="small-area code column in the lookup")
    levels: dict[str, str] = Field(
        default_factory=lambda: {"lsoa": "lsoa_code"},
        description="level name -> lookup column holding that level's area code",
    )
    national: dict[str, str] = Field(
        default_factory=dict, description="level name -> one code covering every area"
    )
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

    numerator: Numerator | None = None
    denominator: Denominator | None = None
    prevalence: Prevalence | None = None
    decomposition: Decomposition | None = None
    exposure: Exposure | None = None
    ratio: Ratio | None = None
    summary: Summary | None = None
    geographies: tuple[str, ...] = ("lsoa",)
    breakdowns: tuple[str, ...] = ()
    periods: Periods = Field(default_factory=Periods)
    inequality: tuple[Inequality, ...] = ()
    reference: str | None = Field(
        None, description="geography level whose age-specific rates are the ISR reference"
    )

    @model_validator(mode="after")
    def _method_runs(self) -> Indicator:
        row = METHODS.get(self.method)
        if row is None:
            raise ValueError(f"method must be one of {list(METHODS)}; got {self.method!r}")
        for field, holds in EXCLUSIVE_FIELDS.items():
            if (row.field == field) != (getattr(self, field) is not None):
                owners = " or ".join(repr(m) for m, r in METHODS.items() if r.field == field)
                raise ValueError(
                    f"method {owners} needs {field} ({holds}), and {field} is only for that method"
                )
        if self.decomposition is not None and self.decomposition.breakdown not in self.breakdowns:
            raise ValueError(
                f"decomposition.breakdown {self.decomposition.breakdown!r} is "
                f"not one of breakdowns {list(self.breakdowns)}"
            )
        if row.counts == "none":
            if self.numerator is not None or self.denominator is not None:
                raise ValueError(
                    f"method {self.method!r} takes no numerator or denominator "
                    "tables: it is computed from other indicators' values"
                )
            return self
        if self.numerator is None:
            raise ValueError(f"method {self.method!r} needs a numerator")
        if row.counts == "values":
            if self.denominator is not None:
                raise ValueError(
                    f"method {self.method!r} takes no denominator (it counts the values)"
                )
            if self.numerator.value is None or self.numerator.count != "events":
                raise ValueError(
                    f"method {self.method!r} needs numerator.value (the column averaged)"
                )
        elif self.denominator is None:
            raise ValueError(f"method {self.method!r} needs a denominator")
        if row.reference and self.reference is None:
            raise ValueError(f"method {self.method!r} needs reference (a geography level)")
        if row.bands is not None:
            parts = [self.numerator, self.denominator]
            if self.prevalence is not None:
                parts += [self.prevalence.numerator, self.prevalence.denominator]
            for part in parts:
                if part is not None and part.age is None:
                    raise ValueError(
                        f"method {self.method!r} needs an age column in table {part.table!r}"
                    )
        for item in self.inequality:
            if item.breakdown not in self.breakdowns:
                raise ValueError(
                    f"inequality breakdown {item.breakdown!r} is not one of "
                    f"breakdowns {list(self.breakdowns)}"
                )
        return self

    def meta(self) -> IndicatorMeta:
        """Return the metadata part, as the store keeps it."""
        return IndicatorMeta(**{name: getattr(self, name) for name in IndicatorMeta.model_fields})
