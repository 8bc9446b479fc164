"""Indicator and strategy definitions: declarative files validated by pydantic models."""
