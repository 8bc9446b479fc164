"""ONS Subnational indicators explorer: the ``revised_data.csv`` download (one period each)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from healthgap.sources import _validate
from healthgap.sources._csv import read_csv
from healthgap.sources._guard import reads
from healthgap.sources._ons import ONS
from healthgap.sources._tables import Imported
from healthgap.sources.ons.els import tidy_indicator_values

__all__ = ["read_ons_subnational"]

#: The download's columns -> Explore Local Statistics' names for the same things.
_AS_ELS = {
    "unique": "areacd",
    "group": "areanm",
    "Geography": "geography",
    "Indicator": "indicator",
    "Period": "period",
    "real": "observation",
    "Measure": "measure",
    "unit": "unit",
}
#: Columns every version of the download has (``Geography`` came in 2022, ``value`` is
#: a score, not the statistic).
_REQUIRED = ("unique", "group", "Indicator", "Period", "real")


@reads("ons-subnational", "the ONS subnational indicators CSV")
def read_ons_subnational(path: str | Path, *, indicator_prefix: str = "ons-") -> Imported:
    """ONS "Subnational indicators explorer" data (``revised_data.csv``) into store tables.

    Parameters
    ----------
    path : str or Path
        CSV with columns ``unique`` (area code), ``group`` (area name), ``Geography``,
        ``Indicator``, ``id``, ``Category``, ``Period``, ``Measure``, ``unit``, ``real`` (the
        published value; ``NA`` where none) and ``value`` (a standardised score, not kept in
        ``values``); earlier versions lack ``Geography`` and add ``mean``, ``median`` and
        ``z_score``, which are not kept. Periods as ONS writes them: ``2021``, ``2021/22``,
        ``2020 - 2022``, ``Financial year ending 2023``, ``04/2022 - 03/2023``, ``Sep-23``,
        ``As at 31 January 2024``, ``2019 revised``.
    indicator_prefix : str, default "ons-"
        Prefix of the indicator ids: the indicator name in kebab case without a leading sex,
        as :func:`~healthgap.sources.read_ons_els` names them, so the same series join
        (``Male healthy life expectancy`` -> ``ons-healthy-life-expectancy``, sex Male).

    Returns
    -------
    Imported
        ``values`` (no limits: the file has none), ``areas``, ``indicators`` (unit from
        ``unit``) and ``extra["standardised_scores"]`` (the value keys with ``score``).

    Raises
    ------
    ImportValidationError
        Missing columns, malformed codes, values that are not numbers, unparseable
        periods, duplicate keys.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    raw = read_csv(path)
    _validate.require_columns(raw.columns, _REQUIRED, problems)
    frame = raw.rename({"value": "_score"} if "value" in raw.columns else {})
    frame = frame.rename({k: v for k, v in _AS_ELS.items() if k in frame.columns})
    frame = frame.with_columns(
        pl.when(pl.col("observation") == "NA").then(None).otherwise(pl.col("observation"))
    )
    imported = tidy_indicator_values(
        frame,
        path,
        problems,
        source="ons-subnational",
        indicator_prefix=indicator_prefix,
        data_source=f"{ONS} (Subnational indicators explorer)",
        labels={v: k for k, v in _AS_ELS.items()},
    )
    if "_score" not in frame.columns:  # the earliest downloads have no scores
        return imported
    scores = _validate.numbers(frame, ["_score"], problems, {"_score": "value"})
    problems.raise_if_any()
    keys = pl.from_arrow(imported.values.select(["indicator_id", "area_code", "period", "sex"]))
    imported.extra["standardised_scores"] = keys.with_columns(
        scores["_score"].alias("score")
    ).to_arrow()
    return imported
