"""OHID Fingertips CSV files: read both dialects, write the API-download dialect.

Fingertips publishes indicator data as CSV in two dialects (OHID Fingertips API,
``/api/all_data/csv/...``, and the web tool's "Export table as CSV" buttons):

* **API download** (``indicators-<AreaType>.data.csv``): 26 columns before 2022, 27 since
  (``Time period range``); column 6 ``Area Name``; the parent comparison column is
  ``Compared to <parent type> value or percentiles`` (or ``Compared to percentiles``);
  quoted only when needed, so an ``Indicator Name`` may hold a newline inside quotes; data
  rows may have fewer fields than the header (the trailing ``Compared to goal`` is left out).
* **Chart export** (``Compare_areas.csv``, ``Trends.csv``): UTF-8 byte-order mark, every
  field quoted, column 6 ``AreaName``, ``Compared to parent value or percentiles``, counts
  with thousands separators (``"72,293"``) and HTML in counts and value notes.

Both are read by one reader; rows are validated before anything is returned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pyarrow as pa

from healthgap._conventions import LIMITS
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.sources import _validate
from healthgap.sources._csv import read_csv
from healthgap.sources._guard import reads
from healthgap.sources._periods import parse_periods
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    recode_areas,
    values_arrow,
)

__all__ = ["read_fingertips_csv", "read_fingertips_table", "write_fingertips_csv"]

ENGLAND = "E92000001"

# Fingertips column -> our column (VALUES names where there is one).
_COLUMNS = {
    "Indicator ID": "indicator_id",
    "Indicator Name": "indicator_name",
    "Parent Code": "parent_code",
    "Parent Name": "parent_name",
    "Area Code": "area_code",
    "Area Name": "area_name",
    "Area Type": "area_type_label",
    "Sex": "sex",
    "Age": "age",
    "Category Type": "category_type",
    "Category": "category",
    "Time period": "period",
    "Value": "value",
    "Lower CI 95.0 limit": "lower95_0cl",
    "Upper CI 95.0 limit": "upper95_0cl",
    "Lower CI 99.8 limit": "lower99_8cl",
    "Upper CI 99.8 limit": "upper99_8cl",
    "Count": "count",
    "Denominator": "denominator",
    "Value note": "value_note",
    "Recent Trend": "recent_trend",
    "Compared to England value or percentiles": "compared_to_england",
    "Compared to parent value or percentiles": "compared_to_parent",
    "Time period Sortable": "time_period_sortable",
    "New data": "new_data",
    "Compared to goal": "compared_to_goal",
    "Time period range": "time_period_range",
}
_REQUIRED = (
    "Indicator ID",
    "Indicator Name",
    "Area Code",
    "Area Name",
    "Sex",
    "Age",
    "Time period",
    "Value",
)
_NUMBERS = (
    "value",
    *LIMITS,
    "count",
    "denominator",
)
#: Text columns that may be empty; R's "NA" there means empty.
_OPTIONAL_TEXT = (
    "parent_code",
    "parent_name",
    "area_type_label",
    "category_type",
    "category",
    "value_note",
    "recent_trend",
    "compared_to_england",
    "compared_to_parent",
    "new_data",
    "compared_to_goal",
    "time_period_range",
)
_PARENT = re.compile(r"^Compared to (?!England value)(.+ value or percentiles|percentiles)$")
_PROPORTION_NAME = r"(?i)(\bpercentage\b|\bproportion\b|%)"

# The 27 columns of the API download, in order (Fingertips API /api/all_data/csv).
API_COLUMNS = [
    "Indicator ID",
    "Indicator Name",
    "Parent Code",
    "Parent Name",
    "Area Code",
    "Area Name",
    "Area Type",
    "Sex",
    "Age",
    "Category Type",
    "Category",
    "Time period",
    "Value",
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Lower CI 99.8 limit",
    "Upper CI 99.8 limit",
    "Count",
    "Denominator",
    "Value note",
    "Recent Trend",
    "Compared to England value or percentiles",
    "Compared to percentiles",
    "Time period Sortable",
    "New data",
    "Compared to goal",
    "Time period range",
]


_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&nbsp;": " ", "&amp;": "&"}


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _strip_html(expr: pl.Expr) -> pl.Expr:
    text = expr.str.replace_all(r"<[^>]*>", "").str.strip_chars()
    for entity, char in _ENTITIES.items():
        text = text.str.replace_all(entity, char, literal=True)
    return pl.when(text == "").then(None).otherwise(text)


def _squash(name: str) -> str:
    """Header spelling without case, spaces or punctuation but the decimal point."""
    return re.sub(r"[^0-9a-z.]", "", name.lower())


# Every spelling of a column (API "Area Code", fingertipsR "AreaCode", chart export
# "AreaName", fingertips_py) -> the API download's name.
_SPELLINGS = {_squash(name): name for name in [*_COLUMNS, "Compared to percentiles"]}
_PARENT_SQUASHED = re.compile(r"^comparedto(?!englandvalue)(.+valueorpercentiles|percentiles)$")


def _canonical(header: list[str]) -> dict[str, str]:
    """File column -> the API download's spelling, for the columns Fingertips defines."""
    names = {}
    for column in header:
        squashed = _squash(column)
        if squashed in _SPELLINGS:
            names[column] = _SPELLINGS[squashed]
        elif _PARENT_SQUASHED.match(squashed):
            names[column] = (
                column if _PARENT.match(column) else "Compared to parent value or percentiles"
            )
    return names


def _read(path: Path) -> tuple[pl.DataFrame, list[str], str | None, _validate.Problems]:
    """Raw text frame (API-download column names, `_line`), the header, the parent column."""
    problems = _validate.Problems(path)
    raw = read_csv(path, allow_short_rows=True)  # the API download leaves trailing fields out
    names = _canonical([c for c in raw.columns if c != "_line"])
    present = set(raw.columns)
    raw = raw.rename({k: v for k, v in names.items() if k != v and v not in present})
    header = [c for c in raw.columns if c != "_line"]
    _validate.require_columns(header, _REQUIRED, problems)
    parent = next((c for c in header if _PARENT.match(c)), None)
    return raw, header, parent, problems


def _normalise(raw: pl.DataFrame, parent: str | None, problems: _validate.Problems) -> pl.DataFrame:
    """Our column names, numbers parsed, HTML and trailing newlines removed, periods parsed."""
    renames = {k: v for k, v in _COLUMNS.items() if k in raw.columns}
    if parent:
        renames[parent] = "compared_to_parent"
    labels = {v: k for k, v in renames.items()}
    raw = raw.rename(renames)
    # R's write.csv (fingertipsR users' saved exports) writes a missing text as NA; Fingertips
    # itself leaves these columns empty and never uses "NA" as a label in them.
    optional = [c for c in _OPTIONAL_TEXT if c in raw.columns]
    raw = raw.with_columns(pl.col(c).replace("NA", None) for c in optional)
    frame = raw.with_columns(
        *(pl.lit("").alias(c) for c in ("category_type", "category") if c not in labels),
        pl.col("indicator_name").str.strip_chars(),
        pl.col("area_code").str.strip_chars(),
        *(_strip_html(pl.col(c)).alias(c) for c in ("value_note",) if c in renames.values()),
    )
    frame = _validate.numbers(frame, _NUMBERS, problems, labels)
    if "time_period_sortable" in frame.columns:
        frame = _validate.numbers(frame, ["time_period_sortable"], problems, labels)
        frame = frame.with_columns(pl.col("time_period_sortable").cast(pl.Int64))
    frame = parse_periods(frame, "period", problems, label="Time period")
    _validate.area_codes(
        frame, "area_code", problems, pattern=_validate.GSS_OR_ODS_CODE, label="Area Code"
    )
    problems.add(
        frame,
        pl.col("indicator_id").is_null()
        | ~pl.col("indicator_id").str.contains(_validate.INDICATOR_ID),
        "Indicator ID",
        "indicator_id",
        "an indicator id (letters, digits, '_', '.' or '-')",
    )
    return frame.with_columns(
        pl.col(c).fill_null("") for c in ("category_type", "category") if c in frame.columns
    )


@reads("fingertips", "a Fingertips CSV export")
def read_fingertips_table(path: str | Path) -> pa.Table:
    r"""Read every column of a Fingertips CSV (either dialect): snake_case names, numbers parsed.

    This keeps what the store does not: Fingertips' own judgements (``recent_trend``,
    ``compared_to_england_value_or_percentiles``, the parent comparison, ``compared_to_goal``),
    so comparisons can be checked against them.

    Parameters
    ----------
    path : str or Path
        A Fingertips CSV in the API-download or chart-export dialect.

    Returns
    -------
    pyarrow.Table
        One row per data row, the file's columns in order with snake_case names
        (``Lower CI 95.0 limit`` -> ``lower_ci_95_0_limit``; ``AreaName`` -> ``area_name``).
        The parent comparison column, whatever the file calls it, is
        ``compared_to_parent_value_or_percentiles``; its original name is kept in the schema
        metadata under ``parent_comparison_column``. ``indicator_id`` and
        ``time_period_sortable`` are int64; values, limits, count and denominator float64
        (thousands separators removed; HTML placeholders null); value notes without HTML.

    Raises
    ------
    ImportValidationError
        When required columns are missing or numbers, periods or codes are malformed.

    Examples
    --------
    >>> import tempfile, os
    >>> text = ('Indicator ID,Indicator Name,Area Code,Area Name,Sex,Age,Time period,Value,'
    ...         'Compared to Region value or percentiles\n'
    ...         '1,"Rate\n",E09000001,City,Persons,All ages,2015 - 17,"1,234.5",Better\n')
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "f.csv")
    ...     _ = open(p, "w").write(text)
    ...     t = read_fingertips_table(p)
    >>> t.column("value").to_pylist(), t.column("compared_to_parent_value_or_percentiles")[0]
    ([1234.5], <pyarrow.StringScalar: 'Better'>)
    >>> t.column("indicator_name")[0].as_py(), t.column("time_period")[0].as_py()
    ('Rate', '2015 - 17')
    """
    path = Path(path)
    raw, header, parent, problems = _read(path)
    frame = _normalise(raw, parent, problems)
    problems.raise_if_any()
    names = {}
    for col in header:
        ours = "compared_to_parent" if col == parent else _COLUMNS.get(col)
        out = (
            "compared_to_parent_value_or_percentiles"
            if col == parent
            else "area_name"
            if col == "Area Name"
            else _snake(col)
        )
        names[ours or col] = out
    frame = frame.with_columns(pl.col("indicator_id").cast(pl.Int64, strict=False))
    table = _plain_strings(frame.select(pl.col(k).alias(v) for k, v in names.items()).to_arrow())
    return table.replace_schema_metadata({"parent_comparison_column": parent or ""})


def _plain_strings(table: pa.Table) -> pa.Table:
    """Polars gives large_string columns; the store's schemas use string."""
    schema = pa.schema(
        [pa.field(f.name, pa.string()) if f.type == pa.large_string() else f for f in table.schema]
    )
    return table.cast(schema)


def _polarity(frame: pl.DataFrame) -> dict[str, str]:
    """Polarity per indicator from Fingertips' own labels.

    Trend labels say it directly ("Increasing and getting better" -> high is good); else a
    "Better"/"Worse" comparison with England's value for the same period, sex, age says
    whether higher values were judged better. "Higher"/"Lower" (BOB) means no judgement.
    """
    votes = []
    if "recent_trend" in frame.columns:
        trend = pl.col("recent_trend")
        up, better = trend.str.starts_with("Increasing"), trend.str.ends_with("getting better")
        worse = trend.str.ends_with("getting worse")
        votes.append(
            frame.filter(better | worse).select(
                "indicator_id",
                pl.when(up == better)
                .then(pl.lit("high_is_good"))
                .otherwise(pl.lit("low_is_good"))
                .alias("polarity"),
            )
        )
    if "compared_to_england" in frame.columns:
        keys = ["indicator_id", "period", "sex", "age"]
        england = frame.filter((pl.col("area_code") == ENGLAND) & (pl.col("category_type") == ""))
        england = england.select(*keys, pl.col("value").alias("_england")).unique(keys)
        joined = frame.join(england, on=keys, how="inner")
        label = pl.col("compared_to_england")
        higher = pl.col("value") > pl.col("_england")
        judged = joined.filter(
            label.is_in(["Better", "Worse"])
            & pl.col("value").is_not_null()
            & (pl.col("value") != pl.col("_england"))
        )
        votes.append(
            judged.select(
                "indicator_id",
                pl.when(higher == (label == "Better"))
                .then(pl.lit("high_is_good"))
                .otherwise(pl.lit("low_is_good"))
                .alias("polarity"),
            )
        )
    if not votes:
        return {}
    ranked = (
        pl.concat(votes)
        .group_by("indicator_id", "polarity")
        .len()
        .sort("len", descending=True)
        .unique("indicator_id", keep="first")
    )
    return dict(zip(ranked["indicator_id"], ranked["polarity"], strict=True))


def _indicators(frame: pl.DataFrame) -> list[IndicatorMeta]:
    polarity = _polarity(frame)
    firsts = frame.group_by("indicator_id", maintain_order=True).agg(
        pl.col("indicator_name").first(),
        pl.col("age").first(),
        pl.col("sex").unique(maintain_order=True),
    )
    metas = []
    for ind, name, age, sexes in firsts.iter_rows():  # one row per indicator, not per value
        metas.append(
            IndicatorMeta(
                id=ind,
                name=name,
                age=age or "All ages",
                sex=tuple(s for s in sexes if s in ("Persons", "Male", "Female")) or ("Persons",),
                polarity=polarity.get(ind, "no_judgement"),
                fingertips_id=int(ind) if ind.isdigit() else None,
                data_source="OHID Fingertips",
                attribution="Contains public sector information licensed under the Open Government "
                "Licence v3.0 (OHID Fingertips)",
            )
        )
    return metas


@reads("fingertips", "a Fingertips CSV export")
def read_fingertips_csv(path: str | Path) -> Imported:
    """Read a Fingertips CSV (API download or chart export) into store tables.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    Imported
        ``values`` (schema VALUES; one row per data row, rows repeating another's key and
        numbers kept once; ``indicator_id`` is Fingertips' indicator id as text;
        ``period_start``/``period_years`` parsed from ``Time period``),
        ``areas`` (codes and names of every area and parent, type from the code),
        ``hierarchy`` ``"fingertips-parent"`` (area -> the parent it was compared with),
        ``indicators`` (id, name, polarity where the file's judgements imply it) and
        ``judgements`` (kept by the store with the vintage) and, the same table,
        ``extra["fingertips_comparisons"]``: the value keys with ``recent_trend``,
        ``compared_to_england``, ``compared_to_parent`` and ``compared_to_goal``.

    Raises
    ------
    ImportValidationError
        Listing file line, column and expectation for: missing columns, text in numeric
        columns, malformed area codes, unparseable periods, duplicate keys, negative counts,
        counts above denominators (indicators named as a percentage or proportion), and
        confidence limits that do not bracket the value (first 20 problems and the total).

    Notes
    -----
    Empty fields, ``-`` and HTML placeholders (``<div class="no-data">-</div>``) are missing
    values; HTML tags are removed from value notes; thousands separators from numbers.
    """
    path = Path(path)
    raw, _, parent, problems = _read(path)
    frame = _normalise(raw, parent, problems)
    problems.raise_if_any()
    # An area listed under two area types (a London borough as upper and lower tier) repeats
    # the same numbers: keep one; only rows whose numbers differ are duplicate keys.
    same = [
        "indicator_id",
        "area_code",
        "period",
        "sex",
        "age",
        "category_type",
        "category",
        *_NUMBERS,
    ]
    frame = frame.unique(
        subset=[c for c in same if c in frame.columns], keep="first", maintain_order=True
    )
    labels = {v: k for k, v in _COLUMNS.items()}
    _validate.values_table(
        frame,
        problems,
        labels=labels,
        proportion=pl.col("indicator_name").str.contains(_PROPORTION_NAME),
    )
    problems.raise_if_any()
    frame = _validate.note_rounded_limits(frame)
    frame, hierarchy, successor_areas = recode_areas(
        frame,
        frame.filter(pl.col("parent_code").is_not_null()).select(
            pl.lit("fingertips-parent").alias("hierarchy"),
            pl.col("area_code").alias("child_code"),
            pl.col("parent_code").alias("parent_code"),
        )
        if "parent_code" in frame.columns
        else None,
    )

    areas = pl.concat(
        [
            frame.select("area_code", "area_name"),
            frame.select(
                pl.col("parent_code").alias("area_code"), pl.col("parent_name").alias("area_name")
            )
            if "parent_code" in frame.columns
            else pl.DataFrame(),
            successor_areas,
        ],
        how="diagonal",
    )
    keys = ["indicator_id", "area_code", "period", "sex", "age", "category_type", "category"]
    judgements = [
        c
        for c in ("recent_trend", "compared_to_england", "compared_to_parent", "compared_to_goal")
        if c in frame.columns
    ]
    values = values_arrow(frame)
    # the judgements keyed exactly as the values they judge (the same rows, keys filled alike)
    published = _plain_strings(
        pa.table({k: values[k] for k in keys} | {c: frame[c].to_arrow() for c in judgements})
    )
    return Imported(
        source="fingertips",
        values=values,
        areas=areas_arrow(areas),
        hierarchy=hierarchy,
        judgements=published,
        indicators=_indicators(frame),
        inputs=inputs_of(path),
        extra={"fingertips_comparisons": published},
    )


# Our area types -> the Area Type text Fingertips would write.
_FINGERTIPS_AREA_TYPE = {
    "country": "England",
    "region": "Regions",
    "la": "Local authorities",
    "county": "Counties",
    "lsoa": "LSOA",
    "msoa": "MSOA",
    "ward": "Ward",
}


def _polars(table: object) -> pl.DataFrame:
    """Arrow, Polars or pandas table as Polars."""
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pa.Table):
        return pl.from_arrow(table)
    return pl.from_pandas(table)


def _number_text(column: str) -> pl.Expr:
    """Whole numbers without '.0' (counts as Fingertips writes them), others round-trip exact."""
    x = pl.col(column).cast(pl.Float64)
    whole = x.is_finite() & (x == x.round()) & (x.abs() < 2**53)
    return pl.when(whole).then(x.cast(pl.Int64).cast(pl.String)).otherwise(x.cast(pl.String))


def write_fingertips_csv(
    values: pa.Table, areas: pa.Table | None, indicators: Sequence[IndicatorMeta], path: str | Path
) -> Path:
    r"""Write a VALUES table as a Fingertips API-download CSV (27 columns).

    Parameters
    ----------
    values : pyarrow.Table (or Polars / pandas)
        Schema VALUES (:mod:`healthgap.store.schema`).
    areas : pyarrow.Table (or Polars / pandas) or None
        Schema AREAS; gives ``Area Name`` and ``Area Type`` (blank for unknown codes).
    indicators : sequence of IndicatorMeta
        Gives ``Indicator Name``; ``Indicator ID`` is our indicator id, so the file reads
        back to the same values with :func:`read_fingertips_csv`.
    path : str or Path
        Output file (UTF-8, no byte-order mark, ``\n`` line ends, quoted only when needed).

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    Numbers are written with the shortest text that reads back to the same float64; whole
    numbers without a decimal point.
    Fingertips' own judgement columns (``Recent Trend``, ``Compared to ...``) are left empty;
    ``Time period Sortable`` is the first year times 10,000 and ``Time period range``
    ``<years>y``. Apply disclosure control before calling this (``healthgap.store`` exports do).
    """
    path = Path(path)
    frame = _polars(values)
    names = pl.DataFrame(
        {"indicator_id": [m.id for m in indicators], "_ind_name": [m.name for m in indicators]},
        schema={"indicator_id": pl.String, "_ind_name": pl.String},
    )
    frame = frame.join(names, on="indicator_id", how="left", maintain_order="left")
    area_frame = _polars(areas) if areas is not None else None
    if area_frame is not None and area_frame.height:
        a = area_frame.select("area_code", "area_name", "area_type").unique(
            "area_code", keep="first"
        )
        frame = frame.join(a, on="area_code", how="left", maintain_order="left")
    else:
        frame = frame.with_columns(
            pl.lit(None, pl.String).alias("area_name"), pl.lit(None, pl.String).alias("area_type")
        )
    empty = pl.lit(None, pl.String)
    out = frame.select(
        pl.col("indicator_id").alias("Indicator ID"),
        pl.col("_ind_name").fill_null(pl.col("indicator_id")).alias("Indicator Name"),
        empty.alias("Parent Code"),
        empty.alias("Parent Name"),
        pl.col("area_code").alias("Area Code"),
        pl.col("area_name").alias("Area Name"),
        pl.col("area_type").replace(_FINGERTIPS_AREA_TYPE).alias("Area Type"),
        pl.col("sex").alias("Sex"),
        pl.col("age").alias("Age"),
        pl.col("category_type").alias("Category Type"),
        pl.col("category").alias("Category"),
        pl.col("period").alias("Time period"),
        *(
            _number_text(ours).alias(theirs)
            for theirs, ours in _COLUMNS.items()
            if ours in _NUMBERS
        ),
        pl.col("value_note").alias("Value note"),
        empty.alias("Recent Trend"),
        empty.alias("Compared to England value or percentiles"),
        empty.alias("Compared to percentiles"),
        (pl.col("period_start").cast(pl.Int64) * 10000).alias("Time period Sortable"),
        empty.alias("New data"),
        empty.alias("Compared to goal"),
        pl.format("{}y", pl.col("period_years")).alias("Time period range"),
    )
    out.select(API_COLUMNS).write_csv(path, null_value="")
    return path
