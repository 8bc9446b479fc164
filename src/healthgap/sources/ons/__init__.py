"""ONS files, one module per file family.

* :mod:`~healthgap.sources.ons.population`: mid-year estimates (MYE2 workbooks, MYEB CSVs);
* :mod:`~healthgap.sources.ons.census`: Census 2021 populations (TS007A, TS009) and, through
  :mod:`~healthgap.sources.ons.census_shares`, any one-variable table (TS037, TS038 ...);
* :mod:`~healthgap.sources.ons.life_expectancy`: life expectancy by local areas;
* :mod:`~healthgap.sources.ons.els`: Explore Local Statistics tidy CSVs;
* :mod:`~healthgap.sources.ons.subnational`: the subnational indicators dataset;
* :mod:`~healthgap.sources.ons.ward_lookup`: Open Geography LSOA/OA to ward lookups.

``read_gla_ward_life_expectancy`` (a GLA file) lives in :mod:`healthgap.sources.gla` and is
re-exported here for code written before the split.
"""

from healthgap.sources.gla import read_gla_ward_life_expectancy
from healthgap.sources.ons.census import read_census_2021
from healthgap.sources.ons.els import read_ons_els
from healthgap.sources.ons.life_expectancy import read_ons_life_expectancy
from healthgap.sources.ons.population import read_ons_population
from healthgap.sources.ons.subnational import read_ons_subnational
from healthgap.sources.ons.ward_lookup import read_ward_lookup

__all__ = [
    "read_census_2021",
    "read_gla_ward_life_expectancy",
    "read_ons_els",
    "read_ons_life_expectancy",
    "read_ons_population",
    "read_ons_subnational",
    "read_ward_lookup",
]
