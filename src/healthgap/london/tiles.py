"""A tile-grid map of London's 33 boroughs: one equal square each, placed as on a real map.

For the report when the store has no boundaries. Our own layout (column, row from the
north-west, a three-letter label): neighbours stay neighbours where a grid allows, the City
and Westminster sit in the centre, the outer boroughs ring them.
"""

from __future__ import annotations

__all__ = ["TILES"]

#: area code -> (column, row, label)
TILES: dict[str, tuple[int, int, str]] = {
    "E09000010": (4, 0, "ENF"),
    "E09000015": (1, 1, "HRW"),
    "E09000003": (2, 1, "BRN"),
    "E09000014": (3, 1, "HGY"),
    "E09000031": (4, 1, "WFS"),
    "E09000026": (5, 1, "RED"),
    "E09000016": (6, 1, "HAV"),
    "E09000017": (0, 2, "HIL"),
    "E09000005": (1, 2, "BRT"),
    "E09000007": (2, 2, "CMD"),
    "E09000019": (3, 2, "ISL"),
    "E09000012": (4, 2, "HCK"),
    "E09000025": (5, 2, "NWM"),
    "E09000002": (6, 2, "BAR"),
    "E09000009": (0, 3, "EAL"),
    "E09000013": (1, 3, "HMS"),
    "E09000020": (2, 3, "KNS"),
    "E09000033": (3, 3, "WST"),
    "E09000001": (4, 3, "CTY"),
    "E09000030": (5, 3, "TOW"),
    "E09000011": (6, 3, "GRE"),
    "E09000004": (7, 3, "BXL"),
    "E09000018": (0, 4, "HNS"),
    "E09000027": (1, 4, "RCH"),
    "E09000032": (2, 4, "WND"),
    "E09000022": (3, 4, "LAM"),
    "E09000028": (4, 4, "SWK"),
    "E09000023": (5, 4, "LEW"),
    "E09000021": (1, 5, "KIN"),
    "E09000024": (2, 5, "MRT"),
    "E09000008": (3, 5, "CRD"),
    "E09000006": (5, 5, "BRM"),
    "E09000029": (2, 6, "SUT"),
}
