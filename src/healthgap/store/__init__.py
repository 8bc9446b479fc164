"""The embedded DuckDB store: areas, hierarchies, indicators, values and vintages.

>>> from healthgap.store import Store, InputFile

``Store`` is loaded on first use, so ``healthgap.store.schema`` and ``healthgap.store.inputs``
(what the importers in :mod:`healthgap.sources` need) import without loading DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthgap._extras import require
from healthgap.store.inputs import InputFile

if TYPE_CHECKING:
    from healthgap.store.store import Store

__all__ = ["InputFile", "Store"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        require("healthgap.store.Store", "store", "duckdb")
        from healthgap.store.store import Store

        return Store
    raise AttributeError(f"module 'healthgap.store' has no attribute {name!r}")
