import polars as pl
from tests.conftest import to_polars

from healthgap.catalogue.strategy import load_world_cities
from healthgap.compare.world_cities import world_city_comparison
from healthgap.london import STRATEGY_DIR


def _cities_table():
    return {
        k: [getattr(c, k) for c in load_world_cities(STRATEGY_DIR)]
        for k in ("city", "area", "measure", "sex", "value", "period", "year")
    }


def test_comparability_is_stated_for_every_published_figure(constructor):
    out = to_polars(world_city_comparison(constructor(_cities_table())))
    rows = {(r["city"], r["measure"], r["sex"]): r for r in out.iter_rows(named=True)}
    # Sydney (NSW 2016-18) is three years from London's 2013-15: compared, with a caveat
    sydney = rows[("Sydney", "life_expectancy", "Male")]
    assert sydney["comparable"]
    assert sydney["difference"] == 80.6 - 80.7
    assert sydney["caveat"] == "New South Wales (state) stands in for Sydney"
    # Tokyo 2020 vs London 2013-15: six years apart
    assert not rows[("Tokyo", "life_expectancy", "Female")]["comparable"]
    assert rows[("Tokyo", "life_expectancy", "Female")]["reason"] == (
        "published 6 years apart (2014 and 2020)"
    )
    # New York publishes for both sexes together; London's figures are by sex
    assert rows[("New York", "life_expectancy", "Persons")]["reason"] == (
        "London has no Persons figure for this measure"
    )
    # infant mortality: New York 2014 and Paris 2007 are far from London's 2022
    assert not rows[("New York", "infant_mortality", "Persons")]["comparable"]
    assert not rows[("Paris", "infant_mortality", "Persons")]["comparable"]
    assert "London" not in out["city"].to_list()


def test_year_gap_is_a_parameter():
    out = world_city_comparison(pl.DataFrame(_cities_table()), max_year_gap=10)
    tokyo = out.filter((pl.col("city") == "Tokyo") & (pl.col("sex") == "Male"))
    assert tokyo["comparable"].item()
