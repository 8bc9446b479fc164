"""Indicator metadata, as kept by the store and shown on the report's definitions page.

The engine, comparisons and disclosure control read it too (polarity, multiplier, disclosure
rule).

Pydantic models, validated when a catalogue file is read; errors name the field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Polarity = Literal["low_is_good", "high_is_good", "no_judgement"]
YearType = Literal["calendar", "financial", "academic", "school", "other"]
Sex = Literal["Persons", "Male", "Female"]


class DisclosureRule(BaseModel):
    """How small numbers are controlled before anything is published.

    The default is the common OHID/NHS rule: counts 1-4 suppressed together with the values
    and limits derived from them (zero is publishable), no rounding, and secondary
    suppression so a suppressed cell cannot be recovered from a total by subtraction.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    suppress_below: int = Field(5, ge=0, description="counts 1..suppress_below-1 are suppressed")
    suppress_zero: bool = Field(False, description="also suppress counts of zero")
    round_to: int | None = Field(None, ge=1, description="round published counts to a multiple")
    secondary: bool = Field(True, description="apply secondary suppression within totals")
    note: str = Field(
        "Value suppressed for disclosure control: count between 1 and 4.",
        description="value note written on suppressed rows",
    )


class IndicatorMeta(BaseModel):
    """Descriptive metadata of one indicator (enough to write its definitions page)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str
    definition: str = ""
    gap: str = Field(
        "",
        description="the inequality gap monitored: populations compared, "
        "and by which measure (e.g. most vs least deprived decile, difference)",
    )
    rationale: str = ""
    data_source: str = ""
    numerator_definition: str = ""
    denominator_definition: str = ""
    statistic: str = Field("", description="e.g. 'Directly standardised rate per 100,000'")
    method: str = Field("", description="method name, e.g. 'dsr', 'proportion', 'life_expectancy'")
    unit: str = ""
    multiplier: float = 1
    polarity: Polarity = "no_judgement"
    ci_method: str = ""
    standard_population: str | None = None
    age: str = "All ages"
    sex: tuple[Sex, ...] = ("Persons",)
    year_type: YearType = "calendar"
    frequency: str = "annual"
    disclosure: DisclosureRule = Field(default_factory=DisclosureRule)
    caveats: str = ""
    licence: str = "Open Government Licence v3.0"
    attribution: str = ""
    fingertips_id: int | None = None

    @model_validator(mode="after")
    def _multiplier_positive(self) -> IndicatorMeta:
        if self.multiplier <= 0:
            raise ValueError(f"multiplier must be > 0; got {self.multiplier}")
        return self
