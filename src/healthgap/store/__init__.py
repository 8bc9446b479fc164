"""The embedded DuckDB store: areas, hierarchies, indicators, values and vintages.

>>> from healthgap.store import Store, InputFile
"""

from healthgap._extras import require

require("healthgap.store", "store", "duckdb")

from healthgap.store.inputs import InputFile
from healthgap.store.store import Store

__all__ = ["InputFile", "Store"]
