"""The differencing attack on the demo London's real export (issue #14 item 3).

Before: 170 hidden counts of 1-4 came back as London minus the 32 published boroughs and
419 as a 3-year pooled count minus its two published single years (1,138 with chains and
every relation). The attacker is the independent one of ``disclosure_checks``.
"""

import importlib.util
from pathlib import Path

import polars as pl
import pytest

from healthgap.london.synthetic import pipeline
from healthgap.publish.export import export
from healthgap.store import Store

_spec = importlib.util.spec_from_file_location(
    "disclosure_checks", Path(__file__).with_name("disclosure_checks.py")
)
checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checks)


@pytest.mark.slow
def test_demo_export_gives_no_suppressed_count_away(tmp_path):
    result = pipeline.run(tmp_path / "demo", years=(2019, 2020, 2021))
    with Store.open(result.store_path, read_only=True) as store:
        path = export(store, result.vintage, tmp_path / "his_values.csv", "csv")
        raw = pl.from_arrow(store.values(result.vintage))
        links = pl.from_arrow(store.hierarchy(vintage=result.vintage))
        rules = {m.id: m.disclosure for m in store.indicators(vintage=result.vintage)}
    published = pl.read_csv(path, infer_schema_length=0).with_columns(
        pl.col("count").cast(pl.Float64), pl.col("category_type", "category").fill_null("")
    )
    assert (raw["period_years"] == 3).any()  # pooled periods are there to attack
    pairs = list(links.select("child_code", "parent_code").iter_rows())
    assert checks.suppressible_counts(published, rules) == []
    assert checks.recoverable_cells(raw, published, rules, pairs) == []
