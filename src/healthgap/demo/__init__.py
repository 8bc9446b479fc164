"""A deterministic synthetic London, used by the main job (``healthgap demo``)."""
