"""The London HIS catalogue: complete metadata, every indicator computable, every commitment
measured."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

from healthgap.catalogue.strategy import load_strategy
from healthgap.engine import compute_values
from healthgap.engine.compute import input_tables
from healthgap.errors import SuppressedWarning
from healthgap.london import STRATEGY_DIR
from healthgap.london.synthetic.pipeline import load_his_catalogue

pytestmark = pytest.mark.xdist_group("his_demo")

HEADLINE_FIELDS = (
    "name",
    "definition",
    "gap",
    "rationale",
    "data_source",
    "numerator_definition",
    "denominator_definition",
    "statistic",
    "method",
    "unit",
    "ci_method",
    "age",
    "year_type",
    "frequency",
    "caveats",
    "licence",
)


@pytest.fixture(scope="module")
def catalogue():
    return load_his_catalogue()


@pytest.fixture(scope="module")
def strategy():
    return load_strategy(STRATEGY_DIR)


@pytest.fixture(scope="module")
def demo_values(his_demo, catalogue):
    """The catalogue computed by the engine alone on the synthetic London (periods of 2019)."""
    data_dir = his_demo[0].data_dir
    data = {name: data_dir / f"{name}.parquet" for name in input_tables(catalogue)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        return pl.from_arrow(compute_values(catalogue, data, years=[2019]))


def test_every_strategy_indicator_has_an_engine_definition(catalogue, strategy):
    ids = {ind.id for ind in catalogue}
    assert set(strategy.indicator_ids) <= ids
    # the 14 headline indicators plus life expectancy, its SII, infant and under-75 mortality
    assert len(strategy.indicator_ids) == 18


def test_every_indicator_has_full_metadata_and_a_gap_definition(catalogue, strategy):
    metas = {m.id: m for m in catalogue.metas()}
    for indicator_id in strategy.indicator_ids:
        meta = metas[indicator_id]
        empty = [f for f in HEADLINE_FIELDS if not str(getattr(meta, f)).strip()]
        assert not empty, (indicator_id, empty)
        assert "synthetic" in meta.data_source.lower(), indicator_id
        assert meta.polarity != "no_judgement", indicator_id
    # standardised rates name their standard population
    for meta in metas.values():
        if meta.method == "dsr":
            assert meta.standard_population == "ESP2013", meta.id


def test_every_engine_indicator_is_computable_with_values_for_london_and_boroughs(
    catalogue, demo_values
):
    for ind in catalogue:
        # a decomposition gives contributions by age band and cause, not a total
        total = "Cause" if ind.method == "decompose_gap" else ""
        rows = demo_values.filter(
            pl.col("indicator_id") == ind.id, pl.col("category_type") == total
        )
        areas = set(rows.filter(pl.col("value").is_not_null())["area_code"])
        assert "E12000007" in areas, ind.id
        # a borough's deprivation quintile with 5,000 residents or fewer has no life table,
        # and a borough's SII needs five deciles with a life expectancy (single years here)
        boroughs = {"decompose_gap": 25, "inequality": 15}.get(ind.method, 30)
        assert len(areas - {"E12000007"}) >= boroughs, (ind.id, len(areas))


def test_record_level_indicators_have_every_within_london_decile(catalogue, demo_values):
    deciles = demo_values.filter(
        pl.col("category_type") == "IMD 2019 decile (within London)",
        pl.col("area_code") == "E12000007",
    )
    with_deciles = [
        ind.id
        for ind in catalogue
        if "imd_decile_london" in ind.breakdowns and ind.method != "decompose_gap"
    ]  # compares two groups of deciles
    assert {
        "life_expectancy",
        "infant_mortality",
        "under75_mortality",
        "low_birth_weight",
        "school_readiness",
        "excess_weight_10_11",
    } <= set(with_deciles)
    for indicator_id in with_deciles:
        cats = set(deciles.filter(pl.col("indicator_id") == indicator_id)["category"])
        assert {str(d) for d in range(1, 11)} <= cats, indicator_id


def test_school_readiness_compares_free_school_meals(demo_values):
    rows = demo_values.filter(
        pl.col("indicator_id") == "school_readiness",
        pl.col("category_type") == "Free school meals",
        pl.col("area_code") == "E12000007",
        pl.col("sex") == "Persons",
    )
    by = dict(zip(rows["category"], rows["value"], strict=True))
    assert by["Eligible for free school meals"] < by["Not eligible"]


def test_every_commitment_has_a_measure_with_data_or_milestones(strategy):
    tables = {"commitments", "air_quality", "survey"}
    for commitment in strategy.commitments:
        assert commitment.measures, commitment.id
        for measure in commitment.measures:
            if measure.target.direction == "milestones":
                assert measure.target.milestones
            else:
                assert measure.data is not None, measure.id
                assert measure.data.split("/")[0] in tables, measure.id


def test_the_geography_rolls_boroughs_to_london():
    geography = load_his_catalogue().geography
    assert geography.levels == {"borough": "borough_code"}
    assert geography.national == {"london": "E12000007"}
    assert (
        geography.breakdowns["imd_decile_london"].category_type == "IMD 2019 decile (within London)"
    )


def test_numerator_value_sums_a_column_and_excludes_counting_people():
    from healthgap.catalogue.indicator import Numerator

    assert Numerator(table="notifications", value="tb_notifications").value == "tb_notifications"
    with pytest.raises(ValueError, match="cannot be used with count: people"):
        Numerator(table="t", count="people", person_id="id", value="n")
