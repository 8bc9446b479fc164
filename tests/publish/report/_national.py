"""A store holding national-style files: every kind of area a UK-wide import brings.

Three vintages, as three imports would make them (numbers made up, realistic in size):

* ``old``: life expectancy (male, 2017 - 19) for every area, an earlier release;
* ``le``: life expectancy (male, 2020 - 22) with 95% confidence intervals, for London's
  boroughs, English LAs in two other regions, Scottish council areas named like English ones
  elsewhere (Fife, Glasgow City), the regions, England and Scotland (an ONS-style UK file);
* ``injuries``: a Fingertips-style indicator with no confidence intervals (hospital
  admissions for injuries, rate per 10,000) for English LAs, London and England.

The hierarchy says which LA is in which region and which region in which country, as the
ONS lookups give it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.store import Store

LONDON, ENGLAND, SCOTLAND = "E12000007", "E92000001", "S92000003"
YORKSHIRE, NORTH_WEST = "E12000003", "E12000002"
#: code, name, region (parent), male life expectancy 2020 - 22, injuries rate
BOROUGHS = (
    ("E09000002", "Barking and Dagenham", LONDON, 77.0, 110.0),
    ("E09000003", "Barnet", LONDON, 81.4, 80.0),
    ("E09000007", "Camden", LONDON, 80.6, 95.0),
    ("E09000020", "Kensington and Chelsea", LONDON, 83.1, 70.0),
    ("E09000030", "Tower Hamlets", LONDON, 77.9, 105.0),
)
OTHERS = (
    ("E08000016", "Barnsley", YORKSHIRE, 77.5, 140.0),
    ("E08000035", "Leeds", YORKSHIRE, 78.0, 120.0),
    ("E08000019", "Sheffield", YORKSHIRE, 78.4, 125.0),
    ("E08000003", "Manchester", NORTH_WEST, 75.9, 150.0),
    ("E08000012", "Liverpool", NORTH_WEST, 76.1, 145.0),
)
SCOTTISH = (
    ("S12000047", "Fife", SCOTLAND, 76.8, None),
    ("S12000049", "Glasgow City", SCOTLAND, 73.6, None),
)
REGIONS = (
    (LONDON, "London", 79.9, 90.0),
    (YORKSHIRE, "Yorkshire and The Humber", 78.0, 128.0),
    (NORTH_WEST, "North West", 77.6, 140.0),
)
NATIONS = ((ENGLAND, "England", 78.9, 105.0), (SCOTLAND, "Scotland", 76.5, None))


def _row(indicator: str, code: str, period: str, start: int, value: float, half: float | None):
    return {
        "indicator_id": indicator,
        "area_code": code,
        "period": period,
        "period_start": start,
        "period_years": 3 if " - " in period else 1,
        "sex": "Male" if indicator == "le_birth" else "Persons",
        "age": "All ages",
        "category_type": "",
        "category": "",
        "value": value,
        "lower95_0cl": None if half is None else value - half,
        "upper95_0cl": None if half is None else value + half,
    }


def make_national_store(path: Path | str) -> tuple[str, dict[str, str]]:
    """Write the store; return its path and the vintage ids by name."""
    las = (*BOROUGHS, *OTHERS, *SCOTTISH)
    areas = pa.table(
        {
            "area_code": [a[0] for a in las] + [r[0] for r in REGIONS] + [n[0] for n in NATIONS],
            "area_name": [a[1] for a in las] + [r[1] for r in REGIONS] + [n[1] for n in NATIONS],
            "area_type": ["la"] * len(las) + ["region"] * len(REGIONS) + ["country"] * 2,
        }
    )
    hierarchy = pa.table(
        {
            "hierarchy": ["lad-rgn"] * len(las) + ["rgn-ctry"] * len(REGIONS),
            "child_code": [a[0] for a in las] + [r[0] for r in REGIONS],
            "parent_code": [a[2] for a in las] + [ENGLAND] * len(REGIONS),
        }
    )
    everyone = [(a[0], a[3], a[4]) for a in las] + [
        (r[0], r[2], r[3]) for r in (*REGIONS, *NATIONS)
    ]
    old = [_row("le_birth", c, "2017 - 19", 2017, le - 0.6, 0.5) for c, le, _ in everyone]
    le = [_row("le_birth", c, "2020 - 22", 2020, le, 0.35) for c, le, _ in everyone]
    injuries = [
        _row("90630", c, "2022/23", 2022, rate, None) for c, _, rate in everyone if rate is not None
    ]
    metas = [
        IndicatorMeta(
            id="le_birth",
            name="Life expectancy at birth",
            unit="years",
            polarity="high_is_good",
            sex=("Male",),
            data_source="ONS, National life tables",
        ),
        IndicatorMeta(
            id="90630",
            name="Hospital admissions caused by injuries in children",
            unit="per 10,000",
            polarity="low_is_good",
            data_source="OHID Fingertips",
        ),
    ]
    ids = {}
    with Store.open(path) as store:
        store.add_areas(areas, hierarchy=hierarchy)
        for name, rows, source, label in (
            ("old", old, "ons", "life expectancy 2017-19"),
            ("le", le, "ons", "life expectancy 2020-22"),
            ("injuries", injuries, "fingertips", "injuries 2022/23"),
        ):
            ids[name] = store.add_vintage(
                pa.Table.from_pylist(rows), source=source, indicators=metas, label=label
            )
    return str(path), ids
