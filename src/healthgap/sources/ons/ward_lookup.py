"""ONS Open Geography Portal lookups of small areas (LSOA, OA) to electoral wards.

ONS publishes, for each year's wards, lookups from Lower Layer Super Output Areas (and Output
Areas) to wards and local authorities: "LSOA (2011) to Ward (2011) Lookup in England and
Wales", "... to Electoral Ward (2019) to LAD (2019) Best Fit Lookup", "Output Area to LSOA to
Ward ...". Their columns are ``<LEVEL><yy>CD`` and ``<LEVEL><yy>NM`` pairs whatever the year
(``LSOA11CD, LSOA11NM, WD11CD, WD11NM, WD11NMW, LAD11CD, LAD11NM, FID``; ``LSOA21CD, ...,
WD24CD, ..., ObjectId``). LSOAs do not nest in wards: a *best-fit* lookup gives each LSOA the
one ward holding its population-weighted centroid (ONS Geography, "Best fit" policy), an
Output Area lookup gives each OA its ward (so an LSOA's OAs may fall in several wards), and a
weighted lookup splits an LSOA across wards by a weight or population column.

:func:`read_ward_lookup` reads any of them into one table of LSOA-to-ward *shares* (the part
of each LSOA's residents assigned to each ward, adding up to 1 per LSOA), which is what a
ward figure built from LSOA figures needs, plus the areas and a one-parent hierarchy for the
store.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pyarrow as pa

from healthgap.sources import _validate
from healthgap.sources._csv import read_csv
from healthgap.sources._guard import reads
from healthgap.sources._tables import Imported, areas_arrow, hierarchy_arrow, inputs_of

__all__ = ["SHARES", "WEIGHT_NAMES", "read_ward_lookup"]

#: Columns read as the weight of a row when ``weight`` is not given (case-insensitive).
WEIGHT_NAMES = ("weight", "proportion", "share", "population", "pop", "usualres")
#: Schema of ``Imported.extra["lsoa_ward"]``: the share of each LSOA's residents in each ward.
SHARES = pa.schema(
    [
        pa.field("lsoa_code", pa.string(), nullable=False),
        pa.field("ward_code", pa.string(), nullable=False),
        pa.field("ward_name", pa.string()),
        pa.field("lad_code", pa.string()),
        pa.field("share", pa.float64(), nullable=False),
    ]
)
#: GSS entity codes of each level (ONS Register of Geographic Codes): England and Wales.
_PATTERNS = {
    "OA": r"^[EW]00\d{6}$",
    "LSOA": r"^[EW]01\d{6}$",
    "WD": r"^[EW]05\d{6}$",
    "LAD": r"^[EW]0[6-9]\d{6}$",
}
_COLUMN = re.compile(r"^(OA|LSOA|WD|LAD)(\d{2})(CD|NM)$", re.IGNORECASE)


def _columns(header: list[str], problems: _validate.Problems) -> dict[str, str]:
    """Map ``OA``, ``LSOA``, ``WD``, ``LAD`` (+``NM``) to the file's column of that level."""
    found: dict[str, list[str]] = {}
    for name in header:
        match = _COLUMN.match(name)
        if match:
            level, kind = match.group(1).upper(), match.group(3).upper()
            found.setdefault(level + ("" if kind == "CD" else "NM"), []).append(name)
    for level, example in (("LSOA", "LSOA11CD"), ("WD", "WD11CD")):
        if level not in found:
            problems.add_file_problem(
                "header",
                ", ".join(header),
                f"a {level} code column such as {example} (an ONS LSOA/OA to ward lookup)",
            )
    for level, names in found.items():
        if len(names) > 1:
            problems.add_file_problem(
                "header",
                ", ".join(names),
                f"one {level} code column (several years' {level} columns: keep the "
                "columns of the year wanted)",
            )
    problems.raise_if_any()
    return {level: names[0] for level, names in found.items()}


def _weight_column(header: list[str], weight: str | None, problems: _validate.Problems) -> str:
    if weight is not None:
        if weight not in header:
            problems.add_file_problem(
                weight, "<absent>", f"the weight column {weight!r} in the header"
            )
        return weight
    named = [c for c in header if c.lower() in WEIGHT_NAMES]
    if len(named) > 1:
        problems.add_file_problem(
            "header",
            ", ".join(named),
            "at most one weight column; name the one to use (weight=...)",
        )
    return named[0] if named else ""


@reads("ward-lookup", "an ONS LSOA or OA to ward lookup CSV")
def read_ward_lookup(path: str | Path, *, weight: str | None = None) -> Imported:
    r"""Read an ONS LSOA (or OA) to ward lookup CSV into each LSOA's shares of wards.

    The share of LSOA :math:`l` in ward :math:`w` is

    .. math:: s_{lw} = \frac{\sum_{r \in R_{lw}} u_r}{\sum_{r \in R_l} u_r}

    over the file's rows :math:`R_l` of LSOA :math:`l` (:math:`R_{lw}`: those in ward
    :math:`w`), with :math:`u_r` the row's weight: the weight column when there is one, else
    1. A best-fit LSOA lookup (one row per LSOA) gives shares of 1; an Output Area lookup
    without weights counts each OA equally (OAs were designed to hold similar numbers of
    households: ONS, 2011 Census Output Area design, 125 households on average).

    Parameters
    ----------
    path : str or Path
        CSV with an LSOA code column (``LSOA11CD``, ``LSOA21CD``: any two-digit year, any
        case) and a ward code column (``WD11CD``, ``WD22CD`` ...), optionally ``OA..CD``,
        ``WD..NM``, ``LAD..CD``, ``LAD..NM`` and a weight; other columns (``FID``,
        ``ObjectId``, Welsh names ``..NMW``) are ignored; a byte-order mark is allowed.
    weight : str, optional
        Column of row weights (residents, or a proportion of the LSOA), numbers ``>= 0``
        adding up to more than 0 for each LSOA. By default a column named (in any case) one
        of :data:`WEIGHT_NAMES`, if any.

    Returns
    -------
    Imported
        ``extra["lsoa_ward"]`` (schema :data:`SHARES`): ``lsoa_code, ward_code, ward_name,
        lad_code, share``, one row per LSOA and ward it overlaps, sorted; ``areas`` (LSOAs,
        wards and local authorities, with names where given) and ``hierarchy``: each LSOA to
        its ward of largest share (``lsoa11-wd11``, from the file's years; ties go to the
        lowest ward code) and each ward to its local authority (``wd11-lad11``).

    Raises
    ------
    ImportValidationError
        No LSOA or ward column, two columns of one level, malformed codes (``E01``/``W01``
        LSOAs, ``E00``/``W00`` OAs, ``E05``/``W05`` wards, ``E06``-``E09``/``W06``
        authorities), weights that are missing, negative or not numbers, an LSOA whose
        weights add up to 0, an LSOA given several wards with no OA or weight column to
        split it, an OA or an LSOA-ward pair on two rows, a ward with two names or two local
        authorities, a file with no rows (file line and column named).

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "lookup.csv").write_text(
    ...     "LSOA11CD,LSOA11NM,WD11CD,WD11NM,LAD11CD,LAD11NM,FID\n"
    ...     "E01000001,City of London 001A,E05000001,Aldersgate,E09000001,City of London,1\n"
    ... )
    >>> shares = pl.from_arrow(read_ward_lookup(folder / "lookup.csv").extra["lsoa_ward"])
    >>> shares.row(0)
    ('E01000001', 'E05000001', 'Aldersgate', 'E09000001', 1.0)
    """
    path = Path(path)
    problems = _validate.Problems(path)
    raw = read_csv(path)
    header = [c for c in raw.columns if c != "_line"]
    columns = _columns(header, problems)
    weight_column = _weight_column(header, weight, problems)
    problems.raise_if_any()
    if raw.height == 0:
        problems.add_file_problem("rows", "<none>", "one row per LSOA (or OA) and ward", line=2)
        problems.raise_if_any()
    lsoa, ward = columns["LSOA"], columns["WD"]
    oa, lad = columns.get("OA"), columns.get("LAD")
    for level in ("OA", "LSOA", "WD", "LAD"):
        if level in columns:
            _validate.area_codes(raw, columns[level], problems, pattern=_PATTERNS[level])
    frame = raw.with_columns(
        pl.col(lsoa).alias("lsoa_code"),
        pl.col(ward).alias("ward_code"),
        (pl.col(columns["WDNM"]) if "WDNM" in columns else pl.lit(None, pl.String)).alias(
            "ward_name"
        ),
        (pl.col(lad) if lad else pl.lit(None, pl.String)).alias("lad_code"),
    )
    if weight_column:
        frame = _validate.numbers(
            frame.with_columns(pl.col(weight_column).alias("weight")),
            ["weight"],
            problems,
            {"weight": weight_column},
        )
        problems.add(
            frame,
            pl.col("weight").is_null() | (pl.col("weight") < 0),
            weight_column,
            pl.col(weight_column),
            "a weight >= 0 on every row",
        )
    else:
        frame = frame.with_columns(pl.lit(1.0).alias("weight"))
    _one_row_each(frame, oa, bool(weight_column), columns, problems)
    problems.raise_if_any()
    problems.add(
        frame,
        pl.col("weight").sum().over("lsoa_code") <= 0,
        weight_column,
        "lsoa_code",
        "weights adding up to more than 0 for each LSOA",
    )
    problems.raise_if_any()
    shares = (
        frame.group_by("lsoa_code", "ward_code")
        .agg(pl.col("weight").sum(), pl.col("ward_name", "lad_code").first())
        .with_columns((pl.col("weight") / pl.col("weight").sum().over("lsoa_code")).alias("share"))
        .sort("lsoa_code", "ward_code")
    )
    return _imported(path, frame, shares, columns)


def _one_row_each(
    frame: pl.DataFrame,
    oa: str | None,
    weighted: bool,
    columns: dict[str, str],
    problems: _validate.Problems,
) -> None:
    """Record rows that repeat an area, wards with two names or authorities, unsplit LSOAs."""
    lsoa, ward = columns["LSOA"], columns["WD"]
    if oa:
        problems.add(frame, pl.col(oa).is_duplicated(), oa, oa, "one row per OA")
    else:
        pair = pl.struct("lsoa_code", "ward_code")
        problems.add(
            frame,
            pair.is_duplicated(),
            ward,
            pl.format("{} -> {}", "lsoa_code", "ward_code"),
            "one row per LSOA and ward",
        )
        if not weighted:
            problems.add(
                frame,
                pl.col("ward_code").n_unique().over("lsoa_code") > 1,
                lsoa,
                "lsoa_code",
                "one ward per LSOA (a best-fit lookup), or a weight column to split an LSOA "
                f"between wards (one of {', '.join(WEIGHT_NAMES)}, or weight=...)",
            )
    for key, what in (("ward_name", "WDNM"), ("lad_code", "LAD")):
        if what in columns:
            problems.add(
                frame,
                pl.col(key).n_unique().over("ward_code") > 1,
                columns[what],
                pl.format("{} -> {}", "ward_code", key),
                f"one {columns[what]} for each {ward}",
            )


def _imported(
    path: Path, frame: pl.DataFrame, shares: pl.DataFrame, columns: dict[str, str]
) -> Imported:
    """Return the shares as ``extra``, with the areas and the best-fit hierarchy."""
    year = {level: columns[level][-4:-2] for level in ("LSOA", "WD", "LAD") if level in columns}

    def named(code: str, name: str | None, area_type: str) -> pl.DataFrame:
        return frame.select(
            pl.col(code).alias("area_code"),
            (pl.col(name) if name else pl.lit(None, pl.String)).alias("area_name"),
            pl.lit(area_type).alias("area_type"),
        ).unique("area_code", keep="first", maintain_order=True)

    parts = [
        named(columns["LSOA"], columns.get("LSOANM"), "lsoa"),
        named(columns["WD"], columns.get("WDNM"), "ward"),
    ]
    best = shares.sort("lsoa_code", "share", "ward_code", descending=[False, True, False]).unique(
        "lsoa_code", keep="first", maintain_order=True
    )
    edges = [
        best.select(
            pl.lit(f"lsoa{year['LSOA']}-wd{year['WD']}").alias("hierarchy"),
            pl.col("lsoa_code").alias("child_code"),
            pl.col("ward_code").alias("parent_code"),
        )
    ]
    if "LAD" in columns:
        parts.append(named(columns["LAD"], columns.get("LADNM"), "la"))
        edges.append(
            frame.unique("ward_code", keep="first", maintain_order=True).select(
                pl.lit(f"wd{year['WD']}-lad{year['LAD']}").alias("hierarchy"),
                pl.col("ward_code").alias("child_code"),
                pl.col("lad_code").alias("parent_code"),
            )
        )
    table = shares.select(SHARES.names).to_arrow()
    return Imported(
        source="ward-lookup",
        areas=areas_arrow(pl.concat(parts)),
        hierarchy=hierarchy_arrow(pl.concat(edges).sort("hierarchy", "child_code")),
        inputs=inputs_of(path),
        extra={"lsoa_ward": pa.Table.from_arrays(table.columns, schema=SHARES)},
    )
