import pytest

from healthgap.catalogue.strategy import load_strategy, load_world_cities
from healthgap.errors import InputError

HEADLINE_14 = {
    "hle_male",
    "hle_female",
    "low_birth_weight",
    "school_readiness",
    "excess_weight_10_11",
    "smi_excess_mortality",
    "suicide",
    "pm25_mortality",
    "employment",
    "belonging",
    "hiv_late_diagnosis",
    "tb_incidence",
    "active_travel",
    "smoking",
}


def test_london_strategy_has_its_aims_objectives_and_commitments():
    strategy = load_strategy()
    assert [a.name for a in strategy.aims] == [
        "Healthy Children",
        "Healthy Minds",
        "Healthy Places",
        "Healthy Communities",
        "Healthy Living",
    ]
    assert len(strategy.objectives_2010) == 5
    assert len(strategy.commitments) == 6
    assert set(strategy.indicator_ids) >= HEADLINE_14
    assert {"life_expectancy", "le_sii", "infant_mortality", "under75_mortality"} <= set(
        strategy.indicator_ids
    )


def test_every_commitment_has_a_measure_with_a_target():
    strategy = load_strategy()
    targets = {m.id: m.target for c in strategy.commitments for m in c.measures}
    assert targets["school_superzones"].value == 50
    assert targets["wellbeing_champions"].value == 250_000
    assert targets["wellbeing_champions"].year == 2025
    assert (targets["pm25_annual_mean"].value, targets["pm25_annual_mean"].year) == (10, 2030)
    assert targets["active_travel_20min"].value == 0.70
    assert targets["active_travel_20min"].year == 2041
    assert targets["anti_racist_hub_milestones"].direction == "milestones"
    superzones = next(c for c in strategy.commitments if c.id == "school_superzones")
    assert superzones.measures[0].published[0].value == 86


def test_strategy_errors_name_file_and_field(tmp_path):
    bad = tmp_path / "strategy.yaml"
    text = (
        (load_strategy.__defaults__[0])
        .read_text()
        .replace(
            "target: {direction: at_least, value: 50, year: 2024}",
            "target: {direction: at_least, value: 50}",
        )
    )
    bad.write_text(text)
    with pytest.raises(
        InputError,
        match=r"strategy\.yaml: field 'commitments\.0\.measures\.0"
        r"\.target': Value error, a target 'at_least' needs both value and year",
    ):
        load_strategy(bad)


def test_world_cities_carry_year_and_source():
    cities = load_world_cities()
    assert {c.city for c in cities} == {"London", "New York", "Paris", "Tokyo", "Sydney"}
    tokyo = {c.sex: c for c in cities if c.city == "Tokyo"}
    assert (tokyo["Male"].value, tokyo["Female"].value, tokyo["Male"].year) == (81.77, 87.86, 2020)
    assert all(c.source for c in cities)


def test_world_city_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "cities.csv"
    bad.write_text(
        "city,area,measure,sex,value,period,year,unit,source\n"
        "Oslo,Oslo,life_expectancy,Both,82,2020,2020,years,SSB\n"
    )
    with pytest.raises(InputError, match="line 2: field 'sex'"):
        load_world_cities(bad)
