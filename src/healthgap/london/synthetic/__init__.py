"""A deterministic synthetic London (record-level), run by ``healthgap demo`` beside the real one.

Every figure it makes is labelled synthetic wherever it is shown.
"""
