"""The generic strategy loader: a folder or a file, every mistake named with file and field."""

import shutil

import pytest

from healthgap.catalogue.strategy import load_strategy, load_world_cities
from healthgap.errors import InputError
from healthgap.london import STRATEGY_DIR


def test_a_folder_and_its_strategy_file_load_the_same(tmp_path):
    shutil.copy(STRATEGY_DIR / "strategy.yaml", tmp_path / "strategy.yaml")
    assert load_strategy(tmp_path) == load_strategy(tmp_path / "strategy.yaml")


def test_a_folder_without_a_strategy_is_named(tmp_path):
    with pytest.raises(InputError, match=r"strategy\.yaml: no such strategy file"):
        load_strategy(tmp_path)
    with pytest.raises(InputError, match=r"world_cities\.csv: no such world-cities file"):
        load_world_cities(tmp_path)


def test_strategy_errors_name_file_and_field(tmp_path):
    bad = tmp_path / "strategy.yaml"
    text = (
        (STRATEGY_DIR / "strategy.yaml")
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


def test_world_city_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "cities.csv"
    bad.write_text(
        "city,area,measure,sex,value,period,year,unit,source\n"
        "Oslo,Oslo,life_expectancy,Both,82,2020,2020,years,SSB\n"
    )
    with pytest.raises(InputError, match="line 2: field 'sex'"):
        load_world_cities(bad)
