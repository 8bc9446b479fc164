import importlib.util
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from healthgap.catalogue.metadata import DisclosureRule
from healthgap.errors import ColumnNotFoundError, InputError
from healthgap.publish.disclosure import SECONDARY_NOTE, apply_disclosure
from healthgap.store import schema

_spec = importlib.util.spec_from_file_location(
    "disclosure_checks", Path(__file__).with_name("disclosure_checks.py")
)
checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checks)

NOTE = DisclosureRule().note


def rows(counts, sexes=None, categories=None, indicator="x", area="E09000001"):
    n = len(counts)
    categories = categories or [""] * n
    return {
        "indicator_id": [indicator] * n,
        "area_code": [area] * n,
        "period": ["2021"] * n,
        "sex": sexes or ["Persons"] * n,
        "age": ["All ages"] * n,
        "category_type": ["IMD 2019 decile" if c else "" for c in categories],
        "category": categories,
        "value": [float(c) / 10 if c is not None else None for c in counts],
        "lower95_0cl": [0.0] * n,
        "upper95_0cl": [9.0] * n,
        "count": counts,
        "denominator": [100.0] * n,
        "value_note": [None] * n,
    }


def test_primary_suppression_of_counts_1_to_4(constructor):
    data = rows([0.0, 1.0, 4.0, 5.0, None], categories=["a", "b", "c", "d", "e"])
    out = checks_frame(apply_disclosure(constructor(data), totals=()))
    assert out["count"].to_list() == [0.0, None, None, 5.0, None]
    assert out["value"].to_list() == [0.0, None, None, 0.5, None]
    assert out["lower95_0cl"].to_list() == [0.0, None, None, 0.0, 0.0]
    assert out["denominator"].to_list() == [100.0, None, None, 100.0, 100.0]
    assert out["value_note"].to_list() == [None, NOTE, NOTE, None, None]


def checks_frame(native) -> pl.DataFrame:
    if isinstance(native, pa.Table):
        return pl.from_arrow(native)
    if isinstance(native, pd.DataFrame):
        return pl.from_pandas(native)
    return native


def test_returns_same_kind_same_rows_and_columns(constructor):
    data = rows([3.0, 10.0], categories=["a", "b"])
    data["extra"] = ["keep", "me"]
    native = constructor(data)
    out = apply_disclosure(native)
    assert type(out) is type(native)
    assert list(out.columns if not isinstance(out, pa.Table) else out.column_names) == list(data)
    assert checks_frame(out)["extra"].to_list() == ["keep", "me"]


def test_arrow_schema_is_kept():
    table = pa.table(rows([3.0, 10.0, 20.0], sexes=["Male", "Female", "Persons"]))
    table = table.cast(
        pa.schema(
            [
                *[
                    schema.VALUES.field(c) if c in schema.VALUES.names else table.schema.field(c)
                    for c in table.column_names
                ]
            ]
        )
    )
    out = apply_disclosure(table)
    assert out.schema == table.schema


def test_suppress_zero_and_custom_threshold_and_note():
    rule = DisclosureRule(suppress_below=10, suppress_zero=True, note="small")
    out = apply_disclosure(
        pl.DataFrame(rows([0.0, 9.0, 10.0], categories=["a", "b", "c"])), rule, totals=()
    )
    assert out["count"].to_list() == [None, None, 10.0]
    assert out["value_note"].to_list() == ["small", "small", None]


def test_rounding_half_up_to_a_multiple():
    rule = DisclosureRule(round_to=5, secondary=False)
    out = apply_disclosure(pl.DataFrame(rows([5.0, 7.0, 7.5, 12.4, 0.0])), rule)
    assert out["count"].to_list() == [5.0, 5.0, 10.0, 10.0, 0.0]
    assert out["value"].to_list() == [0.5, 0.7, 0.75, 1.24, 0.0]  # values stay exact


def test_count_that_rounds_to_a_suppressible_count_is_withheld():
    rule = DisclosureRule(round_to=20, suppress_zero=True, secondary=False)
    out = apply_disclosure(pl.DataFrame(rows([9.0, 10.0])), rule)
    assert out["count"].to_list() == [None, 20.0]


def test_rules_per_indicator_and_default_for_others():
    data = pl.concat(
        [
            pl.DataFrame(rows([3.0], indicator="a")),
            pl.DataFrame(rows([3.0], indicator="b")),
            pl.DataFrame(rows([3.0], indicator="c")),
        ]
    )
    out = apply_disclosure(
        data, {"a": DisclosureRule(suppress_below=3), "b": DisclosureRule(suppress_below=0)}
    )
    assert out["count"].to_list() == [3.0, 3.0, None]


def test_secondary_suppression_of_sexes():
    # Female 3 is withheld; Persons 50 - Male 47 would give it away, so Male goes too
    out = apply_disclosure(
        pl.DataFrame(rows([50.0, 47.0, 3.0], sexes=["Persons", "Male", "Female"]))
    )
    assert out["count"].to_list() == [50.0, None, None]
    assert out["value_note"].to_list() == [None, SECONDARY_NOTE, NOTE]


def test_secondary_picks_the_smallest_remaining_part():
    data = rows([40.0, 2.0, 20.0, 8.0, 10.0], categories=["", "1", "2", "3", "4"])
    out = apply_disclosure(pl.DataFrame(data))
    assert out["count"].to_list() == [40.0, None, 20.0, None, 10.0]


def test_secondary_withholds_the_total_when_no_part_is_left():
    out = apply_disclosure(pl.DataFrame(rows([3.0, 3.0], sexes=["Persons", "Male"])))
    assert out["count"].to_list() == [None, None]
    out = apply_disclosure(pl.DataFrame(rows([8.0, 3.0], sexes=["Persons", "Male"])))
    assert out["count"].to_list() == [None, None]  # Persons 8 - Male ? : nothing else to hide


def test_no_secondary_without_a_total_or_when_two_are_withheld():
    out = apply_disclosure(pl.DataFrame(rows([47.0, 3.0], sexes=["Male", "Female"])))
    assert out["count"].to_list() == [47.0, None]
    out = apply_disclosure(
        pl.DataFrame(rows([50.0, 2.0, 3.0, 45.0], categories=["", "1", "2", "3"]))
    )
    assert out["count"].to_list() == [50.0, None, None, 45.0]


def test_secondary_off_by_rule_or_by_totals():
    data = pl.DataFrame(rows([50.0, 47.0, 3.0], sexes=["Persons", "Male", "Female"]))
    assert apply_disclosure(data, DisclosureRule(secondary=False))["count"].to_list() == [
        50.0,
        47.0,
        None,
    ]
    assert apply_disclosure(data, totals=["IMD 2019 decile"])["count"].to_list() == [
        50.0,
        47.0,
        None,
    ]
    assert apply_disclosure(data, totals=["sex"])["count"].to_list() == [50.0, None, None]


def test_secondary_cascades_across_sex_and_breakdown():
    # Male decile 1 = 2 is withheld. Its sex group (Persons 12 = Male 2 + Female 10) then
    # loses Female decile 1, which leaves the Female breakdown (total 30 = 10 + 20) with one
    # gap, so Female decile 2 goes too; and so on until every group has 0 or >= 2 gaps.
    sexes = ["Persons"] * 3 + ["Male"] * 3 + ["Female"] * 3
    cats = ["", "1", "2"] * 3
    counts = [62.0, 12.0, 50.0, 32.0, 2.0, 30.0, 30.0, 10.0, 20.0]
    data = pl.DataFrame(rows(counts, sexes=sexes, categories=cats))
    out = apply_disclosure(data)
    original = data
    assert checks.recoverable_cells(original, out) == []
    assert checks.suppressible_counts(out, {}) == []
    assert out["count"].null_count() >= 4


def test_missing_columns_and_bad_arguments():
    with pytest.raises(ColumnNotFoundError, match=r"columns \['count'\] not found"):
        apply_disclosure(pl.DataFrame(rows([1.0])).drop("count"))
    with pytest.raises(InputError, match="totals must be 'all' or a collection"):
        apply_disclosure(pl.DataFrame(rows([1.0])), totals="sex")
    with pytest.raises(InputError, match="rules must map indicator ids to DisclosureRule"):
        apply_disclosure(pl.DataFrame(rows([1.0])), {"x": 5})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(checks.count_tables())
def test_property_nothing_suppressible_and_nothing_recoverable(table_and_rules):
    table, rules = table_and_rules
    out = apply_disclosure(table, rules)
    assert out.height == table.height
    assert checks.suppressible_counts(out, rules) == []
    assert checks.recoverable_cells(table, out) == []
    assert checks.is_rounded(out, rules)
    withheld = out["count"].is_null()
    assert out.filter(withheld)["value"].null_count() == int(withheld.sum())
    kept = ~withheld
    assert out.filter(kept)["value"].to_list() == table.filter(kept)["value"].to_list()
