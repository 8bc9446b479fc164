"""The web tool: API v1, Fingertips-compatible API and dashboard, served or exported static.

>>> from healthgap.publish.web import ResponseCache, create_app, write_site
"""

from healthgap.publish.web._cache import ResponseCache
from healthgap.publish.web.app import create_app
from healthgap.publish.web.site import write_site

__all__ = ["ResponseCache", "create_app", "write_site"]
