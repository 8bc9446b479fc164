"""healthgap: measure, monitor and publish health inequalities.

Data flows one way: ``sources -> store -> engine -> methods -> compare -> publish``.
The statistical methods live in :mod:`healthgap.methods`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("healthgap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
