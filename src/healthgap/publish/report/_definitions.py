"""The methods page: how values are compared, and every indicator's definition."""

from __future__ import annotations

import polars as pl

from healthgap.publish.report._data import DECOMPOSITION, ReportData
from healthgap.publish.report._labels import slug
from healthgap.publish.report._model import Page, Section, plain_table
from healthgap.publish.report._provenance import provenance_section


def definitions_section(data: ReportData, i: str, level: int = 2) -> Section:
    """The indicator's metadata as a definition list."""
    m = data.meta(i)
    section = Section(f"definition-{slug(i)}", "Definition" if level == 2 else m.name, level=level)
    fields = [
        ("Definition", m.definition),
        ("Rationale", m.rationale),
        ("Numerator", m.numerator_definition),
        ("Denominator", m.denominator_definition),
        ("Statistic", m.statistic),
        ("Method", m.method),
        ("Unit", m.unit),
        ("Confidence interval method", m.ci_method),
        ("Standard population", m.standard_population or ""),
        ("Polarity", m.polarity.replace("_", " ")),
        ("Age", m.age),
        ("Sex", ", ".join(m.sex)),
        ("Year type", m.year_type),
        ("Frequency", m.frequency),
        ("Data source", m.data_source),
        (
            "Disclosure control",
            f"counts 1 to {m.disclosure.suppress_below - 1} withheld"
            + (", and zero" if m.disclosure.suppress_zero else "")
            + (f"; counts rounded to {m.disclosure.round_to}" if m.disclosure.round_to else "")
            + ("; secondary suppression" if m.disclosure.secondary else ""),
        ),
        ("Caveats", m.caveats),
        ("Licence", m.licence),
        ("Attribution", m.attribution),
    ]
    section.definitions = [(k, v) for k, v in fields if v]
    return section


def methods(data: ReportData) -> Page:
    """How values are compared and judged, and every indicator's definition."""
    how = Section("comparisons", "How values are compared")
    method = ""
    if data.latest.height and "comparison_method" in data.latest.columns:
        method = next((m for m in data.latest["comparison_method"].to_list() if m), "")
    region, nation = data.region_name, data.national_name
    versus = f"{nation}'s and with {region}'s" if data.national else f"{region}'s"
    how.paragraphs += [
        f"Benchmarking: each area's value is compared with {versus} for the same period, "
        f"sex and age ({method or 'benchmark value against the 95% confidence interval'}, "
        "Fingertips' method): better or worse when the comparator's value lies outside the "
        "area's 95% confidence interval, similar otherwise; indicators without a polarity "
        "are shown as higher or lower.",
        "Where a source publishes no confidence interval, a value is not judged; the "
        "report shows its rank among the areas (1 = best, by the indicator's polarity) and "
        "its quintile: among all the nation's areas of the same type when the store holds "
        "at least five of them, else among the report's areas (Fingertips' quintiles, "
        "percentiles interpolated as Excel's PERCENTILE.INC).",
        "Where a source publishes its own comparison with the nation (Fingertips' "
        "'Compared to England value or percentiles'), it is kept beside ours and any "
        "disagreement is flagged.",
        "Recent trends: the chi-squared test for trend on the five most recent single "
        "years (Fingertips' trend markers), significant at 99.8% and robust to leaving out "
        "any one point.",
        "Deprivation: deprivation deciles (1 = most deprived); the slope index "
        "of inequality (SII) is the rise of the population-weighted least-squares line "
        "from the most to the least deprived.",
        "Targets: a straight line fitted to the five most recent years is projected to "
        "the target year with its 95% prediction interval: on track when the projection "
        "meets the target.",
        "Disclosure control: every value shown or offered for download has passed the "
        "indicator's disclosure rule; withheld values are shown as '-' and say why.",
    ]
    sections = [how, provenance_section(data)]
    defs = Section("definitions", "Indicator definitions")
    sections.append(defs)
    ids = [
        *data.order,
        *([DECOMPOSITION] if DECOMPOSITION in data.indicators else []),
        *data.commitment_ids,
    ]
    defs.items.append(plain_table("methods-definitions", "Indicators in brief", _brief(data, ids)))
    for i in ids:
        section = definitions_section(data, i, level=3)
        section.in_print = False  # the PDF has the table in brief
        sections.append(section)
    return Page(
        "methods",
        "Methods and definitions",
        "How the report's values are compared and judged, and every indicator's definition.",
        sections,
        nav="methods",
    )


def _brief(data: ReportData, ids: list[str]) -> pl.DataFrame:
    """One row per indicator: what it measures, its unit, polarity, source and licence."""
    metas = [data.meta(i) for i in ids]
    sources = [data.source_of(i) for i in ids]
    return pl.DataFrame(
        {
            "Indicator": [m.name for m in metas],
            "Definition": [m.definition for m in metas],
            "Unit": [m.unit for m in metas],
            "Polarity": [m.polarity.replace("_", " ") for m in metas],
            "Source": [
                m.data_source or (u.record["source"] if u else "")
                for m, u in zip(metas, sources, strict=True)
            ],
            "Vintage": [u.record["id"][:8] if u else "" for u in sources],
            "Licence": [m.licence for m in metas],
        },
        schema=dict.fromkeys(
            ("Indicator", "Definition", "Unit", "Polarity", "Source", "Vintage", "Licence"),
            pl.String,
        ),
    )
