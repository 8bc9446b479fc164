"""Importers: official files (Fingertips, ONS, MHCLG, boundaries) to Arrow tables."""
