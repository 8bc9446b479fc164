"""Build the London snapshot shipped in ``src/healthgap/london/snapshot/`` from ../shared/data.

The snapshot is a compact file set of real published figures, the input of the real London
main job (``healthgap demo``):

- ``values.csv``: every published value of the sources below for England (E92000001), London
  (E12000007) and its 33 boroughs (E09...), in the store's VALUES columns plus ``source``
  (read with the public ``healthgap.sources`` importers);
- ``judgements.csv``: the sources' own published judgements of those values (Fingertips'
  ``Compared to England ...``, parent, goal and ``Recent Trend`` columns), in the store's
  JUDGEMENTS columns plus ``source``; only rows that judge something;
- ``areas.csv``: the 33 boroughs, London and England (codes, names, types);
- ``lsoa.csv``: London's 4,835 LSOAs (2011): IMD 2019 national rank and decile (MHCLG File 1),
  IMD 2019 score (the GLA's "ID 2019 for London" workbook), usual residents at Census 2011
  (GLA statistical boundary file) and the Census 2021 general health counts (TS037; LSOAs
  whose 2021 code is the 2011 code), for the small-area deprivation gap;
- ``ward_le.csv``: the GLA's life expectancy at birth of London's 624 wards (2003 CAS wards;
  the City of London is one area, not wards) with its 95% limits, by 5-year pooled period and
  sex, for the ward gap by deprivation (with an ONS LSOA to ward lookup given to the job);
- ``manifest.json``: each source file (path, publisher, title, URL, date, licence, SHA-256)
  and the SHA-256 of each written file.

Usage::

    python scripts/build_london_snapshot.py [DATA_DIR] [--out OUT_DIR]

DATA_DIR defaults to ``../shared/data`` (beside the repository), OUT_DIR to the package's
``snapshot`` folder. The output depends only on the input files and healthgap's importers:
running it twice gives the same bytes (a realdata test checks the shipped snapshot so).

Workarounds: the ONS ELS pay file codes periods as ASHE reference dates (``2025-04-30``),
which ``read_ons_els`` rejects today; its columns are read here with Polars instead, the
period being the ASHE year. No importer reads the ONS subnational indicators explorer file
today: four of its series (child obesity at reception and Year 6, key stage 2 attainment,
household income; boroughs only) are read here with Polars too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "healthgap" / "london" / "snapshot"
LONDON, ENGLAND = "E12000007", "E92000001"
LICENCE = "Open Government Licence v3.0"

#: (source key, file under the data folder, importer name in healthgap.sources or "pay")
SOURCES: tuple[tuple[str, str, str], ...] = (
    ("ons-le", "mortality/leatbirthandatage65byukla201618.xlsx", "read_ons_life_expectancy"),
    ("gla-le", "mortality/gla_life-expectancy-ward-at-Birth.csv", "read_gla_ward_life_expectancy"),
    ("ons-hle", "mortality/ons_els_healthy-life-expectancy.csv", "read_ons_els"),
    (
        "ons-cvd",
        "mortality/ons_els_preventable-cardiovascular-mortality-england.csv",
        "read_ons_els",
    ),
    ("ons-obesity", "indicators/ons_els_adult-obesity-prevalence.csv", "read_ons_els"),
    ("ons-smoking", "indicators/ons_els_cigarette-smokers.csv", "read_ons_els"),
    ("ons-early-years", "indicators/ons_els_early-years.csv", "read_ons_els"),
    ("ons-employment", "indicators/ons_els_employment-rate.csv", "read_ons_els"),
    ("ons-gcse", "indicators/ons_els_gcses-in-english-and-maths.csv", "read_ons_els"),
    ("ons-pay", "indicators/ons_els_gross-median-weekly-pay.csv", "pay"),
    ("ons-unemployment", "indicators/ons_els_modelled-unemployment.csv", "read_ons_els"),
    ("ons-absence", "indicators/ons_els_persistent-absences-for-all-pupils.csv", "read_ons_els"),
    ("ons-cancer", "indicators/ons_els_cancer-diagnosis-at-stage-1-and-2.csv", "read_ons_els"),
    ("ons-wellbeing", "population/ons_els_personal-wellbeing-estimates.csv", "read_ons_els"),
    ("ons-poverty", "deprivation/ons_els_children-in-relative-poverty.csv", "read_ons_els"),
    ("census-health", "population/census2021_TS037_ltla_general_health.csv", "read_census_2021"),
    ("ons-subnational", "indicators/ons_subnational_indicators_revised_data.csv", "subnational"),
    (
        "fingertips-injuries",
        "fingertips/ansarikasim_injuries-in-children__Compare_areas.csv",
        "read_fingertips_csv",
    ),
)
FINGERTIPS = "OHID Fingertips (Office for Health Improvement and Disparities)"
#: Subnational indicators explorer series kept (boroughs only: the file has no region rows):
#: indicator name in the file -> our source indicator id
SUBNATIONAL = {
    "Obesity prevalence in children at reception age (aged four to five years)": (
        "ons-sni-reception-obesity"
    ),
    "Obesity prevalence in children at Year 6 age (aged 10 to 11 years)": "ons-sni-year6-obesity",
    "Pupils meeting the expected standard in reading, writing and maths at the end of key "
    "stage 2": "ons-sni-ks2-rwm",
    "Gross disposable household income per head": "ons-sni-gdhi",
}
IMD_FILE = "deprivation/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
IMD_SCORES = "deprivation/ID 2019 for London.xlsx"
WARD_LE = "mortality/gla_life-expectancy-ward-at-Birth.csv"
LSOA_DBF = "boundaries/lsoa_2011_london_gen_mhw/LSOA_2011_London_gen_MHW.dbf"
HEALTH_LSOA = "population/census2021-ts037-lsoa.csv"
LOOKUP = "lookups/Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv"
SMALL_AREA_INPUTS = (IMD_FILE, IMD_SCORES, LSOA_DBF, HEALTH_LSOA, LOOKUP)


def _kept(frame: pl.DataFrame) -> pl.DataFrame:
    code = pl.col("area_code")
    return frame.filter(code.str.starts_with("E09") | code.is_in([LONDON, ENGLAND]))


def _pay(path: Path) -> pl.DataFrame:
    """ONS ELS median weekly pay: ASHE reference dates as the period year (see module notes)."""
    raw = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    raw = raw.rename({raw.columns[0]: "areacd"})  # the file starts with a UTF-8 BOM
    year = pl.col("period").str.slice(0, 4).cast(pl.Int32)
    return raw.select(
        pl.lit("ons-gross-median-weekly-pay").alias("indicator_id"),
        pl.col("areacd").alias("area_code"),
        year.cast(pl.String).alias("period"),
        year.alias("period_start"),
        pl.lit(1, pl.Int16).alias("period_years"),
        pl.lit("Persons").alias("sex"),
        pl.lit("All ages").alias("age"),
        pl.lit("").alias("category_type"),
        pl.lit("").alias("category"),
        pl.col("observation").cast(pl.Float64).alias("value"),
        pl.col("lci_95").cast(pl.Float64).alias("lower95_0cl"),
        pl.col("uci_95").cast(pl.Float64).alias("upper95_0cl"),
        pl.lit(None, pl.Float64).alias("lower99_8cl"),
        pl.lit(None, pl.Float64).alias("upper99_8cl"),
        pl.lit(None, pl.Float64).alias("count"),
        pl.lit(None, pl.Float64).alias("denominator"),
        pl.col("status").alias("value_note"),
    )


def _subnational(path: Path) -> pl.DataFrame:
    """ONS subnational indicators explorer: the series of :data:`SUBNATIONAL`, latest period.

    Read with Polars (no healthgap importer reads this file today). Periods are an academic
    year ``2022/23`` or a calendar year ``2021``; values have no limits.
    """
    raw = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    raw = raw.rename({raw.columns[0]: "unique"})  # the file starts with a UTF-8 BOM
    rows = raw.filter(pl.col("Indicator").is_in(list(SUBNATIONAL)))
    start = pl.col("Period").str.slice(0, 4).cast(pl.Int32)
    return rows.select(
        pl.col("Indicator").replace_strict(SUBNATIONAL).alias("indicator_id"),
        pl.col("unique").alias("area_code"),
        pl.col("Period").alias("period"),
        start.alias("period_start"),
        pl.lit(1, pl.Int16).alias("period_years"),
        pl.lit("Persons").alias("sex"),
        pl.lit("All ages").alias("age"),
        pl.lit("").alias("category_type"),
        pl.lit("").alias("category"),
        pl.col("real").cast(pl.Float64).alias("value"),
        *[pl.lit(None, pl.Float64).alias(c) for c in _NULL_FLOATS],
        pl.lit(None, pl.String).alias("value_note"),
    )


_NULL_FLOATS = ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl", "count", "denominator")


def _values(data: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read every source: its values, and the judgements it published of them."""
    import healthgap.sources as sources
    from healthgap.store.schema import JUDGEMENT_COLUMNS, JUDGEMENTS, VALUE_KEYS

    parts, judged = [], []
    for key, relative, reader in SOURCES:  # eighteen files
        path = data / relative
        if reader == "pay":
            frame = _pay(path)
        elif reader == "subnational":
            frame = _subnational(path)
        else:
            read: Callable = getattr(sources, reader)
            imported = read(path)
            frame = pl.from_arrow(imported.values)
            assert isinstance(frame, pl.DataFrame)
            if imported.judgements is not None:
                theirs = pl.from_arrow(imported.judgements)
                assert isinstance(theirs, pl.DataFrame)
                judged.append(_kept(theirs).with_columns(pl.lit(key).alias("source")))
        parts.append(_kept(frame).with_columns(pl.lit(key).alias("source")))
    values = pl.concat([p.select("source", *parts[0].columns[:-1]) for p in parts], how="vertical")
    said = pl.any_horizontal(pl.col(c).str.strip_chars().ne("") for c in JUDGEMENT_COLUMNS)
    columns = {"source": pl.String} | dict(pl.from_arrow(JUDGEMENTS.empty_table()).schema)
    judgements = (
        pl.concat([pl.DataFrame(schema=columns), *judged], how="diagonal_relaxed")
        .select(list(columns))
        .filter(said.fill_null(False))
        .with_columns(  # an empty text is no judgement
            pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c)).alias(c)
            for c in JUDGEMENT_COLUMNS
        )
    )
    # floats are written in their shortest exact form: the values as the importers read them
    values = values.sort(
        "source", "indicator_id", "area_code", "period_start", "period", "sex", "age", "category"
    )
    return values, judgements.sort("source", *VALUE_KEYS)


def _areas(data: Path) -> pl.DataFrame:
    lookup = pl.read_csv(data / LOOKUP, infer_schema_length=0, encoding="utf8-lossy")
    lookup = lookup.rename({c: c.lstrip("\ufeff") for c in lookup.columns})
    boroughs = lookup.filter(pl.col("RGN19CD") == LONDON).select(
        pl.col("LAD19CD").alias("area_code"),
        pl.col("LAD19NM").alias("area_name"),
        pl.lit("la").alias("area_type"),
    )
    if boroughs.height != 33:
        raise SystemExit(f"{LOOKUP}: expected 33 London boroughs, found {boroughs.height}")
    others = pl.DataFrame(
        {
            "area_code": [LONDON, ENGLAND],
            "area_name": ["London", "England"],
            "area_type": ["region", "country"],
        }
    )
    return pl.concat([boroughs, others]).sort("area_code")


def _lsoas(data: Path) -> pl.DataFrame:
    import shapefile  # pyshp, a healthgap dependency
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(data / IMD_FILE).get_sheet_by_name("IMD2019").to_python()
    imd = pl.DataFrame(rows[1:], schema=[f"c{i}" for i in range(len(rows[0]))], orient="row")
    imd = imd.select(
        pl.col("c0").alias("lsoa_code"),
        pl.col("c2").alias("borough_code"),
        pl.col("c4").cast(pl.Int32).alias("imd_rank"),
        pl.col("c5").cast(pl.Int32).alias("imd_decile"),
    ).filter(pl.col("borough_code").str.starts_with("E09"))
    london = CalamineWorkbook.from_path(data / IMD_SCORES).get_sheet_by_name("IMD 2019")
    rows = london.to_python()
    score_at = rows[0].index("Index of Multiple Deprivation (IMD) Score")
    scores = pl.DataFrame(
        {"lsoa_code": [r[0] for r in rows[1:]], "imd_score": [float(r[score_at]) for r in rows[1:]]}
    )
    imd = imd.join(scores, on="lsoa_code", how="left")
    if imd["imd_score"].null_count():
        raise SystemExit(f"{IMD_SCORES}: {imd['imd_score'].null_count()} LSOAs have no score")
    with shapefile.Reader(dbf=str(data / LSOA_DBF), encoding="latin-1") as dbf:
        names = [f[0] for f in dbf.fields[1:]]
        records = dbf.records()
    column = {name: i for i, name in enumerate(names)}
    residents = pl.DataFrame(
        {
            "lsoa_code": [r[column["LSOA11CD"]] for r in records],
            "residents_2011": [int(r[column["USUALRES"]]) for r in records],
        }
    )
    health = pl.read_csv(data / HEALTH_LSOA, infer_schema_length=0)
    picked = {
        "geography code": "lsoa_code",
        "General health: Total: All usual residents": "health_total",
        "General health: Very good health": "health_very_good",
        "General health: Good health": "health_good",
        "General health: Fair health": "health_fair",
        "General health: Bad health": "health_bad",
        "General health: Very bad health": "health_very_bad",
    }
    health = health.select(
        pl.col("geography code").alias("lsoa_code"),
        *[pl.col(k).cast(pl.Int64).alias(v) for k, v in picked.items() if v != "lsoa_code"],
    )
    out = imd.join(residents, on="lsoa_code", how="left").join(health, on="lsoa_code", how="left")
    if out["residents_2011"].null_count():
        raise SystemExit(f"{LSOA_DBF}: {out['residents_2011'].null_count()} LSOAs not found")
    return out.sort("lsoa_code")


def _ward_le(data: Path) -> pl.DataFrame:
    """Ward rows (E05 codes) of the GLA ward life expectancy, as its importer reads them."""
    from healthgap.sources import read_gla_ward_life_expectancy

    values = pl.from_arrow(read_gla_ward_life_expectancy(data / WARD_LE).values)
    assert isinstance(values, pl.DataFrame)
    return (
        values.filter(pl.col("area_code").str.starts_with("E05"))
        .select(
            "area_code",
            "period",
            "period_start",
            "period_years",
            "sex",
            "value",
            "lower95_0cl",
            "upper95_0cl",
        )
        .sort("area_code", "period_start", "sex")
    )


def _section(data: Path, relative: str) -> dict[str, str | None]:
    """Read the publisher, contents and repository URL of one file from its SOURCES.md."""
    if relative.startswith("fingertips/"):
        return _fingertips_row(data, relative)
    sources_md = (data / "SOURCES.md").read_text(encoding="utf-8")
    start = sources_md.find(f"### `{relative}`")
    if start < 0:
        raise SystemExit(f"SOURCES.md does not describe {relative}")
    text = sources_md[start : sources_md.find("\n### ", start + 4)]

    def field(pattern: str) -> str | None:
        found = re.search(pattern, text)
        return found.group(1).strip() if found else None

    repo, path = field(r"Repository: `([^`]+)`"), field(r"— path `([^`]+)`")
    commit = field(r"Snapshot commit `([0-9a-f]+)`")
    return {
        "publisher": field(r"- Publisher: (.+)"),
        "contents": field(r"- Contents: (.+)"),
        "copied_from": f"https://github.com/{repo}/blob/{commit}/{path}" if repo else None,
    }


def _fingertips_row(data: Path, relative: str) -> dict[str, str | None]:
    """Read the row of fingertips/SOURCES.md's table describing one export."""
    name = relative.removeprefix("fingertips/")
    table = (data / "fingertips" / "SOURCES.md").read_text(encoding="utf-8")
    row = next((line for line in table.splitlines() if line.startswith(f"| `{name}`")), None)
    if row is None:
        raise SystemExit(f"fingertips/SOURCES.md does not describe {name}")
    cells = [c.strip() for c in row.strip("|").split("|")]
    path = cells[2].strip("`")
    commit = re.search(r"[0-9a-f]{40}", cells[3])
    return {
        "publisher": FINGERTIPS,
        "contents": cells[-1],
        "copied_from": f"https://github.com/{cells[1]}/blob/{commit.group(0)}/{path}"
        if commit
        else None,
    }


def _metadata(path: Path) -> dict[str, str | None]:
    """Title, official URL and date of an ONS ELS file, from its companion JSON."""
    meta_path = path.with_suffix(".json")
    if not meta_path.exists():
        return {"title": None, "url": None, "date": None}
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta = meta.get("ess-beta-metadata", meta)  # one indicator: its fields at the top
    shared = meta.get("shared", meta)
    titles = [v["label"] for v in meta.values() if isinstance(v, dict) and "label" in v]
    titles = titles or [meta.get("label")]
    # "dd/mm/yyyy", several joined by "|" when the UK figure has several publishers
    dates = ["-".join(reversed(d.split("/"))) for d in shared["sourceDate"].split("|")]
    return {
        "title": "; ".join(t for t in titles if t),
        "url": shared["sourceURL"].split("|")[0],
        "date": dates[0],
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(data: Path, written: list[Path]) -> dict:
    entries = []
    files = [(key, rel) for key, rel, _ in SOURCES] + [("small-area", r) for r in SMALL_AREA_INPUTS]
    for key, relative in files:
        path = data / relative
        entries.append(
            {
                "source": key,
                "file": relative,
                **_section(data, relative),
                **_metadata(path),
                "licence": LICENCE,
                "bytes": path.stat().st_size,
                "sha256": _sha256(path),
            }
        )
    return {
        "description": "Real published figures for London, its 33 boroughs and England, and "
        "London's LSOAs and wards for the small-area deprivation gaps; built by "
        "scripts/build_london_snapshot.py from ../shared/data.",
        "licence": LICENCE,
        "attribution": "Contains public sector information licensed under the Open "
        "Government Licence v3.0.",
        "sources": entries,
        "files": {p.name: {"bytes": p.stat().st_size, "sha256": _sha256(p)} for p in written},
    }


def build(data: Path, out: Path) -> list[Path]:
    """Write the snapshot of ``data`` into ``out``; return the files written."""
    if not (data / "SOURCES.md").exists():
        raise SystemExit(f"{data}: not the shared data folder (no SOURCES.md)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    values, judgements = _values(data)
    for name, frame in (
        ("areas.csv", _areas(data)),
        ("values.csv", values),
        ("judgements.csv", judgements),
        ("lsoa.csv", _lsoas(data)),
        ("ward_le.csv", _ward_le(data)),
    ):
        path = out / name
        tmp = path.with_name(f".{name}.tmp")
        frame.write_csv(tmp, float_precision=None)
        tmp.replace(path)
        written.append(path)
    manifest = out / "manifest.json"
    text = json.dumps(_manifest(data, written), indent=1, sort_keys=True, ensure_ascii=False)
    tmp = manifest.with_name(".manifest.json.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(manifest)
    return [*written, manifest]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build, print the files written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder")
    args = parser.parse_args(argv)
    for path in build(args.data, args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
