"""Any tidy table (CSV, Parquet, Excel) of indicator values, with a declared column mapping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from healthgap._conventions import LIMITS
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.errors import InputError
from healthgap.sources import _validate
from healthgap.sources._csv import find_header_line, read_csv, read_header
from healthgap.sources._csv_margins import margin_rows
from healthgap.sources._excel import cell_text, read_sheet
from healthgap.sources._guard import reads
from healthgap.sources._periods import parse_periods
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    recode_areas,
    values_arrow,
)

__all__ = ["read_tidy", "tidy_options"]

_TARGETS = (
    "indicator_id",
    "area_code",
    "area_name",
    "period",
    "sex",
    "age",
    "category_type",
    "category",
    "value",
    *LIMITS,
    "count",
    "denominator",
    "value_note",
)
_NUMERIC = (
    "value",
    *LIMITS,
    "count",
    "denominator",
)
_DEFAULTS = {"sex": "Persons", "age": "All ages", "category_type": "", "category": ""}


def _read_any(
    path: Path,
    columns: list[str],
    numeric: list[str],
    sheet: str | int | None,
    problems: _validate.Problems,
) -> pl.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = pl.read_parquet(path, columns=columns)
        return frame.with_columns((pl.int_range(pl.len()) + 1).cast(pl.Int64).alias("_line"))
    if suffix in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        # the header is the first row naming every mapped column (titles may stand above it)
        wanted = set(columns)

        def names_every_column(row: list) -> bool:
            return wanted <= {cell_text(cell) for cell in row}

        frame = read_sheet(
            path,
            0 if sheet is None else sheet,
            problems,
            names_every_column,
            f"a header row naming the mapped columns {sorted(wanted)}",
        )
        frame = frame.filter(~margin_rows(frame.select(*columns, "_line")))
        return frame.select(*columns, "_line")
    separator = "\t" if suffix == ".tsv" else ","
    header = read_header(path, separator=separator)
    line = None
    if not set(columns) <= set(header):  # a title line with two fields hides the header
        line = find_header_line(path, columns, separator=separator)
        header = (
            header if line is None else read_header(path, separator=separator, header_line=line)
        )
    _validate.require_columns(header, columns, problems)
    try:  # fast path: numeric columns parse as numbers straight away
        return read_csv(
            path,
            columns=columns,
            separator=separator,
            schema_overrides=dict.fromkeys(numeric, pl.Float64),
            header_line=line,
        )
    except pl.exceptions.ComputeError:  # some cell is not a plain number: read text, report it
        return read_csv(path, columns=columns, separator=separator, header_line=line)


def _choices(source: str) -> list[str]:
    """Split a mapped source into the columns it names: ``new_la_code|region_code``."""
    return [c.strip() for c in source.split("|") if c.strip()] or [source]


def _first_filled(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    """Take the first non-empty of ``columns`` in each row (empty text counts as empty)."""
    if len(columns) == 1:
        return pl.col(columns[0])
    return pl.coalesce(
        pl.col(c).replace("", None) if frame.schema[c] == pl.String else pl.col(c) for c in columns
    )


@reads("tidy", "a tidy CSV, TSV, Parquet or Excel table")
def read_tidy(
    path: str | Path,
    mapping: Mapping[str, str],
    *,
    indicator_id: str | None = None,
    period: str | None = None,
    sex: str | None = None,
    age: str | None = None,
    category_type: str | None = None,
    category: str | None = None,
    sheet: str | int | None = None,
    proportion: bool = False,
    code_pattern: str = _validate.GSS_CODE,
    indicators: Sequence[IndicatorMeta] = (),
) -> Imported:
    r"""Read indicator values from a tidy CSV, TSV, Parquet or Excel file, by a column mapping.

    Parameters
    ----------
    path : str or Path
        The file; the format follows the suffix (``.csv``, ``.tsv``, ``.parquet``, ``.xlsx``,
        ``.xls``, ``.ods``).
    mapping : mapping of str to str
        Our column -> the file's column, for any of ``indicator_id, area_code, area_name,
        period, sex, age, category_type, category, value, lower95_0cl, upper95_0cl,
        lower99_8cl, upper99_8cl, count, denominator, value_note``. ``area_code`` is required;
        ``indicator_id`` and ``period`` unless given as constants below. Columns separated by
        ``|`` give the first non-empty of them (``new_la_code|region_code|country_code`` for a
        Department for Education file whose rows are of several geographic levels).
    indicator_id, period, sex, age, category_type, category : str, optional
        Constants for columns the file does not have (defaults: sex ``Persons``, age
        ``All ages``, no breakdown).
    sheet : str or int, optional
        Sheet of an Excel file (default: the first).
    proportion : bool, default False
        The values are proportions: check that counts do not exceed denominators.
    code_pattern : str, default GSS codes
        Regular expression area codes must match.
    indicators : sequence of IndicatorMeta, optional
        Metadata to return with the values.

    Returns
    -------
    Imported
        ``values`` (schema VALUES), ``areas`` when ``area_name`` is mapped, ``indicators``.

    Raises
    ------
    ImportValidationError
        Missing columns, text in numeric columns, malformed codes, unparseable periods,
        duplicate keys, negative counts, counts above denominators (``proportion``), limits
        not bracketing the value: file line (CSV), row (Parquet) or sheet row (Excel), column
        and expectation, first 20 and the total.
    InputError
        A mapping to an unknown target column, or no indicator or period at all.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "v.csv")
    ...     _ = open(p, "w").write("code,year,rate\nE09000001,2021,5.5\nE09000002,2021,6\n")
    ...     imp = read_tidy(p, {"area_code": "code", "period": "year", "value": "rate"},
    ...                     indicator_id="demo")
    >>> imp.values.column("value").to_pylist(), imp.values.column("period_years").to_pylist()
    ([5.5, 6.0], [1, 1])
    """
    path = Path(path)
    unknown = sorted(set(mapping) - set(_TARGETS))
    if unknown:
        raise InputError(f"mapping names unknown columns {unknown}; expected some of {_TARGETS}")
    constants = {
        "indicator_id": indicator_id,
        "period": period,
        "sex": sex,
        "age": age,
        "category_type": category_type,
        "category": category,
    }
    for needed in ("area_code", "indicator_id", "period"):
        if needed not in mapping and constants.get(needed) is None:
            raise InputError(f"give a column for {needed!r} in mapping or {needed}=...")
    problems = _validate.Problems(path)
    choices = {ours: _choices(src) for ours, src in mapping.items()}
    source_columns = list(dict.fromkeys(c for cs in choices.values() for c in cs))
    numeric_sources = list(dict.fromkeys(c for t in _NUMERIC if t in choices for c in choices[t]))
    raw = _read_any(path, source_columns, numeric_sources, sheet, problems)
    frame = raw.select(
        *(_first_filled(raw, cs).alias(ours) for ours, cs in choices.items()), "_line"
    )
    frame = frame.with_columns(
        *(pl.lit(v).alias(k) for k, v in constants.items() if v is not None and k not in mapping),
        *(
            pl.lit(v).alias(k)
            for k, v in _DEFAULTS.items()
            if k not in mapping and constants.get(k) is None
        ),
    )
    labels = dict(mapping)
    numeric = [c for c in _NUMERIC if c in frame.columns]
    already = [c for c in numeric if frame.schema[c].is_numeric()]
    frame = frame.with_columns(pl.col(c).cast(pl.Float64) for c in already)
    _validate.finite(frame, already, problems, labels)
    frame = _validate.numbers(frame, [c for c in numeric if c not in already], problems, labels)
    text = [
        c
        for c in (
            "indicator_id",
            "area_code",
            "period",
            "sex",
            "age",
            "category_type",
            "category",
            "area_name",
            "value_note",
        )
        if c in frame.columns
    ]
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in text)
    _validate.area_codes(
        frame, "area_code", problems, pattern=code_pattern, label=labels.get("area_code")
    )
    frame = parse_periods(frame, "period", problems, label=labels.get("period", "period"))
    for key in ("indicator_id", "sex", "age"):
        problems.add(frame, pl.col(key).is_null(), labels.get(key, key), key, f"a {key}")
    problems.raise_if_any()
    _validate.values_table(frame, problems, labels=labels, proportion=proportion)
    problems.raise_if_any()
    frame = _validate.note_rounded_limits(frame)
    frame, hierarchy, successor_areas = recode_areas(frame)
    areas = (
        areas_arrow(pl.concat([frame.select("area_code", "area_name"), successor_areas]))
        if "area_name" in frame.columns
        else None
    )
    return Imported(
        source="tidy",
        values=values_arrow(frame),
        hierarchy=hierarchy,
        areas=areas,
        indicators=list(indicators),
        inputs=inputs_of(path),
    )


_CONSTANTS = ("indicator_id", "period", "sex", "age", "category_type", "category")


def tidy_options(
    mapping_file: str | Path | None = None,
    pairs: Sequence[str] = (),
    **constants: str | int | bool | None,
) -> dict:
    """Keyword arguments of :func:`read_tidy` from a small mapping file and ``TARGET=COLUMN`` pairs.

    Parameters
    ----------
    mapping_file : str or Path, optional
        A YAML or JSON file: ``mapping`` (our column -> the file's column) and, optionally,
        constants (``indicator_id``, ``period``, ``sex``, ``age``, ``category_type``,
        ``category``), ``sheet`` and ``proportion``; or just the mapping at the top level.
    pairs : sequence of str
        ``area_code=Code`` pairs (as ``healthgap import tidy --map`` takes them); they override
        the file's mapping.
    **constants
        ``indicator_id``, ``period``, ``sex``, ``age``, ``category_type``, ``category``,
        ``sheet``, ``proportion``; ``None`` means not given. They override the file.

    Returns
    -------
    dict
        ``mapping`` and the other keyword arguments for :func:`read_tidy`.

    Raises
    ------
    InputError
        An unreadable mapping file, a pair without ``=``, unknown keys, or no mapping at all.

    Examples
    --------
    >>> tidy_options(pairs=["area_code=code", "value=rate"], indicator_id="demo", period=None)
    {'mapping': {'area_code': 'code', 'value': 'rate'}, 'indicator_id': 'demo'}
    """
    import yaml

    options: dict = {}
    if mapping_file is not None:
        try:
            loaded = yaml.safe_load(Path(mapping_file).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeError, yaml.YAMLError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"{mapping_file}: cannot read the mapping file: {first}") from None
        if not isinstance(loaded, dict):
            raise InputError(
                f"{mapping_file}: expected a mapping such as 'mapping: {{area_code: Code}}'"
            )
        if "mapping" not in loaded:
            loaded = {"mapping": loaded}
        allowed = {"mapping", "sheet", "proportion", "code_pattern", *_CONSTANTS}
        unknown = sorted(set(loaded) - allowed)
        if unknown or not isinstance(loaded["mapping"], dict):
            raise InputError(
                f"{mapping_file}: unknown keys {unknown}; expected 'mapping' (target: column) "
                f"and some of {sorted(allowed - {'mapping'})}"
            )
        options = {k: v for k, v in loaded.items() if v is not None}
        options["mapping"] = {str(k): str(v) for k, v in loaded["mapping"].items()}
    mapping = dict(options.get("mapping", {}))
    for pair in pairs:
        target, sep, column = pair.partition("=")
        if not sep or not target.strip() or not column.strip():
            raise InputError(f"--map {pair!r}: expected TARGET=COLUMN, e.g. area_code=AreaCode")
        mapping[target.strip()] = column.strip()
    if not mapping:
        raise InputError(
            "tidy needs a column mapping: --map area_code=COLUMN --map value=COLUMN ... "
            "or --mapping FILE (YAML or JSON)"
        )
    options["mapping"] = mapping
    options.update({k: v for k, v in constants.items() if v is not None and v is not False})
    for key in _CONSTANTS:
        if key in options:
            options[key] = str(options[key])
    return options
