"""From record-level data to indicators, through Ibis (DuckDB by default, or PySpark)."""
