"""The official OHID / PHE indicator methods, vectorised over all groups at once.

Every public function takes a pandas, Polars or Arrow table and returns the same kind, with
PHEindicatormethods' columns (``value``, ``lowercl``, ``uppercl`` or the 95%/99.8% pair,
``confidence``, ``statistic``, ``method``). Names are those of PHEindicatormethods, so its
users find their way: ``proportion``, ``rate``, ``mean``, ``dsr``, ``israte``, ``isratio``,
``quantile``, ``funnel_limits``, ``funnel_significance``, ``funnel_points``, and the
life-expectancy and inequality methods.

Each function lives in a private module of its name (``proportion`` in ``_proportion.py``),
so ``healthgap.methods.proportion`` is only ever the function: import the functions from
``healthgap.methods``. The shared helpers are private too (``healthgap._checks``,
``healthgap._frames``, ``healthgap._output``, ``healthgap._limits``).
"""

from healthgap.methods._dsr import dsr
from healthgap.methods._healthy_life_expectancy import healthy_life_expectancy
from healthgap.methods._life_expectancy import life_expectancy
from healthgap.methods._mean import mean, mean_of_sums
from healthgap.methods._proportion import proportion
from healthgap.methods._quantile import quantile
from healthgap.methods._rate import rate
from healthgap.methods._sii import sii
from healthgap.methods.attributable import attributable_fraction
from healthgap.methods.decomposition import decompose_gap
from healthgap.methods.funnel import funnel_limits, funnel_points, funnel_significance
from healthgap.methods.inequality import inequality_measures
from healthgap.methods.isr import israte, isratio
from healthgap.methods.standard_populations import ESP2013

__all__ = [
    "ESP2013",
    "attributable_fraction",
    "decompose_gap",
    "dsr",
    "funnel_limits",
    "funnel_points",
    "funnel_significance",
    "healthy_life_expectancy",
    "inequality_measures",
    "israte",
    "isratio",
    "life_expectancy",
    "mean",
    "mean_of_sums",
    "proportion",
    "quantile",
    "rate",
    "sii",
]
