"""Published figures reproduced as rounded in their sources, from ../shared/data and the job.

Each figure below is printed in its source (file, sheet or row named in the comment). The
test reads the real file with healthgap's importer and rounds to the source's own precision;
then checks the real London job (built from the shipped snapshot) shows the same figure under
the Strategy's indicator. Fingertips' own England comparisons of the London rows of the
shared Fingertips exports are recomputed with :func:`healthgap.compare.benchmark`.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl
import pytest

from healthgap import sources
from healthgap.compare import benchmark
from healthgap.store import Store

pytestmark = pytest.mark.realdata


class Figure(NamedTuple):
    file: str
    reader: str
    source_id: str
    area: str
    period: str
    sex: str
    decimals: int
    value: float
    limits: tuple[float, float] | None
    his_id: str | None  # the Strategy indicator the job shows it as


FIGURES = [
    # ONS, LE at birth by local area 2016-18, sheet 'LE at birth - Males', Barnet (issue #15)
    Figure("mortality/leatbirthandatage65byukla201618.xlsx", "read_ons_life_expectancy",
           "ons-le-birth", "E09000003", "2016 - 18", "Male", 1, 82.4, None, "life_expectancy"),
    # same workbook, sheet 'LE at age 65 - Females', row 261 (Camden), 2016-2018: 24.64...
    Figure("mortality/leatbirthandatage65byukla201618.xlsx", "read_ons_life_expectancy",
           "ons-le-65", "E09000007", "2016 - 18", "Female", 1, 24.6, None, "le_65"),
    # ONS health state life expectancies via ELS: London males 2022-24 (issue #15), 95% CI
    Figure("mortality/ons_els_healthy-life-expectancy.csv", "read_ons_els",
           "ons-healthy-life-expectancy", "E12000007", "2022 - 24", "Male", 1, 62.9,
           (62.1, 63.7), "hle_male"),
    Figure("mortality/ons_els_healthy-life-expectancy.csv", "read_ons_els",
           "ons-healthy-life-expectancy", "E12000007", "2022 - 24", "Female", 1, 62.9,
           (62.0, 63.9), "hle_female"),
    # APS employment rate 16-64, London 2011 (ELS row '2011-01-01/P1Y'): 67.3 (66.6-68.0)
    Figure("indicators/ons_els_employment-rate.csv", "read_ons_els", "ons-employment-rate",
           "E12000007", "2011", "Persons", 1, 67.3, (66.6, 68.0), "employment"),
    # APS personal wellbeing, London happiness FYE 2022 ('2021-04-01/P1Y'): 7.37 (7.30-7.43)
    Figure("population/ons_els_personal-wellbeing-estimates.csv", "read_ons_els",
           "ons-happiness", "E12000007", "2021/22", "Persons", 2, 7.37, (7.30, 7.43),
           "wellbeing_happiness"),
    # DfE EYFS profile, London communication and language 2024/25: 79.4%
    Figure("indicators/ons_els_early-years.csv", "read_ons_els",
           "ons-communication-and-language", "E12000007", "2024/25", "Persons", 1, 79.4, None,
           "school_readiness_communication"),
    # DWP children in low income families, Tower Hamlets after housing costs 2023/24
    Figure("deprivation/ons_els_children-in-relative-poverty.csv", "read_ons_els",
           "ons-children-in-relative-poverty-after-housing-costs", "E09000030", "2023/24",
           "Persons", 8, 52.41281893, None, "child_poverty"),
    # OHID PHOF 93722, London 2021-23 ('2021-01-01/P3Y'), DSR per 100,000 to 2 decimals
    Figure("mortality/ons_els_preventable-cardiovascular-mortality-england.csv",
           "read_ons_els", "ons-preventable-cardiovascular-mortality-england", "E12000007",
           "2021 - 23", "Persons", 2, 29.88, (29.06, 30.71), "preventable_cvd_mortality"),
    # OHID Active Lives adult obesity, London Nov 2020-Nov 2021 ('2020-11-16/P1Y')
    Figure("indicators/ons_els_adult-obesity-prevalence.csv", "read_ons_els",
           "ons-adult-obesity-prevalence", "E12000007", "2020/21", "Persons", 5, 19.46949,
           (18.78188, 20.14222), "adult_obesity"),
    # GLA ward file, London region row, males 2010-14: 80.0 (80.0-80.1)
    Figure("mortality/gla_life-expectancy-ward-at-Birth.csv", "read_gla_ward_life_expectancy",
           "gla-ward-le-birth", "E12000007", "2010 - 14", "Male", 1, 80.0, (80.0, 80.1),
           "le_5year"),
    # same file, London region row, females 1999-2003: 80.6 (80.5-80.7)
    Figure("mortality/gla_life-expectancy-ward-at-Birth.csv", "read_gla_ward_life_expectancy",
           "gla-ward-le-birth", "E12000007", "1999 - 03", "Female", 1, 80.6, (80.5, 80.7),
           "le_5year"),
    # OHID Fingertips 90284 export (Compare areas, 2023/24), England: 72.71223 per 10,000
    Figure("fingertips/ansarikasim_injuries-in-children__Compare_areas.csv",
           "read_fingertips_csv", "90284", "E92000001", "2023/24", "Persons", 5, 72.71223,
           (72.18314, 73.24423), "child_injury_admissions"),
]  # fmt: skip


def _row(frame: pl.DataFrame, figure: Figure) -> dict:
    rows = frame.filter(
        (pl.col("indicator_id") == figure.source_id)
        & (pl.col("area_code") == figure.area)
        & (pl.col("period") == figure.period)
        & (pl.col("sex") == figure.sex)
        & (pl.col("category") == "")
    )
    assert rows.height == 1, (figure, rows)
    return rows.row(0, named=True)


def _check(row: dict, figure: Figure) -> None:
    assert round(row["value"], figure.decimals) == pytest.approx(figure.value, abs=1e-12)
    if figure.limits is not None:
        found = (
            round(row["lower95_0cl"], figure.decimals),
            round(row["upper95_0cl"], figure.decimals),
        )
        assert found == pytest.approx(figure.limits, abs=1e-12)


def test_at_least_ten_figures_from_eight_publications():
    assert len(FIGURES) >= 10
    assert len({f.file for f in FIGURES}) >= 8


@pytest.mark.parametrize("figure", FIGURES, ids=lambda f: f"{f.source_id}-{f.area}-{f.period}")
def test_published_figure_is_read_as_published(shared_data, figure):
    values = pl.from_arrow(getattr(sources, figure.reader)(shared_data / figure.file).values)
    _check(_row(values, figure), figure)


@pytest.mark.parametrize("figure", FIGURES, ids=lambda f: f"{f.source_id}-{f.area}-{f.period}")
def test_the_london_job_shows_the_published_figure(london_job, figure):
    result, _ = london_job
    with Store.open(result.store_path) as store:
        vintages = [*result.source_vintages.values(), result.vintage]
        values = pl.concat([pl.from_arrow(store.values(v)) for v in vintages])
    shown = figure._replace(source_id=figure.his_id)
    _check(_row(values, shown), figure)


def test_census_2021_bad_health_counts_are_the_published_counts(shared_data, london_job):
    # ONS TS037 by LTLA: Barking and Dagenham, 8,169 in bad health and 2,498 in very bad
    # health of 218,869 usual residents (the file's observations)
    imported = sources.read_census_2021(
        shared_data / "population/census2021_TS037_ltla_general_health.csv"
    )
    rows = pl.from_arrow(imported.values).filter(pl.col("area_code") == "E09000002")
    counts = dict(zip(rows["category"], rows["count"], strict=True))
    assert (counts["Bad health"], counts["Very bad health"]) == (8169, 2498)
    result, _ = london_job
    with Store.open(result.store_path) as store:
        shown = pl.from_arrow(store.values(result.vintage)).filter(
            (pl.col("indicator_id") == "poor_health")
            & (pl.col("area_code") == "E09000002")
            & (pl.col("category") == "")
        )
    assert (shown["count"][0], shown["denominator"][0]) == (8169 + 2498, 218869)
    assert shown["value"][0] == pytest.approx(100 * 10667 / 218869, rel=1e-12)


INJURIES = "fingertips/ansarikasim_injuries-in-children__Compare_areas.csv"
CAMPYLOBACTER = "fingertips/jargonautical_data-dev__indicators-CountyUA.data.csv"


@pytest.mark.parametrize(("name", "n_london"), [(INJURIES, 33), (CAMPYLOBACTER, 99)])
def test_fingertips_england_comparisons_of_london_rows_are_reproduced(shared_data, name, n_london):
    # Fingertips' column "Compared to England value or percentiles", read by healthgap's
    # importer, against our benchmark of the published value and 95% limits with England's
    imported = sources.read_fingertips_csv(shared_data / name)
    values = pl.from_arrow(imported.values)
    judged = pl.from_arrow(imported.extra["fingertips_comparisons"])
    keys = ["indicator_id", "area_code", "period", "sex", "age", "category_type", "category"]
    polarity = {m.id: m.polarity for m in imported.indicators}
    frame = values.join(judged, on=keys).with_columns(
        pl.col("indicator_id").replace_strict(polarity).alias("polarity")
    )
    london = pl.col("area_code").str.starts_with("E09") | (pl.col("area_code") == "E12000007")
    frame = frame.filter(london | (pl.col("area_code") == "E92000001"))
    out = benchmark(
        frame,
        "value",
        "lower95_0cl",
        "upper95_0cl",
        polarity="polarity",
        area="area_code",
        benchmark_area="E92000001",
        group_by=[k for k in keys if k != "area_code"],
    ).filter(london & pl.col("compared_to_england").is_not_null())
    assert out.height >= n_london
    differing = out.filter(pl.col("comparison") != pl.col("compared_to_england"))
    assert differing.is_empty(), differing.select(*keys, "compared_to_england", "comparison")
