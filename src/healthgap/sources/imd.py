"""English Indices of Deprivation 2019: MHCLG File 1 and the GLA London workbook.

Both give, per 2011 LSOA, the local authority (2019) and the national IMD rank (1 = most
deprived of 32,844) and decile; the GLA workbook adds the IMD score. They become areas, the
LSOA -> local authority hierarchy, and classifications of LSOAs by deprivation: national
deciles and quintiles as published, and deciles and quintiles within each local authority
(and, when the caller names a :class:`Region`, within it) assigned by the OHID rule of
:func:`healthgap.methods.quantile` on the national rank (ties share the lowest rank;
quantile 1 = most deprived). No region is built in: the London application passes London's
(:func:`healthgap.london.deprivation_region`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from healthgap.errors import InputError, SuppressedWarning
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

__all__ = ["IMD_LSOAS", "Region", "read_imd2019", "read_imd2019_london"]

#: LSOAs ranked in IMD 2019 (MHCLG, English Indices of Deprivation 2019, technical report).
IMD_LSOAS = 32_844
HIERARCHY = "lsoa11-lad19"
_IMD = "Index of Multiple Deprivation (IMD)"
_LSOA_CODE = r"^E01\d{6}$"
_LAD_CODE = r"^E0[6-9]\d{6}$"


@dataclass(frozen=True)
class Region:
    """LSOAs ranked among themselves too: a region, or any set of local authorities.

    Attributes
    ----------
    name : str
        Named in the classifications: ``IMD 2019 decile (within <name>)``.
    lads : sequence of str or None
        Codes of its local authority districts (2019); ``None``: every LSOA of the file.
    """

    name: str
    lads: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InputError("Region: name must name the region (it labels the deciles)")
        if self.lads is not None and (isinstance(self.lads, str) or not self.lads):
            raise InputError(
                f"Region {self.name!r}: lads must be a non-empty list of local authority "
                f"codes, or None for every LSOA of the file; got {self.lads!r}"
            )

    def lsoas(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Return the rows of ``frame`` in the region (none when the file has none of it)."""
        if self.lads is None:
            return frame
        return frame.filter(pl.col("lad_code").is_in(list(self.lads)))


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
    frame: pl.DataFrame, has_score: bool, path: Path, source: str, within: Region | None
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
    if within is not None:
        region = within.lsoas(frame).with_columns(pl.lit(within.name).alias("_region"))
        local.append(_within(region, "_region", within.name, score))
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
def read_imd2019(
    path: str | Path, *, sheet: str = "IMD2019", within: Region | None = None
) -> Imported:
    """MHCLG English Indices of Deprivation 2019, File 1 (IMD rank and decile of each LSOA).

    Parameters
    ----------
    path : str or Path
        ``File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx``.
    sheet : str, default "IMD2019"
        The data sheet (header ``LSOA code (2011), LSOA name (2011), Local Authority District
        code (2019), ..., Index of Multiple Deprivation (IMD) Rank, ... Decile``).
    within : Region, optional
        Also rank the LSOAs of this region (or set of local authorities) among themselves;
        a region none of whose LSOAs is in the file gets no rows. None: England's deciles
        only (the national ones, as published).

    Returns
    -------
    Imported
        ``areas`` (LSOAs and local authorities), ``hierarchy`` ``"lsoa11-lad19"`` and
        ``classifications``: ``IMD 2019 decile (national)`` / ``quintile (national)`` as
        published, ``IMD 2019 decile (within local authority)`` / ``quintile (...)`` and, with
        ``within``, ``... (within <name>)`` for its LSOAs; ``rank`` is the category as a number and
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
    return _imported(frame, has_score, path, "imd2019", within)


@reads("imd2019-london", "the GLA ID 2019 for London workbook")
def read_imd2019_london(
    path: str | Path, *, sheet: str = "IMD 2019", within: Region | None = None
) -> Imported:
    """GLA "ID 2019 for London" workbook: IMD 2019 score, rank and decile of its LSOAs.

    Parameters
    ----------
    path : str or Path
        ``ID 2019 for London.xlsx`` (sheet ``IMD 2019``, whose first header may read
        ``LSOA code (2011)`` or ``geography code``).
    sheet : str, default "IMD 2019"
        The data sheet.
    within : Region, optional
        As :func:`read_imd2019`; ``Region("London")`` (no ``lads``) ranks every row of the
        workbook among themselves.

    Returns
    -------
    Imported
        As :func:`read_imd2019`, with the IMD score as each classification's ``score``.

    Raises
    ------
    ImportValidationError
        As :func:`read_imd2019`.
    """
    path = Path(path)
    problems = _validate.Problems(path)
    frame, has_score = _read(path, sheet, problems)
    return _imported(frame, has_score, path, "imd2019-london", within)
