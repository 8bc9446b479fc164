"""The London Health Inequalities Strategy shipped in healthgap.london: aims, commitments."""

from healthgap.london import strategy, world_cities

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
    his = strategy()
    assert [a.name for a in his.aims] == [
        "Healthy Children",
        "Healthy Minds",
        "Healthy Places",
        "Healthy Communities",
        "Healthy Living",
    ]
    assert len(his.objectives_2010) == 5
    assert len(his.commitments) == 6
    assert set(his.indicator_ids) >= HEADLINE_14
    assert {"life_expectancy", "le_sii", "infant_mortality", "under75_mortality"} <= set(
        his.indicator_ids
    )


def test_every_commitment_has_a_measure_with_a_target():
    his = strategy()
    targets = {m.id: m.target for c in his.commitments for m in c.measures}
    assert targets["school_superzones"].value == 50
    assert targets["wellbeing_champions"].value == 250_000
    assert targets["wellbeing_champions"].year == 2025
    assert (targets["pm25_annual_mean"].value, targets["pm25_annual_mean"].year) == (10, 2030)
    assert targets["active_travel_20min"].value == 0.70
    assert targets["active_travel_20min"].year == 2041
    assert targets["anti_racist_hub_milestones"].direction == "milestones"
    superzones = next(c for c in his.commitments if c.id == "school_superzones")
    assert superzones.measures[0].published[0].value == 86


def test_world_cities_carry_year_and_source():
    cities = world_cities()
    assert {c.city for c in cities} == {"London", "New York", "Paris", "Tokyo", "Sydney"}
    tokyo = {c.sex: c for c in cities if c.city == "Tokyo"}
    assert (tokyo["Male"].value, tokyo["Female"].value, tokyo["Male"].year) == (81.77, 87.86, 2020)
    assert all(c.source for c in cities)
