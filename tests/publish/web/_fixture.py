"""The web tests' store: the report's small synthetic London, England, and a second vintage.

The second vintage holds one indicator (``smoking``) again, with England's values added, one
borough value revised and one count of 3 (which disclosure control must withhold everywhere),
so the published vintage set takes ``smoking`` from it and everything else from the first.
Every number is made up (both vintages say ``synthetic: true``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from healthgap.store import Store

_spec = importlib.util.spec_from_file_location(
    "web_report_store", Path(__file__).parents[1] / "report" / "_store.py"
)
report_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_store)

ENGLAND = "E92000001"
LONDON = "E12000007"
REVISED = "E09000002"  # borough whose 2023 smoking value is revised in the second vintage
SMALL_COUNT = "E09000003"  # borough whose 2023 smoking count is 3 in the second vintage


def make_web_store(path: Path) -> dict[str, str]:
    """Write the store; return its path and the two vintage ids."""
    _, first = report_store.make_store(
        path,
        n_boroughs=6,
        indicators=["life_expectancy", "infant_mortality", "smoking", "le_sii"],
        years=range(2016, 2024),
        geometry=True,
    )
    with Store.open(path) as store:
        store.add_areas(
            pa.table({"area_code": [ENGLAND], "area_name": ["England"], "area_type": ["country"]}),
            hierarchy=pa.table(
                {"hierarchy": ["la-region"], "child_code": [LONDON], "parent_code": [ENGLAND]}
            ),
        )
        smoking = store.values(first, indicator_id="smoking")
        england = smoking.filter(pc.equal(smoking["area_code"], LONDON))
        rows = smoking.to_pylist() + [{**row, "area_code": ENGLAND} for row in england.to_pylist()]
        for row in rows:
            if row["period"] == "2023" and row["category_type"] == "":
                if row["area_code"] == REVISED:
                    for column in ("value", "lower95_0cl", "upper95_0cl"):
                        row[column] += 1.0
                    row["lower99_8cl"], row["upper99_8cl"] = (
                        row["lower95_0cl"] - 1,
                        row["upper95_0cl"] + 1,
                    )
                if row["area_code"] == SMALL_COUNT:
                    row["count"] = 3.0
        second = store.add_vintage(
            pa.Table.from_pylist(rows, schema=smoking.schema),
            source="synthetic test fixture, second vintage",
            parameters={"synthetic": True, "revision": 1},
            indicators=store.indicators(),
            label="web test fixture, revised smoking",
        )
    return {"path": str(path), "first": first, "second": second}
