"""From record-level data to indicators, through Ibis (DuckDB by default, or PySpark).

:func:`compute` runs a catalogue (:func:`healthgap.catalogue.load_catalogue`) on a folder of
Parquet/CSV tables or a mapping of tables and writes one store vintage; :func:`compute_values`
returns the values without a store and :func:`compute_counts` the aggregated counts. How
each method is counted and computed is its row of :data:`healthgap.catalogue.METHODS`,
whose ``run`` names one of the engine's ways of calling it
(:data:`healthgap.engine.run_table.RUNS`).
"""

from healthgap._extras import require

require("healthgap.engine", "engine", "ibis", "duckdb")

from healthgap.engine.compute import (
    Progress,
    compute,
    compute_counts,
    compute_values,
    values_from_counts,
)

__all__ = ["Progress", "compute", "compute_counts", "compute_values", "values_from_counts"]
