"""The London application: the GLA's Health Inequalities Strategy, built on the generic library.

Everything London-specific lives here, so a second city or a national profile is a new package
of definitions, not an edit of the library:

- ``catalogue/``: the Strategy (``strategy.yaml``: aims, commitments, targets), the world
  cities' figures (``world_cities.csv``) and the HIS indicator catalogue (``indicators/``);
- :mod:`healthgap.london.tiles`: the tile-grid map of the 33 boroughs;
- ``snapshot/``: a compact snapshot of real published figures for London, its boroughs and
  England (built by ``scripts/build_london_snapshot.py`` from ``../shared/data``);
- :mod:`healthgap.london.job`: the main job on real London (``healthgap demo``), with the
  gaps by deprivation of :mod:`healthgap.london.inequality` (LSOA deciles, boroughs) and,
  given an ONS LSOA to ward lookup, :mod:`healthgap.london.ward_gap` (wards);
- :mod:`healthgap.london.synthetic`: the synthetic record-level London and its job.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthgap.catalogue.strategy import Strategy, WorldCity, load_strategy, load_world_cities

if TYPE_CHECKING:
    from healthgap.sources.imd import Region

__all__ = [
    "ENGLAND_CODE",
    "LONDON_CODE",
    "LONDON_NAME",
    "STRATEGY_DIR",
    "deprivation_region",
    "report_options",
    "strategy",
    "world_cities",
]

#: ONS GSS codes of the London region and of England (ONS Register of Geographic Codes).
LONDON_CODE = "E12000007"
LONDON_NAME = "London"
ENGLAND_CODE = "E92000001"

#: The London Health Inequalities Strategy folder: strategy.yaml, world_cities.csv, indicators/.
STRATEGY_DIR = Path(__file__).parent / "catalogue"


def strategy() -> Strategy:
    """The London Health Inequalities Strategy (``catalogue/strategy.yaml``), validated."""
    return load_strategy(STRATEGY_DIR)


def world_cities() -> list[WorldCity]:
    """London's world-city comparators (``catalogue/world_cities.csv``), validated."""
    return load_world_cities(STRATEGY_DIR)


def deprivation_region() -> Region:
    """London for the IMD 2019 readers: its LSOAs are ranked within London too.

    The 33 London boroughs (the tile grid's local authorities, 2019 codes) under the name
    ``London``: the readers of :mod:`healthgap.sources.imd` add ``IMD 2019 decile (within
    London)`` and ``quintile (within London)``, the deciles the Strategy's gaps are measured
    across.
    """
    from healthgap.london.tiles import TILES
    from healthgap.sources.imd import Region

    return Region(LONDON_NAME, lads=tuple(sorted(TILES)))


def report_options() -> dict[str, Any]:
    """The London report's settings for :func:`healthgap.publish.report.write_report`.

    The area (the London region, E12000007: its 33 boroughs, with London and England as
    comparators), the Strategy, its world cities and the boroughs' tile grid.
    ``healthgap report --strategy london`` uses them.
    """
    from healthgap.london.tiles import TILES

    return {
        "area": LONDON_CODE,
        "strategy": strategy(),
        "world_cities": world_cities(),
        "tiles": TILES,
    }
