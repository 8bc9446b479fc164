"""Fingertips' numeric ids for our indicators, area types, sexes, ages and value notes.

Fingertips names everything by a number; the store by text. Known numbers are Fingertips'
own (sexes; England 15, regions 6, upper-tier local authorities 502, MSOA 3, ward 8; an
indicator's ``fingertips_id``); the rest are derived from the text by CRC-32, so they are
the same on every run and every machine, whatever else the store holds.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from healthgap.errors import InputError

#: Fingertips' ids of the sexes (api/sexes).
SEXES = {"Male": 1, "Female": 2, "Persons": 4}
#: Fingertips' area-type ids and names for our area types (api/area_types).
AREA_TYPES = {
    "country": (15, "England", "England"),
    "region": (6, "Regions (statistical)", "Regions"),
    "la": (502, "Upper tier local authorities (post 4/23)", "Upper tier LAs (post 4/23)"),
    "county": (502, "Upper tier local authorities (post 4/23)", "Upper tier LAs (post 4/23)"),
    "msoa": (3, "Middle Super Output Area", "MSOA"),
    "ward": (8, "Ward", "Ward"),
}
#: Earlier and lower-tier local-authority ids that scripts still ask for: same areas here.
LA_ALIASES = (101, 102, 201, 202, 301, 302, 401, 402, 501)
ALL_AGES = 1  # Fingertips' id of "All ages"
DERIVED_BASE = 9_000_000  # derived ids start here, far above Fingertips' own


def derived_id(text: str, span: int = 1_000_000) -> int:
    """A stable number for a text: DERIVED_BASE + CRC-32 modulo ``span``."""
    return DERIVED_BASE + zlib.crc32(text.encode("utf-8")) % span


def number_map(texts: Iterable[str], fixed: dict[str, int] | None = None) -> dict[str, int]:
    """Text -> id: fixed ids first, derived ids for the rest (a clash takes the next free)."""
    fixed = dict(fixed or {})
    out: dict[str, int] = {}
    used = set(fixed.values())
    for text in sorted(set(texts)):
        if text in fixed:
            out[text] = fixed[text]
            continue
        number = derived_id(text)
        while number in used:
            number += 1
        used.add(number)
        out[text] = number
    return out


def area_type_ids(types: Iterable[str]) -> dict[str, tuple[int, str, str]]:
    """Our area type -> (Fingertips id, name, short name)."""
    out = {}
    for area_type in sorted(set(types)):
        if area_type in AREA_TYPES:
            out[area_type] = AREA_TYPES[area_type]
        else:
            out[area_type] = (derived_id(area_type, 1000), area_type.upper(), area_type.upper())
    return out


def parse_ids(name: str, text: str, max_items: int = 200) -> list[str]:
    """A comma-separated list of ids from a query parameter.

    Raises
    ------
    InputError
        When it is empty, too long, or an item is empty.
    """
    items = text.split(",")
    if any(not t for t in items):
        raise InputError(f"parameter '{name}' must list ids separated by commas; got {text!r}")
    if len(items) > max_items:
        raise InputError(f"parameter '{name}' lists {len(items)} ids; at most {max_items}")
    return items
