"""How every value is judged: benchmarks, quintiles, recent trends, targets and peers.

Fingertips' own methods (OHID/PHE), made once, the same way for the report, the dashboard and
the exports, each saying how it was made:

- :func:`benchmark`: an area against a benchmark (England, London, the parent area): the
  benchmark value against the area's 95% interval, the two-level 95%/99.8% version, or the
  control-limit (SPC) tests for proportions and rates; labels by polarity.
- :func:`quintiles`: quintiles within a comparator group for indicators with no judgement.
- :func:`recent_trend`: the chi-squared test for trend on the 5 most recent points, significant
  at 99.8% and robust only if the slope keeps its sign when each point is left out.
- :func:`target_progress` / :func:`target_trajectory`: progress against a target, projected by
  a weighted linear fit with its prediction interval, and the trajectory for charts.
- :func:`peer_ranks`: ranks among chosen peers, with rank uncertainty by simulation.

Each takes a pandas, Polars or Arrow table and returns the same kind, all groups at once. A row
that cannot be judged says so ("Not compared", "Cannot be calculated") with the reason in the
``reason`` column, never a silent judgement. Polarity uses the catalogue's vocabulary:
``"high_is_good"``, ``"low_is_good"`` or ``"no_judgement"`` (Fingertips' blue-orange-blue).

- :func:`world_city_comparison`: London beside other world cities, saying which published
  figures are comparable.

Each function lives in a private module of its name (``benchmark`` in ``_benchmark.py``), so
``healthgap.compare.benchmark`` is only ever the function: import from ``healthgap.compare``.
"""

from healthgap.compare._benchmark import benchmark
from healthgap.compare._peer_ranks import peer_ranks
from healthgap.compare._quintiles import quintiles
from healthgap.compare._recent_trend import recent_trend
from healthgap.compare._target_progress import target_progress, target_trajectory
from healthgap.compare.world_cities import world_city_comparison

__all__ = [
    "benchmark",
    "peer_ranks",
    "quintiles",
    "recent_trend",
    "target_progress",
    "target_trajectory",
    "world_city_comparison",
]
