"""The embedded DuckDB store: areas, hierarchies, indicators, values and vintages."""
