"""ONS files: mid-year population estimates, Census 2021 tables, life expectancy, ONS tidy CSVs.

Each reader follows the published layout of its file (header rows found by their text, notes
above and below the table skipped), validates every row, and returns store tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
from python_calamine import CalamineWorkbook

from healthgap._conventions import LIMITS, LIMITS_95
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.sources import _validate
from healthgap.sources._excel import read_sheet, sheet_names
from healthgap.sources._periods import parse_periods
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    inputs_of,
    population_arrow,
    values_arrow,
)

__all__ = [
    "read_census_2021",
    "read_gla_ward_life_expectancy",
    "read_ons_els",
    "read_ons_life_expectancy",
    "read_ons_population",
]

_ONS = "Office for National Statistics"
_OGL = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(Office for National Statistics)"
)
_SEX_OF_SHEET = {"persons": "Persons", "males": "Male", "females": "Female"}


def _age_start(age: pl.Expr) -> pl.Expr:
    return age.str.extract(r"^(\d+)", 1).cast(pl.Int16)


def _check_total(
    frame: pl.DataFrame,
    keys: list[str],
    total: pl.DataFrame,
    column: str,
    problems: _validate.Problems,
) -> None:
    """Record areas whose published total differs from the sum of their age/sex cells."""
    sums = frame.group_by(keys).agg(pl.col("population").sum().alias("_sum"))
    joined = total.join(sums, on=keys, how="inner")
    problems.add(
        joined,
        (pl.col("_total") - pl.col("_sum")).abs() > 0.5,
        column,
        pl.format("{} (cells sum to {})", pl.col("_total"), pl.col("_sum")),
        "a total equal to the sum of the age groups",
    )


def read_ons_population(path: str | Path, *, year: int | None = None) -> Imported:
    """ONS mid-year population estimates (MYE2 sheets): areas by sex and single year of age.

    Parameters
    ----------
    path : str or Path
        An ONS "Population estimates for the UK ... mid-YYYY" workbook (``.xls``/``.xlsx``)
        with sheets ``MYE2 - Persons``, ``MYE2 - Males`` and ``MYE2 - Females``: a header row
        ``Code, Name, Geography, All ages, 0, 1, ..., 89, 90+`` below title rows, footnotes
        below the table.
    year : int, optional
        Mid-year of the estimates; read from the sheet title (``mid-2019``) when omitted.

    Returns
    -------
    Imported
        ``population`` (area_code, year, sex Persons/Male/Female, age ``"0"`` ... ``"89"``,
        ``"90+"``, age_start, population) and ``areas`` (every area in the sheets: country,
        region, county, local authority; type from the code).

    Raises
    ------
    ImportValidationError
        Malformed codes, cells that are not numbers, negative estimates, or an ``All ages``
        total that differs from the sum of single years (row and column named).
    """
    path = Path(path)
    problems = _validate.Problems(path)
    sheets = [s for s in sheet_names(path) if s.strip().upper().startswith("MYE2")]
    if not sheets:
        problems.add_file_problem(
            "sheet",
            ", ".join(sheet_names(path)),
            "sheets named 'MYE2 - Persons', 'MYE2 - Males', 'MYE2 - Females'",
        )
        problems.raise_if_any()
    pops, totals, areas = [], [], []
    for sheet in sheets:  # three sheets, one per sex
        sex = _SEX_OF_SHEET.get(sheet.split("-")[-1].strip().lower())
        if sex is None:
            continue
        frame = read_sheet(path, sheet, problems, lambda r: str(r[0]).strip() == "Code")
        frame = frame.filter(pl.col("Name").is_not_null())
        ages = [c for c in frame.columns if re.fullmatch(r"\d+\+?", c)]
        _validate.area_codes(frame, "Code", problems, label=f"{sheet}: Code")
        frame = _validate.numbers(
            frame, [*ages, "All ages"], problems, {c: f"{sheet}: {c}" for c in [*ages, "All ages"]}
        )
        sheet_year = year or _title_year(path, sheet)
        long = frame.unpivot(
            ages, index=["Code", "_line"], variable_name="age", value_name="population"
        )
        long = long.with_columns(
            pl.lit(sheet_year, pl.Int32).alias("year"),
            pl.lit(sex).alias("sex"),
            _age_start(pl.col("age")).alias("age_start"),
        )
        problems.add(
            long, pl.col("population") < 0, f"{sheet}: age", "population", "a population >= 0"
        )
        pops.append(long.rename({"Code": "area_code"}))
        totals.append(
            frame.select(
                pl.col("Code").alias("area_code"),
                pl.lit(sex).alias("sex"),
                pl.col("All ages").alias("_total"),
                "_line",
            )
        )
        areas.append(
            frame.select(pl.col("Code").alias("area_code"), pl.col("Name").alias("area_name"))
        )
    problems.raise_if_any()
    population = pl.concat(pops)
    _check_total(population, ["area_code", "sex"], pl.concat(totals), "All ages", problems)
    problems.raise_if_any()
    return Imported(
        source="ons-population",
        population=population_arrow(population),
        areas=areas_arrow(pl.concat(areas)),
        inputs=inputs_of(path),
    )


def _title_year(path: Path, sheet: str) -> int | None:
    """Return the ``mid-YYYY`` year in a sheet's title rows."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(nrows=10)
    for row in rows:
        found = re.search(r"mid-(\d{4})", " ".join(str(c) for c in row))
        if found:
            return int(found.group(1))
    return None


# --------------------------------------------------------------------------- Census 2021


def _census_band(label: pl.Expr) -> pl.Expr:
    """Census band label -> '0-4', '5-9', ..., '85+' ('Aged 4 years and under' -> '0-4')."""
    under = label.str.extract(r"Aged (\d+) years? and under", 1)
    span = label.str.extract_groups(r"Aged (\d+) to (\d+) years")
    over = label.str.extract(r"Aged (\d+) years? and over", 1)
    return (
        pl.when(under.is_not_null())
        .then(pl.format("0-{}", under))
        .when(span.struct.field("1").is_not_null())
        .then(pl.format("{}-{}", span.struct.field("1"), span.struct.field("2")))
        .when(over.is_not_null())
        .then(pl.format("{}+", over))
    )


def read_census_2021(path: str | Path) -> Imported:
    """Census 2021 tables: TS007A and TS037 (LSOA bulk CSVs), TS009 and TS037 (LTLA downloads).

    The table is recognised from its header:

    * TS007A *Age by five-year age bands* (``date, geography, geography code, Age: Total,
      Age: Aged 4 years and under, ...``) -> ``population`` (sex Persons, bands ``0-4`` ...
      ``85+``);
    * TS009 *Sex by single year of age* (``Lower Tier Local Authorities Code, ..., Sex (2
      categories), Age (91 categories) Code, ..., Observation``) -> ``population`` (Male and
      Female, ages ``0`` ... ``89``, ``90+``);
    * TS037 *General health* (LSOA bulk CSV, or the LTLA download with its ``Does not apply``
      category left out) -> ``values`` of indicator ``census2021-general-health``: the
      percentage of usual residents in each category (``category_type`` "General health"),
      with count and denominator.

    Parameters
    ----------
    path : str or Path
        One of those CSV files.

    Returns
    -------
    Imported
        ``population`` or ``values`` (+ ``indicators``), and ``areas``.

    Raises
    ------
    ImportValidationError
        For an unknown layout, malformed codes, non-numeric or negative counts, totals that
        differ from the sum of their categories.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    raw = pl.read_csv(path, infer_schema=False, encoding="utf8")
    raw = raw.with_columns((pl.int_range(pl.len()) + 2).cast(pl.Int64).alias("_line"))
    cols = raw.columns
    if "geography code" in cols and any(c.startswith("Age: ") for c in cols):
        return _ts007a(raw, path, problems)
    if "geography code" in cols and any(c.startswith("General health: ") for c in cols):
        return _ts037_lsoa(raw, path, problems)
    if "Age (91 categories) Code" in cols:
        return _ts009(raw, path, problems)
    if "General health (6 categories)" in cols:
        return _ts037_ltla(raw, path, problems)
    problems.add_file_problem(
        "header", ", ".join(cols[:6]), "a Census 2021 TS007A, TS009 or TS037 header"
    )
    problems.raise_if_any()
    raise AssertionError("unreachable")  # pragma: no cover


def _bulk_areas(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.select(
        pl.col("geography code").alias("area_code"), pl.col("geography").alias("area_name")
    )


def _ts007a(raw: pl.DataFrame, path: Path, problems: _validate.Problems) -> Imported:
    bands = [c for c in raw.columns if c.startswith("Age: ") and c != "Age: Total"]
    _validate.area_codes(raw, "geography code", problems)
    frame = _validate.numbers(raw, [*bands, "Age: Total", "date"], problems)
    long = frame.unpivot(
        bands,
        index=["geography code", "date", "_line"],
        variable_name="band",
        value_name="population",
    )
    long = long.with_columns(
        pl.col("geography code").alias("area_code"),
        pl.col("date").cast(pl.Int32).alias("year"),
        pl.lit("Persons").alias("sex"),
    )
    band_ages = pl.DataFrame({"band": bands}).with_columns(  # 18 headers, not 642,096 rows
        _census_band(pl.col("band")).alias("age")
    )
    long = long.join(band_ages, on="band", how="left", maintain_order="left").with_columns(
        _age_start(pl.col("age")).alias("age_start")
    )
    problems.add(
        long,
        pl.col("age").is_null(),
        "age band header",
        "band",
        "a band such as 'Age: Aged 5 to 9 years'",
    )
    problems.add(long, pl.col("population") < 0, "population", "population", "a count >= 0")
    problems.raise_if_any()
    totals = frame.select(
        pl.col("geography code").alias("area_code"),
        pl.lit("Persons").alias("sex"),
        pl.col("Age: Total").alias("_total"),
        "_line",
    )
    _check_total(long, ["area_code", "sex"], totals, "Age: Total", problems)
    problems.raise_if_any()
    return Imported(
        source="census-2021",
        population=population_arrow(long),
        areas=areas_arrow(_bulk_areas(raw)),
        inputs=inputs_of(path),
    )


def _ts009(raw: pl.DataFrame, path: Path, problems: _validate.Problems) -> Imported:
    code, age_code = "Lower Tier Local Authorities Code", "Age (91 categories) Code"
    _validate.area_codes(raw, code, problems)
    frame = _validate.numbers(raw, ["Observation", age_code], problems)
    sex = pl.col("Sex (2 categories)")
    problems.add(
        frame,
        ~sex.is_in(["Female", "Male"]),
        "Sex (2 categories)",
        "Sex (2 categories)",
        "Female or Male",
    )
    problems.add(frame, pl.col("Observation") < 0, "Observation", "Observation", "a count >= 0")
    problems.raise_if_any()
    age = pl.col(age_code).cast(pl.Int16)
    population = frame.select(
        pl.col(code).alias("area_code"),
        pl.lit(2021, pl.Int32).alias("year"),
        sex.alias("sex"),
        pl.when(age >= 90).then(pl.lit("90+")).otherwise(age.cast(pl.String)).alias("age"),
        age.alias("age_start"),
        pl.col("Observation").alias("population"),
        "_line",
    )
    _validate.values_table(
        population.with_columns(
            pl.lit("").alias("indicator_id"),
            pl.lit("").alias("period"),
            pl.lit("").alias("category_type"),
            pl.lit("").alias("category"),
            *(
                pl.lit(None, pl.Float64).alias(c)
                for c in (
                    "value",
                    "count",
                    "denominator",
                    *LIMITS,
                )
            ),
        ),
        problems,
        keys=["area_code", "sex", "age"],
        labels={"area_code": code, "sex": "Sex (2 categories)", "age": age_code},
    )
    problems.raise_if_any()
    areas = raw.select(
        pl.col(code).alias("area_code"), pl.col("Lower Tier Local Authorities").alias("area_name")
    )
    return Imported(
        source="census-2021",
        population=population_arrow(population),
        areas=areas_arrow(areas),
        inputs=inputs_of(path),
    )


_HEALTH = IndicatorMeta(
    id="census2021-general-health",
    name="General health (Census 2021), % of usual residents",
    definition="Percentage of usual residents reporting each level of general health.",
    data_source="Census 2021, table TS037 (ONS)",
    statistic="Percentage",
    method="proportion",
    unit="%",
    multiplier=100,
    year_type="calendar",
    frequency="decennial",
    attribution=_OGL,
)


def _health_values(
    long: pl.DataFrame, problems: _validate.Problems, labels: dict[str, str]
) -> pl.DataFrame:
    values = long.with_columns(
        pl.lit(_HEALTH.id).alias("indicator_id"),
        pl.lit("2021").alias("period"),
        pl.lit(2021, pl.Int32).alias("period_start"),
        pl.lit(1, pl.Int16).alias("period_years"),
        pl.lit("Persons").alias("sex"),
        pl.lit("All ages").alias("age"),
        pl.lit("General health").alias("category_type"),
        (100 * pl.col("count") / pl.col("denominator")).alias("value"),
    )
    _validate.values_table(values, problems, labels=labels, proportion=True)
    problems.raise_if_any()
    return values


def _ts037_lsoa(raw: pl.DataFrame, path: Path, problems: _validate.Problems) -> Imported:
    total = "General health: Total: All usual residents"
    cats = [c for c in raw.columns if c.startswith("General health: ") and c != total]
    _validate.area_codes(raw, "geography code", problems)
    frame = _validate.numbers(raw, [*cats, total], problems)
    long = frame.unpivot(
        cats, index=["geography code", total, "_line"], variable_name="category", value_name="count"
    ).select(
        pl.col("geography code").alias("area_code"),
        pl.col("category").str.strip_prefix("General health: "),
        "count",
        pl.col(total).alias("denominator"),
        "_line",
    )
    problems.add(long, pl.col("count") < 0, "General health", "count", "a count >= 0")
    _check_total(
        long.rename({"count": "population"}),
        ["area_code"],
        frame.select(
            pl.col("geography code").alias("area_code"), pl.col(total).alias("_total"), "_line"
        ),
        total,
        problems,
    )
    values = _health_values(long, problems, {"count": "General health", "denominator": total})
    return Imported(
        source="census-2021",
        values=values_arrow(values),
        indicators=[_HEALTH],
        areas=areas_arrow(_bulk_areas(raw)),
        inputs=inputs_of(path),
    )


def _ts037_ltla(raw: pl.DataFrame, path: Path, problems: _validate.Problems) -> Imported:
    code = "Lower Tier Local Authorities Code"
    _validate.area_codes(raw, code, problems)
    frame = _validate.numbers(raw, ["Observation"], problems)
    problems.add(frame, pl.col("Observation") < 0, "Observation", "Observation", "a count >= 0")
    frame = frame.filter(pl.col("General health (6 categories) Code") != "-8")  # Does not apply
    long = frame.select(
        pl.col(code).alias("area_code"),
        pl.col("General health (6 categories)").alias("category"),
        pl.col("Observation").alias("count"),
        pl.col("Observation").sum().over(code).alias("denominator"),
        "_line",
    )
    values = _health_values(long, problems, {"count": "Observation", "area_code": code})
    areas = raw.select(
        pl.col(code).alias("area_code"), pl.col("Lower Tier Local Authorities").alias("area_name")
    )
    return Imported(
        source="census-2021",
        values=values_arrow(values),
        indicators=[_HEALTH],
        areas=areas_arrow(areas),
        inputs=inputs_of(path),
    )


# --------------------------------------------------------------------------- life expectancy

_LE_SHEETS = {
    "le at birth - males": ("ons-le-birth", "Male", "All ages"),
    "le at birth - females": ("ons-le-birth", "Female", "All ages"),
    "le at age 65 - males": ("ons-le-65", "Male", "65"),
    "le at age 65 - females": ("ons-le-65", "Female", "65"),
}
_LE_META = [
    IndicatorMeta(
        id="ons-le-birth",
        name="Life expectancy at birth",
        unit="years",
        statistic="Life expectancy (years)",
        method="life_expectancy",
        polarity="high_is_good",
        sex=("Male", "Female"),
        frequency="annual",
        data_source=f"{_ONS}: Life expectancy at birth and at age 65 by local areas",
        caveats="Not calculated for City of London and Isles of Scilly (small numbers).",
        attribution=_OGL,
    ),
    IndicatorMeta(
        id="ons-le-65",
        name="Life expectancy at age 65",
        unit="years",
        age="65",
        statistic="Life expectancy (years)",
        method="life_expectancy",
        polarity="high_is_good",
        sex=("Male", "Female"),
        frequency="annual",
        data_source=f"{_ONS}: Life expectancy at birth and at age 65 by local areas",
        caveats="Not calculated for City of London and Isles of Scilly (small numbers).",
        attribution=_OGL,
    ),
]


def _pooled_label(period: pl.Expr) -> pl.Expr:
    """'2016-2018' or '2009-13' -> '2016 - 18' (Fingertips' label for pooled years)."""
    parts = period.str.extract_groups(r"^(\d{4})\s*-\s*(?:\d\d)?(\d\d)$")
    return (
        pl.when(parts.struct.field("1").is_not_null())
        .then(pl.format("{} - {}", parts.struct.field("1"), parts.struct.field("2")))
        .otherwise(period)
    )


def read_ons_life_expectancy(path: str | Path) -> Imported:
    """ONS "Life expectancy at birth and at age 65 by local areas, UK" workbook.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` with sheets ``LE at birth - Males``, ``LE at birth - Females``,
        ``LE at age 65 - Males``, ``LE at age 65 - Females``: header row ``Area Codes, Area
        Names, , , 2001-2003, ...``; area names indented across three columns by level;
        ``..`` where not calculated; footnotes below.

    Returns
    -------
    Imported
        ``values`` of indicators ``ons-le-birth`` (age "All ages") and ``ons-le-65`` (age
        "65") by sex, 3-year periods labelled ``2016 - 18``; areas not calculated (City of
        London) keep a null value with a value note; ``areas`` and ``indicators``.

    Raises
    ------
    ImportValidationError
        Malformed codes, text that is not a number, unparseable periods, duplicate rows.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    frames = []
    for sheet in sheet_names(path):
        spec = _LE_SHEETS.get(sheet.strip().lower())
        if spec is None:
            continue
        frame = read_sheet(path, sheet, problems, lambda r: str(r[0]).strip() == "Area Codes")
        periods = [c for c in frame.columns if re.fullmatch(r"\d{4}\s*-\s*\d{4}", c)]
        name_cols = ["Area Names", *(c for c in frame.columns if c.startswith("_col"))]
        frame = frame.filter(
            pl.any_horizontal(pl.col(periods).is_not_null())
            | pl.col("Area Codes").str.contains(r"^[EWSNK]\d{8}$")
        )
        frame = frame.with_columns(pl.coalesce(name_cols).alias("area_name"))
        _validate.area_codes(frame, "Area Codes", problems, label=f"{sheet}: Area Codes")
        long = frame.unpivot(
            periods,
            index=["Area Codes", "area_name", "_line"],
            variable_name="period",
            value_name="value",
        )
        long = _validate.numbers(long, ["value"], problems, {"value": f"{sheet}: value"})
        indicator, sex, age = spec
        frames.append(
            long.with_columns(
                pl.lit(indicator).alias("indicator_id"),
                pl.lit(sex).alias("sex"),
                pl.lit(age).alias("age"),
                pl.col("Area Codes").alias("area_code"),
                pl.when(pl.col("value").is_null())
                .then(pl.lit("Not calculated by ONS (small numbers of deaths and populations)"))
                .alias("value_note"),
            )
        )
    if not frames:
        problems.add_file_problem(
            "sheet", ", ".join(sheet_names(path)), "sheets named like 'LE at birth - Males'"
        )
    problems.raise_if_any()
    values = pl.concat(frames).with_columns(_pooled_label(pl.col("period")).alias("period"))
    values = parse_periods(values, "period", problems)
    _validate.values_table(values, problems)
    problems.raise_if_any()
    return Imported(
        source="ons-life-expectancy",
        values=values_arrow(values),
        areas=areas_arrow(values.select("area_code", "area_name")),
        indicators=list(_LE_META),
        inputs=inputs_of(path),
    )


_WARD_LE = IndicatorMeta(
    id="gla-ward-le-birth",
    name="Life expectancy at birth (wards, 5-year pooled)",
    unit="years",
    statistic="Life expectancy (years)",
    method="life_expectancy",
    polarity="high_is_good",
    sex=("Male", "Female"),
    ci_method="Chiang II",
    data_source="Greater London Authority / ONS: Life expectancy at birth and age 65 by ward",
    attribution=_OGL,
)
_WARD_MEASURES = {
    "Life expectancy at birth": "value",
    "95% Lower": "lower95_0cl",
    "95% Upper": "upper95_0cl",
}


def read_gla_ward_life_expectancy(path: str | Path) -> Imported:
    """GLA "Life expectancy at birth by ward" CSV (London Datastore), with 95% limits.

    Parameters
    ----------
    path : str or Path
        ``life-expectancy-ward-at-Birth.csv``: columns ``Ward`` (code), ``Old Ward Code``,
        ``Local Authority``, ``Ward name``, ``Geography`` (Ward, Local Authority, Region,
        National), then ``<period>;<Male|Female>;<Life expectancy at birth|95% Lower|95%
        Upper>`` for 5-year pooled periods ``1999-2003`` ... ``2010-14``.

    Returns
    -------
    Imported
        ``values`` of ``gla-ward-le-birth`` by area, period (``1999 - 03``), sex, with 95%
        limits (empty cells: no row), ``areas`` (2003 wards, boroughs, regions, England) and
        ``indicators``.

    Raises
    ------
    ImportValidationError
        Malformed codes, non-numbers, unparseable periods or headers, duplicate rows, limits
        that do not bracket the value.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    raw = pl.read_csv(path, infer_schema=False, encoding="utf8")
    _validate.require_columns(raw.columns, ["Ward", "Ward name"], problems)
    raw = raw.with_columns((pl.int_range(pl.len()) + 2).cast(pl.Int64).alias("_line"))
    measures = [c for c in raw.columns if c.count(";") == 2]
    _validate.area_codes(raw, "Ward", problems)
    long = raw.unpivot(
        measures, index=["Ward", "Ward name", "_line"], variable_name="header", value_name="number"
    )
    parts = pl.col("header").str.split(";")
    long = long.with_columns(
        parts.list.get(0).alias("period"),
        parts.list.get(1).alias("sex"),
        parts.list.get(2).replace_strict(_WARD_MEASURES, default=None).alias("measure"),
    )
    problems.add(
        long,
        pl.col("measure").is_null() | ~pl.col("sex").is_in(["Male", "Female"]),
        "header",
        "header",
        "'<period>;<Male|Female>;<Life expectancy at birth|95% Lower|95% Upper>'",
    )
    long = _validate.numbers(long, ["number"], problems, {"number": "value"})
    problems.raise_if_any()
    wide = long.filter(pl.col("number").is_not_null()).pivot(
        "measure", index=["Ward", "Ward name", "_line", "period", "sex"], values="number"
    )
    wide = wide.with_columns(
        _pooled_label(pl.col("period")).alias("period"),
        pl.col("Ward").alias("area_code"),
        pl.col("Ward name").alias("area_name"),
        pl.lit(_WARD_LE.id).alias("indicator_id"),
    )
    wide = parse_periods(wide, "period", problems)
    _validate.values_table(wide, problems, labels={"area_code": "Ward"})
    problems.raise_if_any()
    return Imported(
        source="gla-ward-life-expectancy",
        values=values_arrow(wide),
        areas=areas_arrow(
            raw.select(pl.col("Ward").alias("area_code"), pl.col("Ward name").alias("area_name"))
        ),
        indicators=[_WARD_LE],
        inputs=inputs_of(path),
    )


# --------------------------------------------------------------------------- ONS tidy CSV

_ELS_COLUMNS = ("areacd", "areanm", "indicator", "period", "observation")


def _slug(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_lowercase().str.replace_all(r"[^0-9a-z]+", "-").str.strip_chars("-")


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
    raw = pl.read_csv(path, infer_schema=False, encoding="utf8")
    _validate.require_columns(raw.columns, _ELS_COLUMNS, problems)
    raw = raw.with_columns((pl.int_range(pl.len()) + 2).cast(pl.Int64).alias("_line"))
    labels = {
        "value": "observation",
        "lower95_0cl": "lci_95",
        "upper95_0cl": "uci_95",
        "area_code": "areacd",
        "period": "period",
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
    _validate.area_codes(frame, "area_code", problems, label="areacd")
    frame = _validate.numbers(frame, ["value", *LIMITS_95], problems, labels)
    frame = parse_periods(frame, "period", problems)
    problems.raise_if_any()
    _validate.values_table(frame, problems, labels=labels)
    problems.raise_if_any()
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
            data_source=f"{_ONS} (Explore Local Statistics)",
            sex=tuple(s for s in sexes if s in ("Persons", "Male", "Female")),
            attribution=_OGL,
        )
        for i, n, u, sexes in metas.iter_rows()  # one row per indicator
    ]
    return Imported(
        source="ons-els",
        values=values_arrow(frame),
        areas=areas_arrow(frame.select("area_code", "area_name")),
        indicators=indicators,
        inputs=inputs_of(path),
    )
