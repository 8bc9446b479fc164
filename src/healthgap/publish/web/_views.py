"""The dashboard's views, built from the published vintage set (all judged values, no I/O).

``view(pub, slug, state)`` builds one page; ``slugs(pub)`` lists every page the static export
writes. The state is the query string (``comparator``, ``sex``, ``period``, ``domain``, ``a``,
``b``): tables carry every row with its filter values, and rows a filter excludes are hidden,
so the page works without script and the script can change filters without a reload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from healthgap.errors import InputError
from healthgap.publish.web._indicator import indicator_view
from healthgap.publish.web._inequality_pages import inequalities_index, inequalities_view
from healthgap.publish.web._model import View
from healthgap.publish.web._overview import overview
from healthgap.publish.web._profile import area_profile, compare
from healthgap.publish.web._published import NotPublishedError, Published
from healthgap.publish.web._reference import commitments, definitions, downloads, world
from healthgap.publish.web._selection import (
    breakdown_indicators,
    default_comparator,
    profile_areas,
)

__all__ = ["NAV", "default_comparator", "profile_areas", "slugs", "view"]

SLUG = re.compile(
    r"^(index|definitions|downloads|commitments|world|compare|inequalities)$|^(area|indicator|inequalities)-([A-Za-z0-9_.]+)$"
)
NAV = (
    ("index.html", "Overview", "index"),
    ("area-{area}.html", "Area profile", "area"),
    ("indicator-{indicator}.html", "Indicator", "indicator"),
    ("inequalities.html", "Inequalities", "inequalities"),
    ("commitments.html", "Commitments", "commitments"),
    ("world.html", "World cities", "world"),
    ("compare.html", "Compare two areas", "compare"),
    ("definitions.html", "Definitions and sources", "definitions"),
    ("downloads.html", "Downloads", "downloads"),
)


def slugs(pub: Published) -> list[str]:
    """Every page of the tool (what the static export writes)."""
    fixed = ["index", "definitions", "downloads", "commitments", "world", "compare"]
    areas = [f"area-{c}" for c in profile_areas(pub)]
    indicators = [f"indicator-{i}" for i in pub.indicators]
    unequal = [f"inequalities-{i}" for i in breakdown_indicators(pub)]
    return [*fixed, "inequalities", *areas, *indicators, *unequal]


def view(pub: Published, slug: str, state: Mapping[str, str]) -> View:
    """Build the page ``slug`` in ``state``.

    Raises
    ------
    NotPublishedError
        When the page names an area or indicator that is not published.
    InputError
        When a filter has a value it cannot take (the message names the filter).
    """
    match = SLUG.match(slug)
    if match is None:
        raise NotPublishedError(f"no page {slug!r}")
    comparator = state.get("comparator") or default_comparator(pub)
    if comparator not in pub.comparators:
        raise InputError(
            f"parameter 'comparator' must be one of {list(pub.comparators)}; got {comparator!r}"
        )
    if match.group(1):
        builder = {
            "index": overview,
            "definitions": definitions,
            "downloads": downloads,
            "commitments": commitments,
            "world": world,
            "compare": compare,
            "inequalities": inequalities_index,
        }[match.group(1)]
        return builder(pub, state, comparator)
    kind, key = match.group(2), match.group(3)
    if kind == "area":
        pub.area(key)
        return area_profile(pub, key, state, comparator)
    pub.indicator(key)
    if kind == "indicator":
        return indicator_view(pub, key, state, comparator)
    return inequalities_view(pub, key, state, comparator)
