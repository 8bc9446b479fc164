"""The snapshot's published series as the Strategy's indicators: ids, names, units, polarity.

Each :class:`Series` maps one published series of the snapshot (a source file's indicator id,
optionally one sex) to an indicator of the London Health Inequalities Strategy: the HIS
catalogue's id where the Strategy has that indicator (``life_expectancy``, ``hle_male``,
``hle_female``, ``employment``, ``smoking``), so the report shows it under its aim; otherwise
an id of our own, with the metadata the report's definitions page needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from healthgap.catalogue.metadata import IndicatorMeta, Polarity, YearType

__all__ = ["AS_PUBLISHED", "DERIVED", "SERIES", "WARD_DERIVED", "Series", "metas", "source_metas"]


@dataclass(frozen=True)
class Series:
    """One published series and the indicator it is shown as."""

    source_id: str
    id: str
    name: str
    unit: str
    polarity: Polarity
    statistic: str
    year_type: YearType = "calendar"
    sex: str | None = None  # keep only this sex of the source series
    ci: bool = True  # the source publishes 95% limits
    ci_method: str = ""  # how the source computed them, when they come from a count


SERIES: tuple[Series, ...] = (
    Series("ons-le-birth", "life_expectancy", "Life expectancy at birth", "years",
           "high_is_good", "Period life expectancy, 3-year pooled (ONS)", ci=False),
    Series("ons-le-65", "le_65", "Life expectancy at age 65", "years", "high_is_good",
           "Period life expectancy at 65, 3-year pooled (ONS)", ci=False),
    Series("gla-ward-le-birth", "le_5year", "Life expectancy at birth, 5-year pooled, with "
           "confidence limits", "years", "high_is_good",
           "Period life expectancy, 5-year pooled (GLA / ONS)"),
    Series("ons-healthy-life-expectancy", "hle_male", "Healthy life expectancy at birth, males",
           "years", "high_is_good", "Healthy life expectancy, 3-year pooled (ONS)", sex="Male"),
    Series("ons-healthy-life-expectancy", "hle_female",
           "Healthy life expectancy at birth, females", "years", "high_is_good",
           "Healthy life expectancy, 3-year pooled (ONS)", sex="Female"),
    Series("ons-communication-and-language", "school_readiness_communication",
           "School readiness: communication and language at the expected level (age 5)", "%",
           "high_is_good", "Percentage of children (EYFS profile, DfE)", "academic", ci=False),
    Series("ons-literacy", "school_readiness_literacy",
           "School readiness: literacy at the expected level (age 5)", "%", "high_is_good",
           "Percentage of children (EYFS profile, DfE)", "academic", ci=False),
    Series("ons-mathematics", "school_readiness_maths",
           "School readiness: mathematics at the expected level (age 5)", "%", "high_is_good",
           "Percentage of children (EYFS profile, DfE)", "academic", ci=False),
    Series("ons-sni-reception-obesity", "obesity_reception",
           "Obesity prevalence in children in Reception (aged 4 to 5 years)", "%",
           "low_is_good", "Percentage of children measured (NCMP, OHID)", "academic",
           ci=False),
    Series("ons-sni-year6-obesity", "obesity_year6",
           "Obesity prevalence in children in Year 6 (aged 10 to 11 years)", "%",
           "low_is_good", "Percentage of children measured (NCMP, OHID)", "academic",
           ci=False),
    Series("ons-sni-ks2-rwm", "ks2_attainment",
           "Pupils meeting the expected standard in reading, writing and maths (key stage 2)",
           "%", "high_is_good", "Percentage of pupils at the end of key stage 2 (DfE)",
           "academic", ci=False),
    Series("ons-sni-gdhi", "household_income", "Gross disposable household income per head",
           "£", "high_is_good", "Pounds per head (ONS regional accounts)", ci=False),
    Series("ons-gcses-in-english-and-maths", "gcse_english_maths",
           "GCSE attainment: grade 5 or above in English and maths", "%", "high_is_good",
           "Percentage of pupils at the end of key stage 4 (DfE)", "academic", ci=False),
    Series("ons-persistent-absences-for-all-pupils", "persistent_absence",
           "Pupils persistently absent", "%", "low_is_good",
           "Percentage of pupils missing 10% or more of sessions (DfE)", "academic", ci=False),
    Series("ons-employment-rate", "employment", "Employment rate of people aged 16-64", "%",
           "high_is_good", "Percentage of people aged 16-64 (Annual Population Survey)"),
    Series("ons-modelled-unemployment-rate", "unemployment", "Unemployment rate (model-based)",
           "%", "low_is_good", "Percentage of the economically active (ONS model-based)"),
    Series("ons-gross-median-weekly-pay", "median_weekly_pay",
           "Gross median weekly pay of full-time employees", "£", "high_is_good",
           "Median of weekly pay, residents (ASHE)"),
    Series("ons-children-in-relative-poverty-after-housing-costs", "child_poverty",
           "Children in relative poverty after housing costs", "%", "low_is_good",
           "Percentage of children under 16 (DWP)", "financial", ci=False),
    Series("ons-children-in-relative-poverty-before-housing-costs", "child_poverty_bhc",
           "Children in relative poverty before housing costs", "%", "low_is_good",
           "Percentage of children under 16 (DWP)", "financial", ci=False),
    Series("ons-adult-obesity-prevalence", "adult_obesity", "Adults living with obesity", "%",
           "low_is_good", "Percentage of adults 18+ (Active Lives, OHID)", "other"),
    Series("ons-cigarette-smokers", "smoking", "Smoking prevalence in adults", "%",
           "low_is_good", "Percentage of adults 18+ (Annual Population Survey)"),
    Series("ons-happiness", "wellbeing_happiness", "Personal wellbeing: happiness",
           "score out of 10", "high_is_good", "Mean score 0-10 (Annual Population Survey)",
           "financial"),
    Series("ons-satisfaction", "wellbeing_satisfaction", "Personal wellbeing: life satisfaction",
           "score out of 10", "high_is_good", "Mean score 0-10 (Annual Population Survey)",
           "financial"),
    Series("ons-worthwhile", "wellbeing_worthwhile",
           "Personal wellbeing: feeling that things done in life are worthwhile",
           "score out of 10", "high_is_good", "Mean score 0-10 (Annual Population Survey)",
           "financial"),
    Series("ons-anxiety", "wellbeing_anxiety", "Personal wellbeing: anxiety", "score out of 10",
           "low_is_good", "Mean score 0-10 (Annual Population Survey)", "financial"),
    Series("ons-preventable-cardiovascular-mortality-england", "preventable_cvd_mortality",
           "Under 75 mortality from cardiovascular disease considered preventable",
           "per 100,000", "low_is_good",
           "Directly standardised rate per 100,000 (OHID, PHOF 93722)",
           ci_method="Dobson 95% limits (Byar's for the count), as published"),
    Series("90284", "child_injury_admissions",
           "Hospital admissions caused by injuries in children (aged 0 to 14 years)",
           "per 10,000", "low_is_good",
           "Crude rate per 10,000 resident children aged 0-14 (OHID Fingertips 90284)",
           "financial"),
    Series("ons-cancer-diagnosis-at-stage-1-and-2", "cancer_early_stage",
           "Cancers diagnosed at stage 1 or 2", "%", "high_is_good",
           "Percentage of staged cancers (NDRS, OHID)",
           ci_method="Wilson score 95% limits, as published"),
)  # fmt: skip

#: Indicators computed by the main job from the snapshot: id -> (name, unit, polarity, how).
#: Published series of the snapshot that no Strategy indicator shows: their source's vintage
#: keeps them under their own ids (the figures as published), named for readers.
AS_PUBLISHED: tuple[Series, ...] = (
    Series(
        "census2021-general-health",
        "census2021-general-health",
        "General health (Census 2021): residents in each category",
        "%",
        "no_judgement",
        "Percentage of usual residents in each general health category (ONS TS037)",
        ci=False,
    ),
    Series(
        "ons-economically-inactive",
        "ons-economically-inactive",
        "Economically inactive people aged 16 to 64",
        "%",
        "no_judgement",
        "Percentage of people aged 16 to 64 who are economically inactive (ONS APS)",
    ),
)

DERIVED: dict[str, tuple[str, str, Polarity, str]] = {
    "poor_health": (
        "Residents in bad or very bad health (Census 2021)",
        "%",
        "low_is_good",
        "Percentage of usual residents, Wilson 95% and 99.8% limits; by within-London IMD "
        "2019 decile from the LSOA counts of Census 2021 table TS037.",
    ),
    "poor_health_sii": (
        "Slope index of inequality in bad or very bad health across London's deprivation deciles",
        "percentage points",
        "low_is_good",
        "OHID's SII (healthgap.methods.sii, proportions, binomial errors from the counts) "
        "across within-London IMD 2019 deciles of LSOAs; the RII is in the value note.",
    ),
    "le_sii": (
        "Slope index of inequality in life expectancy at birth across London's boroughs "
        "ranked by deprivation",
        "years",
        "low_is_good",
        "OHID's SII (healthgap.methods.sii) of the boroughs' published 5-year life "
        "expectancy with its published 95% limits, boroughs ranked by their "
        "residents-weighted IMD 2019 average rank and weighted by Census 2011 residents.",
    ),
    "hle_sii": (
        "Slope index of inequality in healthy life expectancy across London's boroughs "
        "ranked by deprivation",
        "years",
        "low_is_good",
        "OHID's SII (healthgap.methods.sii) of the boroughs' published healthy life "
        "expectancy with its published 95% limits, boroughs ranked by their "
        "residents-weighted IMD 2019 average rank and weighted by Census 2011 residents.",
    ),
    "cvd_sii": (
        "Slope index of inequality in under 75 mortality from preventable cardiovascular "
        "disease across London's boroughs ranked by deprivation",
        "per 100,000",
        "high_is_good",
        "OHID's SII (healthgap.methods.sii, rates: standard errors from the published 95% "
        "limits on the log scale) of the boroughs' published directly standardised rates, "
        "boroughs ranked by their residents-weighted IMD 2019 average rank and weighted by "
        "Census 2011 residents; negative: the most deprived end has the higher mortality.",
    ),
}


_WARD_RANKING = (
    "London's wards (2003 CAS wards of the GLA's ward life expectancy) ranked by their "
    "residents-weighted mean IMD 2019 score (LSOA scores weighted by Census 2011 residents "
    "through an ONS LSOA to ward lookup) and cut into within-London deciles of equal numbers "
    "of wards (OHID's rule, decile 1 the most deprived); each decile's life expectancy is the "
    "residents-weighted mean of its wards' published 5-year life expectancy, its standard "
    "error from the wards' published 95% limits"
)
#: Indicators computed by the main job when an ONS LSOA to ward lookup is given.
WARD_DERIVED: dict[str, tuple[str, str, Polarity, str]] = {
    "le_ward_decile": (
        "Life expectancy at birth by within-London ward deprivation decile",
        "years",
        "high_is_good",
        f"{_WARD_RANKING}.",
    ),
    "le_ward_sii": (
        "Slope index of inequality in life expectancy at birth across London's wards "
        "ranked by deprivation",
        "years",
        "low_is_good",
        f"OHID's SII (healthgap.methods.sii) across ward deprivation deciles: "
        f"{_WARD_RANKING}; the deciles weighted by their residents. The RII is in the value "
        "note.",
    ),
    "le_ward_gap": (
        "Gap in life expectancy at birth between the least and most deprived tenths of "
        "London's wards",
        "years",
        "low_is_good",
        f"Life expectancy of decile 10 minus decile 1, normal 95% and 99.8% limits: "
        f"{_WARD_RANKING}.",
    ),
}


def metas(
    sources: dict[str, dict[str, str]],
    derived: dict[str, tuple[str, str, Polarity, str]] = DERIVED,
) -> list[IndicatorMeta]:
    """Metadata of every series and derived indicator; ``sources`` maps id -> source fields.

    ``sources[id]`` holds ``publisher``, ``title``, ``url`` and ``date`` of the file the
    series comes from (the snapshot's manifest); ``derived`` the indicators computed by the
    job (:data:`DERIVED`, with :data:`WARD_DERIVED` when a ward lookup is given).
    """
    out = source_metas(SERIES, sources)
    for key, (name, unit, polarity, how) in derived.items():
        out.append(
            IndicatorMeta(
                id=key,
                name=name,
                definition=f"{name}. {how}",
                gap=_GAPS.get(key[key.rfind("_") :], ""),
                data_source=_source_text(sources.get(key, {})),
                statistic=how,
                method=_METHODS.get(key, "sii" if key.endswith("_sii") else "proportion"),
                unit=unit,
                polarity=polarity,
                ci_method=_CI_METHODS.get(
                    key, "Simulated (OHID SII)" if key.endswith("_sii") else "Wilson"
                ),
                attribution="Contains public sector information licensed under the Open "
                "Government Licence v3.0.",
            )
        )
    return sorted(out, key=lambda m: m.id)


_GAPS = {
    "_sii": "Most against least deprived (fitted gap across the ranked groups)",
    "_gap": "Least deprived decile minus most deprived decile",
}
_METHODS = {"le_ward_decile": "weighted mean", "le_ward_gap": "difference"}
_CI_METHODS = {
    "le_ward_decile": "Normal, from the wards' published 95% limits (wards independent)",
    "le_ward_gap": "Normal, from the two deciles' standard errors",
}


def _source_text(src: dict[str, str]) -> str:
    parts = [src.get("publisher"), src.get("title"), src.get("url")]
    date = src.get("date")
    text = "; ".join(p for p in parts if p)
    return f"{text} (published {date})" if date else text


def source_metas(
    series: tuple[Series, ...], sources: dict[str, dict[str, str]]
) -> list[IndicatorMeta]:
    """Metadata of published ``series``, shown as published; ``sources`` maps id -> fields."""
    out = []
    for s in series:
        src = sources.get(s.id, {})
        out.append(
            IndicatorMeta(
                id=s.id,
                name=s.name,
                definition=f"{s.name}: {s.statistic}, as published.",
                data_source=_source_text(src),
                statistic=s.statistic,
                method="published",
                unit=s.unit,
                polarity=s.polarity,
                ci_method=s.ci_method or ("95% limits as published" if s.ci else "None published"),
                sex=(s.sex,) if s.sex else ("Persons",),
                year_type=s.year_type,
                caveats="Published figures copied from the source; London, its boroughs and "
                "England only.",
                attribution="Contains public sector information licensed under the Open "
                "Government Licence v3.0.",
            )
        )
    return out
