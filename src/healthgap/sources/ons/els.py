"""ONS Explore Local Statistics tidy CSVs (any indicator)."""

from __future__ import annotations

import re
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

#: The ELS columns and the spellings of them in ONS's files, squashed (lower case, letters
#: and digits only): the published tidy CSVs (``areacd ... lci_95``), the input data
#: spreadsheets (``AREACD, ..., Lower Confidence Interval (95%), Observation Status``), the
#: long files of one indicator (``value, lower_confidence_interval_95``), the metrics notes
#: (``Data source value, Data note``) and the subnational download (``Tier``). Only these:
#: another publisher's file (a Fingertips export: ``Area Code``, ``Value``) is refused, not
#: read with its other columns taken for breakdowns.
_SPELLINGS = {
    "areacd": ("areacd",),
    "areanm": ("areanm",),
    "geography": ("geography", "tier"),
    "indicator": ("indicator",),
    "period": ("period",),
    "observation": ("observation", "value", "datasourcevalue"),
    "measure": ("measure",),
    "unit": ("unit",),
    "lci_95": ("lci95", "lowerconfidenceinterval95"),
    "uci_95": ("uci95", "upperconfidenceinterval95"),
    "status": ("status", "observationstatus"),
    "notes": ("notes", "datanote"),
    "polarity": ("polarity",),
}
#: The spellings named when a column is missing.
_SHOWN = {
    "areacd": ("areacd", "AREACD"),
    "areanm": ("areanm", "AREANM"),
    "indicator": ("indicator", "Indicator"),
    "period": ("period", "Period"),
    "observation": ("observation", "Observation", "Value"),
}
_BY_SPELLING = {spelling: ours for ours, spellings in _SPELLINGS.items() for spelling in spellings}
#: ONS's polarity (1: higher is better, -1: lower is better, 0: neither; e.g. 4G coverage
#: 1, carbon dioxide emissions -1 in the input data spreadsheets) -> ours.
_POLARITY = {"1": "high_is_good", "-1": "low_is_good", "0": "no_judgement"}


def _slug(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_lowercase().str.replace_all(r"[^0-9a-z]+", "-").str.strip_chars("-")


def _squash(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _indicator_of_file(path: Path) -> str:
    """Name the indicator of a one-indicator file after the file.

    ``average-travel-time-long.csv`` -> ``Average travel time``; ``10_2023_4G
    coverage_IDS.csv`` -> ``4G coverage``.
    """
    stem = re.sub(r"(?i)^\d+_\d{4}_|[-_](?:long|wide|ids|data)$", "", path.stem)
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:]


def _els_columns(
    raw: pl.DataFrame, path: Path, problems: _validate.Problems
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Rename the file's columns to the ELS names; breakdowns to ``category_type``/``category``.

    Returns the frame and the ELS name -> the file's own column name (for messages). A file
    without an ``indicator`` column holds one indicator, named after the file, and its other
    columns (``mode-of-travel``) break the values down: their names become the category type
    and their cells the category. In a file with an ``indicator`` column other columns
    describe the indicator or the area (``Variable Name``, ``Mission``, ``Region``) and are
    left out.
    """
    file_names: dict[str, str] = {}
    breakdowns = []
    for column in raw.columns:
        if column == "_line" or not column.strip() or column.startswith("_duplicated_"):
            continue
        ours = _BY_SPELLING.get(_squash(column))
        if ours is not None and ours not in file_names:
            file_names[ours] = column
        else:
            breakdowns.append(column)
    frame = raw.select(
        *(pl.col(theirs).alias(ours) for ours, theirs in file_names.items()), *breakdowns, "_line"
    )
    if "indicator" in file_names:
        frame, breakdowns = frame.drop(breakdowns), []
    else:
        frame = frame.with_columns(pl.lit(_indicator_of_file(path)).alias("indicator"))
        file_names["indicator"] = f"(the file name {path.name!r})"
    for name in _ELS_COLUMNS:
        if name not in frame.columns:
            spellings = " or ".join(repr(s) for s in _SHOWN[name])
            problems.add_file_problem(name, "<absent>", f"a column named {spellings} in the header")
    problems.raise_if_any()
    if breakdowns:
        kind = "; ".join(re.sub(r"[-_]+", " ", b).strip().capitalize() for b in breakdowns)
        frame = frame.with_columns(
            pl.lit(kind).alias("category_type"),
            pl.concat_str([pl.col(b).fill_null("") for b in breakdowns], separator="; ").alias(
                "category"
            ),
        )
    return frame, file_names


@reads("ons-els", "an ONS Explore Local Statistics CSV")
def read_ons_els(path: str | Path, *, indicator_prefix: str = "ons-") -> Imported:
    """ONS Explore Local Statistics CSVs of any indicator (healthy life expectancy, pay ...).

    Parameters
    ----------
    path : str or Path
        A CSV in one of the layouts ONS publishes Explore Local Statistics data in:

        * the tidy CSV: ``areacd, areanm, geography, indicator, period, observation,
          measure, unit, lci_95, uci_95, status, notes``;
        * the input data spreadsheet saved as CSV (``..._IDS.csv``): ``AREACD, AREANM,
          Geography, Variable Name, Indicator, Mission, Category, Period, Value`` (or
          ``Observation``), ``Measure, Unit, Lower Confidence Interval (95%), Upper
          Confidence Interval (95%), Observation Status, Polarity, Notes``;
        * the long file of one indicator (``average-travel-time-long.csv``): ``areacd,
          areanm, geography, period, value, lower_confidence_interval_95,
          upper_confidence_interval_95, observation_status`` and breakdown columns
          (``mode-of-travel``); the indicator is named after the file.

        Column names are matched whatever their case, spaces and punctuation. Periods are
        ISO 8601 dates, months, durations or intervals (``2025-04-30``, ``2023-04``,
        ``2011-01-01/P3Y``) or any form :mod:`~healthgap.sources._periods` reads; area codes
        GSS or ITL (``TLI``, ``TLI3``).
    indicator_prefix : str, default "ons-"
        Prefix of the indicator ids, which are the indicator names in kebab case without a
        leading sex (``Male healthy life expectancy`` -> ``ons-healthy-life-expectancy``,
        sex ``Male``).

    Returns
    -------
    Imported
        ``values`` (95% limits from ``lci_95``/``uci_95``; periods relabelled ``2011 - 13``
        or ``2021/22``; value note from ``status`` and ``notes``; breakdown columns as
        ``category_type`` and ``category``), ``areas``, ``indicators`` (unit from ``unit``;
        polarity from ``Polarity`` where the file has it: 1 high is good, -1 low is good).

    Raises
    ------
    ImportValidationError
        Missing columns, malformed codes, non-numbers, unparseable periods, duplicate keys,
        limits not bracketing the value.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    frame, file_names = _els_columns(read_csv(path), path, problems)
    return tidy_indicator_values(
        frame,
        path,
        problems,
        source="ons-els",
        indicator_prefix=indicator_prefix,
        data_source=f"{ONS} (Explore Local Statistics)",
        labels=file_names,
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
        pl.col("areanm").str.strip_chars().alias("area_name"),
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
    if "polarity" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("polarity"))
    polarity = pl.col("polarity").cast(pl.String).str.strip_chars().str.replace(r"\.0$", "")
    metas = frame.group_by("indicator_id", maintain_order=True).agg(
        pl.col("indicator_name").first(),
        pl.col("unit").first() if "unit" in frame.columns else pl.lit("").alias("unit"),
        pl.col("sex").unique(maintain_order=True),
        polarity.drop_nulls().unique().alias("polarity"),
    )
    indicators = [
        IndicatorMeta(
            id=i,
            name=n,
            unit=u or "",
            data_source=data_source,
            sex=tuple(s for s in sexes if s in ("Persons", "Male", "Female")),
            polarity=_POLARITY.get(signs[0], "no_judgement") if len(signs) == 1 else "no_judgement",
            attribution=OGL,
        )
        for i, n, u, sexes, signs in metas.iter_rows()  # one row per indicator
    ]
    return Imported(
        source=source,
        values=values_arrow(frame),
        hierarchy=hierarchy,
        areas=areas_arrow(pl.concat([frame.select("area_code", "area_name"), successor_areas])),
        indicators=indicators,
        inputs=inputs_of(path),
    )
