"""English Indices of Deprivation 2019: MHCLG File 1 and the GLA London workbook.

Both give, per 2011 LSOA, the local authority (2019) and the national IMD rank (1 = most
deprived of 32,844) and decile; the GLA workbook adds the IMD score. They become areas, the
LSOA -> local authority hierarchy, and classifications of LSOAs by deprivation: national
deciles and quintiles as published, and deciles and quintiles within each local authority
(and within London) assigned by the OHID rule of :func:`healthgap.methods.quantile`
on the national rank (ties share the lowest rank; quantile 1 = most deprived).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl

from healthgap.errors import SuppressedWarning
from healthgap.methods import quantile
from healthgap.sources import _validate
from healthgap.sources._excel import read_sheet
from healthgap.sources._guard import reads
from healthgap.sources._tables import (
    Imported,
    areas_arrow,
    classifications_arrow,
    hierarchy_arrow,
    inputs_of,
)

__all__ = ["IMD_LSOAS", "read_imd2019", "read_imd2019_london"]

#: LSOAs ranked in IMD 2019 (MHCLG, English Indices of Deprivation 2019, technical report).
IMD_LSOAS = 32_844
HIERARCHY = "lsoa11-lad19"
_IMD = "Index of Multiple Deprivation (IMD)"
_LSOA_CODE = r"^E01\d{6}$"
_LAD_CODE = r"^E0[6-9]\d{6}$"


def _column(columns: list[str], *prefixes: str) -> str | None:
    return next((c for c in columns for p in prefixes if c.startswith(p)), None)


def _read(path: Path, sheet: str, problems: _validate.Problems) -> tuple[pl.DataFrame, bool]:
    """Normalised frame: lsoa_code/name, lad_code/name, imd_rank, imd_decile (+ imd_score)."""
    frame = read_sheet(
        path, sheet, problems, lambda r: str(r[0]).strip() in ("LSOA code (2011)", "geography code")
    )
    cols = frame.columns
    wanted = {
        "lsoa_code": _column(cols, "LSOA code (2011)", "geography code"),
        "lsoa_name": _column(cols, "LSOA name (2011)"),
        "lad_code": _column(cols, "Local Authority District code (2019)"),
        "lad_name": _column(cols, "Local Authority District name (2019)"),
        "imd_rank": _column(cols, f"{_IMD} Rank"),
        "imd_decile": _column(cols, f"{_IMD} Decile"),
    }
    score = _column(cols, f"{_IMD} Score")
    for ours, theirs in wanted.items():
        if theirs is None:
            problems.add_file_problem(
                ours, "<absent>", f"a column for {ours.replace('_', ' ')} in sheet {sheet!r}"
            )
    problems.raise_if_any()
    labels = {v: k for k, v in wanted.items()}
    frame = frame.rename(labels | ({score: "imd_score"} if score else {}))
    frame = frame.filter(pl.col("lsoa_code").is_not_null() | pl.col("imd_rank").is_not_null())
    numeric = ["imd_rank", "imd_decile", *(["imd_score"] if score else [])]
    frame = _validate.numbers(frame, numeric, problems, {v: k for k, v in labels.items()})
    source = {v: k for k, v in labels.items()}
    _validate.area_codes(
        frame, "lsoa_code", problems, pattern=_LSOA_CODE, label=source["lsoa_code"]
    )
    _validate.area_codes(frame, "lad_code", problems, pattern=_LAD_CODE, label=source["lad_code"])
    rank, decile = pl.col("imd_rank"), pl.col("imd_decile")
    problems.add(
        frame,
        rank.is_null() | (rank < 1) | (rank > IMD_LSOAS) | (rank.round() != rank),
        source["imd_rank"],
        "imd_rank",
        f"a whole rank from 1 to {IMD_LSOAS:,}",
    )
    problems.add(
        frame,
        decile.is_null() | ~decile.is_in([float(d) for d in range(1, 11)]),
        source["imd_decile"],
        "imd_decile",
        "a decile from 1 to 10",
    )
    problems.add(
        frame,
        pl.col("lsoa_code").is_duplicated(),
        source["lsoa_code"],
        "lsoa_code",
        "one row per LSOA (duplicate code)",
    )
    problems.raise_if_any()
    return frame.with_columns(rank.cast(pl.Int32), decile.cast(pl.Int32)), score is not None


def _within(frame: pl.DataFrame, group: str, label: str, score: pl.Expr) -> pl.DataFrame:
    """Deciles and quintiles of national rank within ``group`` (OHID rule), as classifications."""
    out = []
    for n, word in ((10, "decile"), (5, "quintile")):
        with warnings.catch_warnings():  # areas with fewer LSOAs than quantiles get none
            warnings.simplefilter("ignore", SuppressedWarning)
            q = quantile(
                frame.select("lsoa_code", "imd_rank", group, score.alias("_score")),
                "imd_rank",
                group_by=group,
                nquantiles=n,
                invert=False,
                type="standard",
            )
        out.append(
            q.filter(pl.col("quantile").is_not_null()).select(
                pl.lit(f"IMD 2019 {word} (within {label})").alias("classification"),
                pl.col("lsoa_code").alias("area_code"),
                pl.col("quantile").cast(pl.Int32).cast(pl.String).alias("category"),
                pl.col("quantile").cast(pl.Int32).alias("rank"),
                pl.col("_score").alias("score"),
            )
        )
    return pl.concat(out)


def _imported(
    frame: pl.DataFrame, has_score: bool, path: Path, source: str, london_only: bool
) -> Imported:
    score = pl.col("imd_score") if has_score else pl.lit(None, pl.Float64)
    national = [
        frame.select(
            pl.lit("IMD 2019 decile (national)").alias("classification"),
            pl.col("lsoa_code").alias("area_code"),
            pl.col("imd_decile").cast(pl.String).alias("category"),
            pl.col("imd_decile").alias("rank"),
            score.alias("score"),
        ),
        frame.select(
            pl.lit("IMD 2019 quintile (national)").alias("classification"),
            pl.col("lsoa_code").alias("area_code"),
            ((pl.col("imd_decile") + 1) // 2).cast(pl.String).alias("category"),
            ((pl.col("imd_decile") + 1) // 2).alias("rank"),
            score.alias("score"),
        ),
    ]
    local = [_within(frame, "lad_code", "local authority", score)]
    london = frame.filter(pl.col("lad_code").str.starts_with("E09"))
    if london.height and (london_only or london.height < frame.height):
        local.append(
            _within(
                london.with_columns(pl.lit("E12000007").alias("_london")),
                "_london",
                "London",
                score,
            )
        )
    classifications = pl.concat([*national, *local], how="vertical_relaxed")
    areas = pl.concat(
        [
            frame.select(
                pl.col("lsoa_code").alias("area_code"),
                pl.col("lsoa_name").alias("area_name"),
                pl.lit("lsoa").alias("area_type"),
            ),
            frame.select(
                pl.col("lad_code").alias("area_code"),
                pl.col("lad_name").alias("area_name"),
                pl.lit("la").alias("area_type"),
            ),
        ]
    )
    hierarchy = frame.select(
        pl.lit(HIERARCHY).alias("hierarchy"),
        pl.col("lsoa_code").alias("child_code"),
        pl.col("lad_code").alias("parent_code"),
    )
    return Imported(
        source=source,
        areas=areas_arrow(areas),
        hierarchy=hierarchy_arrow(hierarchy),
        classifications=classifications_arrow(classifications),
        inputs=inputs_of(path),
    )


@reads("imd2019", "the MHCLG IMD 2019 File 1 workbook")
def read_imd2019(path: str | Path, *, sheet: str = "IMD2019") -> Imported:
    """MHCLG English Indices of Deprivation 2019, File 1 (IMD rank and decile of each LSOA).

    Parameters
    ----------
    path : str or Path
        ``File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx``.
    sheet : str, default "IMD2019"
        The data sheet (header ``LSOA code (2011), LSOA name (2011), Local Authority District
        code (2019), ..., Index of Multiple Deprivation (IMD) Rank, ... Decile``).

    Returns
    -------
    Imported
        ``areas`` (LSOAs and local authorities), ``hierarchy`` ``"lsoa11-lad19"`` and
        ``classifications``: ``IMD 2019 decile (national)`` / ``quintile (national)`` as
        published, ``IMD 2019 decile (within local authority)`` / ``quintile (...)`` and, for
        London's LSOAs, ``... (within London)``; ``rank`` is the category as a number and
        ``score`` the IMD score (null here: File 1 has ranks only). An authority with fewer
        LSOAs than quantiles gets none: City of London (6 LSOAs) and Isles of Scilly (1) have
        no within-authority decile.

    Raises
    ------
    ImportValidationError
        Missing columns, malformed LSOA or local-authority codes, ranks outside 1..32,844,
        deciles outside 1..10, duplicate LSOAs.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    frame, has_score = _read(path, sheet, problems)
    return _imported(frame, has_score, path, "imd2019", london_only=False)


@reads("imd2019-london", "the GLA ID 2019 for London workbook")
def read_imd2019_london(path: str | Path, *, sheet: str = "IMD 2019") -> Imported:
    """GLA "ID 2019 for London" workbook: IMD 2019 score, rank and decile of London's LSOAs.

    Parameters
    ----------
    path : str or Path
        ``ID 2019 for London.xlsx`` (sheet ``IMD 2019``, whose first header may read
        ``LSOA code (2011)`` or ``geography code``).
    sheet : str, default "IMD 2019"
        The data sheet.

    Returns
    -------
    Imported
        As :func:`read_imd2019`, with the IMD score as each classification's ``score``, and
        ``... (within London)`` over all rows.

    Raises
    ------
    ImportValidationError
        As :func:`read_imd2019`.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    frame, has_score = _read(path, sheet, problems)
    return _imported(frame, has_score, path, "imd2019-london", london_only=True)
