"""ONS Explore Local Statistics tidy CSVs (any indicator)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.sources import _validate
from healthgap.sources._csv import read_csv
from healthgap.sources._guard import reads
from healthgap.sources._ons import OGL, ONS
from healthgap.sources._periods import parse_periods
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    recode_areas,
    values_arrow,
)

__all__ = ["read_ons_els"]

_ELS_COLUMNS = ("areacd", "areanm", "indicator", "period", "observation")


def _slug(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_lowercase().str.replace_all(r"[^0-9a-z]+", "-").str.strip_chars("-")


@reads("ons-els", "an ONS Explore Local Statistics CSV")
def read_ons_els(path: str | Path, *, indicator_prefix: str = "ons-") -> Imported:
    """ONS Explore Local Statistics tidy CSV (healthy life expectancy and the other series).

    Parameters
    ----------
    path : str or Path
        CSV with columns ``areacd, areanm, geography, indicator, period, observation,
        measure, unit, lci_95, uci_95, status, notes``; periods are ISO 8601 intervals
        (``2011-01-01/P3Y``).
    indicator_prefix : str, default "ons-"
        Prefix of the indicator ids, which are the indicator names in kebab case without a
        leading sex (``Male healthy life expectancy`` -> ``ons-healthy-life-expectancy``,
        sex ``Male``).

    Returns
    -------
    Imported
        ``values`` (95% limits from ``lci_95``/``uci_95``; periods relabelled ``2011 - 13``
        or ``2021/22``; value note from ``status`` and ``notes``), ``areas``, ``indicators``.

    Raises
    ------
    ImportValidationError
        Missing columns, malformed codes, non-numbers, unparseable periods, duplicate keys,
        limits not bracketing the value.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    raw = read_csv(path)
    _validate.require_columns(raw.columns, _ELS_COLUMNS, problems)
    return tidy_indicator_values(
        raw,
        path,
        problems,
        source="ons-els",
        indicator_prefix=indicator_prefix,
        data_source=f"{ONS} (Explore Local Statistics)",
    )


def tidy_indicator_values(
    raw: pl.DataFrame,
    path: Path,
    problems: _validate.Problems,
    *,
    source: str,
    indicator_prefix: str,
    data_source: str,
    labels: dict[str, str] | None = None,
) -> Imported:
    """Store tables from a frame with the ELS columns (``areacd`` ... ``notes``, ``_line``).

    ``labels`` maps the ELS names to the file's own, for messages.
    """
    own = labels or {}
    labels = {
        "value": own.get("observation", "observation"),
        "lower95_0cl": own.get("lci_95", "lci_95"),
        "upper95_0cl": own.get("uci_95", "uci_95"),
        "area_code": own.get("areacd", "areacd"),
        "period": own.get("period", "period"),
        "indicator_id": own.get("indicator", "indicator"),
    }
    sexed = pl.col("indicator").str.extract_groups(r"^(Male|Female|Persons)\s+(.+)$")
    name = pl.coalesce(sexed.struct.field("2"), pl.col("indicator"))
    frame = raw.with_columns(
        pl.col("areacd").alias("area_code"),
        pl.col("areanm").alias("area_name"),
        (pl.lit(indicator_prefix) + _slug(name)).alias("indicator_id"),
        (name.str.slice(0, 1).str.to_uppercase() + name.str.slice(1)).alias("indicator_name"),
        pl.coalesce(sexed.struct.field("1"), pl.lit("Persons")).alias("sex"),
        pl.concat_str(
            [c for c in ("status", "notes") if c in raw.columns], separator="; ", ignore_nulls=True
        ).alias("value_note")
        if any(c in raw.columns for c in ("status", "notes"))
        else pl.lit(None, pl.String).alias("value_note"),
        *(
            pl.col(src).alias(dst)
            for dst, src in (
                ("value", "observation"),
                ("lower95_0cl", "lci_95"),
                ("upper95_0cl", "uci_95"),
            )
            if src in raw.columns
        ),
    ).with_columns(
        pl.when(pl.col("value_note") == "")
        .then(None)
        .otherwise(pl.col("value_note"))
        .alias("value_note")
    )
    _validate.area_codes(
        frame, "area_code", problems, pattern=_validate.AREA_CODE, label=labels["area_code"]
    )
    frame = _validate.numbers(frame, ["value", "lower95_0cl", "upper95_0cl"], problems, labels)
    frame = parse_periods(frame, "period", problems, label=labels["period"])
    problems.raise_if_any()
    _validate.values_table(frame, problems, labels=labels)
    problems.raise_if_any()
    frame = _validate.note_rounded_limits(frame)
    frame, hierarchy, successor_areas = recode_areas(frame)
    metas = frame.group_by("indicator_id", maintain_order=True).agg(
        pl.col("indicator_name").first(),
        pl.col("unit").first() if "unit" in frame.columns else pl.lit("").alias("unit"),
        pl.col("sex").unique(maintain_order=True),
    )
    indicators = [
        IndicatorMeta(
            id=i,
            name=n,
            unit=u or "",
            data_source=data_source,
            sex=tuple(s for s in sexes if s in ("Persons", "Male", "Female")),
            attribution=OGL,
        )
        for i, n, u, sexes in metas.iter_rows()  # one row per indicator
    ]
    return Imported(
        source=source,
        values=values_arrow(frame),
        hierarchy=hierarchy,
        areas=areas_arrow(pl.concat([frame.select("area_code", "area_name"), successor_areas])),
        indicators=indicators,
        inputs=inputs_of(path),
    )
