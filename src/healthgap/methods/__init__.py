"""The official OHID / PHE indicator methods, vectorised over all groups at once.

Every public function takes a pandas, Polars or Arrow table and returns the same kind, with
PHEindicatormethods' columns (``value``, ``lowercl``, ``uppercl`` or the 95%/99.8% pair,
``confidence``, ``statistic``, ``method``). Names are those of PHEindicatormethods, so its
users find their way: ``proportion``, ``rate``, ``mean``, ``dsr``, ``israte``, ``isratio``,
``quantile``, ``funnel_limits``, ``funnel_significance``, ``funnel_points``, and the
life-expectancy and inequality methods.

Modules are imported on first use, so ``import healthgap.methods`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module (one concept a module)
_EXPORTS = {
    "proportion": "proportion",
    "rate": "rate",
    "mean": "mean",
    "dsr": "dsr",
    "israte": "isr",
    "isratio": "isr",
    "quantile": "quantile",
    "funnel_limits": "funnel",
    "funnel_significance": "funnel",
    "funnel_points": "funnel",
    "life_expectancy": "life_expectancy",
    "healthy_life_expectancy": "healthy_life_expectancy",
    "sii": "sii",
    "inequality_measures": "inequality",
    "decompose_gap": "decomposition",
    "ESP2013": "standard_populations",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'healthgap.methods' has no attribute {name!r}")
    return getattr(importlib.import_module(f"healthgap.methods.{module}"), name)


def __dir__() -> list[str]:
    return __all__
