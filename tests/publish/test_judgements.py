"""A source's own judgements are published beside published values only (issue #15)."""

import pyarrow as pa
import pytest

from healthgap.catalogue.metadata import DisclosureRule, IndicatorMeta
from healthgap.publish._judgements import published_judgements
from healthgap.publish.export import published_values
from healthgap.store import Store, schema

AREAS = pa.table(
    {
        "area_code": ["E09000001", "E09000002", "E09000003", "E12000007"],
        "area_name": ["City of London", "Barking and Dagenham", "Barnet", "London"],
        "area_type": ["la", "la", "la", "region"],
    }
)
RULE = IndicatorMeta(
    id="90284", name="Injuries", method="rate", disclosure=DisclosureRule(suppress_below=10)
)


def _values(counts: list[float]) -> pa.Table:
    n = len(counts)
    columns = {
        "indicator_id": ["90284"] * n,
        "area_code": AREAS["area_code"].to_pylist()[:n],
        "period": ["2023/24"] * n,
        "period_start": [2023] * n,
        "period_years": [1] * n,
        "sex": ["Persons"] * n,
        "age": ["<15 yrs"] * n,
        "category_type": [""] * n,
        "category": [""] * n,
        "value": [50.0 + i for i in range(n)],
        "count": counts,
        "denominator": [1000.0] * n,
    }
    return pa.table(columns, schema=pa.schema([schema.VALUES.field(c) for c in columns]))


def _judgements(words: list[str]) -> pa.Table:
    n = len(words)
    return pa.table(
        {
            "indicator_id": ["90284"] * n,
            "area_code": AREAS["area_code"].to_pylist()[:n],
            "period": ["2023/24"] * n,
            "sex": ["Persons"] * n,
            "age": ["<15 yrs"] * n,
            "category_type": [""] * n,
            "category": [""] * n,
            "compared_to_england": words,
        }
    )


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "store.duckdb") as opened:
        opened.add_areas(AREAS)
        yield opened


def test_the_judgement_of_a_withheld_value_is_withheld(store):
    vintage = store.add_vintage(
        _values([5.0, 40.0, 60.0]),
        source="fingertips",
        indicators=[RULE],
        judgements=_judgements(["Better", "Worse", "Similar"]),
    )
    published = published_values(store, vintage)
    assert published["value"].to_pylist()[0] is None  # a count of 5: withheld
    shown = published_judgements(store, vintage)
    assert shown.schema == schema.JUDGEMENTS
    assert shown["area_code"].to_pylist() == ["E09000002", "E09000003"]
    assert shown["compared_to_england"].to_pylist() == ["Worse", "Similar"]
    assert store.judgements(vintage).num_rows == 3  # the store keeps what was published


def test_judgements_are_published_before_the_values_are_asked_for(store):
    vintage = store.add_vintage(
        _values([5.0, 40.0]),
        source="fingertips",
        indicators=[RULE],
        judgements=_judgements(["Better", "Worse"]),
    )
    shown = published_judgements(store, vintage, ["90284"])
    assert shown["area_code"].to_pylist() == ["E09000002"]


def test_a_vintage_without_judgements_publishes_none(store):
    vintage = store.add_vintage(_values([40.0, 60.0]), source="engine", indicators=[RULE])
    shown = published_judgements(store, vintage)
    assert shown.num_rows == 0
    assert shown.schema == schema.JUDGEMENTS
