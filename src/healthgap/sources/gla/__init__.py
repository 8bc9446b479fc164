"""Greater London Authority (London Datastore) files."""

from healthgap.sources.gla.ward_life_expectancy import read_gla_ward_life_expectancy

__all__ = ["read_gla_ward_life_expectancy"]
