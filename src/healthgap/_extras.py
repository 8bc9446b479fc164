"""Optional dependencies: which extra installs what, and one clear error when it is absent.

``pip install healthgap`` gives the statistics (:mod:`healthgap.methods`,
:mod:`healthgap.compare`) on numpy, scipy, polars, pyarrow and narwhals. Everything else comes
with an extra: ``store`` (the DuckDB store, importers, catalogue and command line),
``engine`` (Ibis), ``report`` (HTML and PDF), ``web`` (the API and dashboard), ``spark`` and
``all``. A package that needs an extra calls :func:`require` when it is imported, so a missing
extra is named in one line instead of a traceback about a module.
"""

from __future__ import annotations

import importlib.util

from healthgap.errors import MissingDependencyError

__all__ = ["require"]


def require(part: str, extra: str, *modules: str) -> None:
    """Raise :class:`~healthgap.errors.MissingDependencyError` unless every module in ``modules`` can be imported.

    Parameters
    ----------
    part : str
        What needs the modules, as the message names it (``"healthgap.store"``).
    extra : str
        The extra of healthgap's distribution that installs them (``"store"``).
    *modules : str
        Top-level module names (``"duckdb"``).

    Examples
    --------
    >>> require("healthgap.methods", "core", "numpy")
    >>> require("a part", "store", "no_such_module_xyz")
    Traceback (most recent call last):
    ...
    healthgap.errors.MissingDependencyError: a part needs no_such_module_xyz, which comes with healthgap's 'store' extra: pip install 'healthgap[store]'
    """  # noqa: E501
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependencyError(
            f"{part} needs {', '.join(missing)}, which comes with healthgap's '{extra}' extra: "
            f"pip install 'healthgap[{extra}]'"
        )
