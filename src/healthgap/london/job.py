"""The main job on real London: the shipped snapshot of published figures into a new store.

:func:`run` opens a new store ``<out>/healthgap.duckdb`` and writes

- the areas (33 boroughs, London, England);
- one vintage per source file of the snapshot (its publisher, title, URL, date, licence and
  SHA-256 in the vintage's parameters and inputs), holding its series under the ids and names
  they are shown as (the HIS catalogue's ids where the Strategy has the indicator;
  :mod:`healthgap.london.series`), with the judgements the source published of its values
  (Fingertips' comparisons and trends);
- one vintage of the Strategy's gaps, computed here from published small-area and borough
  figures (:mod:`healthgap.london.inequality`): bad or very bad health by within-London
  deprivation decile with its SII, and the SII of life expectancy, healthy life expectancy
  and preventable cardiovascular mortality across boroughs ranked by deprivation;
- with an ONS LSOA (2011) to ward lookup (``ward_lookup``), the life-expectancy gap across
  London's wards ranked by deprivation (:mod:`healthgap.london.ward_gap`): life expectancy by
  within-London ward deprivation decile, its SII and RII, and the gap between the least and
  most deprived deciles, per sex and 5-year period. Without one the job says so in
  :attr:`LondonResult.notes` and the gap by deprivation is the boroughs' SII. No lookup is
  shipped or made up: ONS publishes it (Open Geography Portal).

The report is written by the caller (``healthgap demo``) from every vintage of the store, so
each published figure is shown once, with its own source, vintage and licence.
Everything is deterministic: the same snapshot gives the same vintage ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl
import pyarrow as pa

from healthgap.errors import InputError
from healthgap.london import ENGLAND_CODE, LONDON_CODE, inequality, ward_gap
from healthgap.london.series import (
    AS_PUBLISHED,
    DERIVED,
    SERIES,
    WARD_DERIVED,
    Series,
    metas,
    source_metas,
)
from healthgap.store.inputs import InputFile
from healthgap.store.schema import HIERARCHY, JUDGEMENTS, VALUES

__all__ = ["NO_WARD_LOOKUP", "SNAPSHOT_DIR", "SOURCE", "STAGES", "LondonResult", "run"]

SNAPSHOT_DIR = Path(str(resources.files("healthgap.london") / "snapshot"))
STORE_FILE = "healthgap.duckdb"
#: ``source`` of every vintage the job writes (how a rerun recognises its own store).
SOURCE = "healthgap London snapshot"
#: The stages reported to ``progress(stage, done, total)``, in order.
STAGES = ("sources", "inequality", "indicators")

#: What the job says when it is given no ward lookup (one line, for the caller to show).
NO_WARD_LOOKUP = (
    "ward life-expectancy gap not computed: no LSOA to ward lookup given (--ward-lookup FILE); "
    "download the 'LSOA (2011) to Ward (2011) Lookup in England and Wales' CSV from the ONS "
    "Open Geography Portal (https://geoportal.statistics.gov.uk); the gap by deprivation "
    "uses London's boroughs"
)
WARD_LE_FILE = "ward_le.csv"

Progress = Callable[[str, int, int], None]
_KEYS = ["indicator_id", "area_code", "period", "sex", "age", "category_type", "category"]


@dataclass(frozen=True)
class LondonResult:
    """What the job wrote: the store, each source's vintage and the vintage of the gaps.

    ``notes`` holds one line for each part the inputs did not allow or allowed only in part
    (no ward lookup; a lookup reaching only some wards or LSOAs).
    """

    store_path: Path
    #: each snapshot source's vintage (its published series, under the ids they are shown as)
    source_vintages: dict[str, str]
    #: the vintage of the gaps the job computes
    vintage: str
    #: values in :attr:`vintage`
    n_values: int
    #: every indicator the job publishes: the sources' series and the computed gaps
    indicator_ids: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _manifest(snapshot: Path) -> dict:
    path = snapshot / "manifest.json"
    if not path.is_file():
        raise InputError(f"{path}: the London snapshot has no manifest")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for name, entry in manifest["files"].items():
        found = InputFile.from_path(snapshot / name)
        if found.sha256 != entry["sha256"]:
            raise InputError(
                f"{snapshot / name}: SHA-256 {found.sha256} differs from the manifest's "
                f"{entry['sha256']}; rebuild with scripts/build_london_snapshot.py"
            )
    return manifest


def _read(snapshot: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    areas = pl.read_csv(snapshot / "areas.csv", infer_schema_length=0)
    frames = []
    for name, arrow_schema in (("values.csv", VALUES), ("judgements.csv", JUDGEMENTS)):
        schema = {"source": pl.String} | dict(pl.from_arrow(arrow_schema.empty_table()).schema)
        frames.append(
            pl.read_csv(snapshot / name, schema=schema).with_columns(
                pl.col("category_type", "category").fill_null("")
            )
        )
    lsoas = pl.read_csv(snapshot / "lsoa.csv")
    return areas, frames[0], frames[1], lsoas


def _hierarchy(areas: pl.DataFrame) -> pa.Table:
    """Return the boroughs in London and London in England (``la-region``, ``region-country``)."""
    boroughs = areas.filter(pl.col("area_type") == "la")["area_code"].sort().to_list()
    return pa.table(
        {
            "hierarchy": ["la-region"] * len(boroughs) + ["region-country"],
            "child_code": [*boroughs, LONDON_CODE],
            "parent_code": [LONDON_CODE] * len(boroughs) + [ENGLAND_CODE],
        },
        schema=HIERARCHY,
    )


def _clear_previous_run(store_path: Path) -> None:
    """Remove the store of an earlier run of this job; refuse any other store."""
    if not store_path.exists():
        return
    from healthgap.store import Store

    with Store.open(store_path) as store:
        sources = set(store.vintages()["source"].to_pylist())
    if not sources or any(not s.startswith(SOURCE) for s in sources):
        raise InputError(
            f"{store_path} exists and was not written by the London job; the main job "
            "starts from a new store: choose another --out folder"
        )
    for path in (store_path, store_path.with_name(store_path.name + ".wal")):
        path.unlink(missing_ok=True)


def _strategy_values(
    values: pl.DataFrame, series: tuple[Series, ...] = SERIES + AS_PUBLISHED
) -> pl.DataFrame:
    """Relabel published series (or their judgements) with the indicator ids they are shown as."""
    parts = [values.clear()]
    for s in series:  # two dozen series
        rows = values.filter(pl.col("indicator_id") == s.source_id)
        if s.sex is not None:
            rows = rows.filter(pl.col("sex") == s.sex)
        parts.append(rows.with_columns(pl.lit(s.id).alias("indicator_id")))
    return pl.concat(parts)


def _poor_health(values: pl.DataFrame, lsoas: pl.DataFrame) -> pl.DataFrame:
    """Bad or very bad health: boroughs and London (TS037 by LTLA), deciles and their SII."""
    health = values.filter(
        (pl.col("indicator_id") == "census2021-general-health")
        & pl.col("category").is_in(["Bad health", "Very bad health"])
        & pl.col("area_code").str.starts_with("E09")
    )
    boroughs = health.group_by("area_code").agg(
        pl.col("count").sum(), pl.col("denominator").first()
    )
    london = boroughs.select(
        pl.lit(LONDON_CODE).alias("area_code"), pl.col("count", "denominator").sum()
    )
    totals = inequality.percentage(
        pl.concat([boroughs, london]).with_columns(
            pl.lit("").alias("category_type"), pl.lit("").alias("category")
        )
    )
    deciles = inequality.poor_health_by_decile(lsoas, LONDON_CODE)
    gap = inequality.poor_health_sii(deciles).with_columns(
        pl.lit("poor_health_sii").alias("indicator_id")
    )
    census = {"period": "2021", "period_start": 2021, "period_years": 1}
    both = pl.concat([totals, deciles]).with_columns(pl.lit("poor_health").alias("indicator_id"))
    return pl.concat([both, gap], how="diagonal_relaxed").with_columns(
        pl.lit(census["period"]).alias("period"),
        pl.lit(census["period_start"], pl.Int32).alias("period_start"),
        pl.lit(census["period_years"], pl.Int16).alias("period_years"),
        pl.lit("Persons").alias("sex"),
        pl.lit("All ages").alias("age"),
        pl.col("category_type", "category").fill_null(""),
    )


def _borough_gaps(values: pl.DataFrame, lsoas: pl.DataFrame) -> pl.DataFrame:
    """SII across boroughs of life expectancy, healthy life expectancy and CVD mortality."""
    deprivation = inequality.borough_deprivation(lsoas)
    parts = []
    for source_id, target, value_type in (
        ("gla-ward-le-birth", "le_sii", 0),
        ("ons-healthy-life-expectancy", "hle_sii", 0),
        ("ons-preventable-cardiovascular-mortality-england", "cvd_sii", 1),
    ):
        rows = values.filter(
            (pl.col("indicator_id") == source_id) & pl.col("area_code").str.starts_with("E09")
        )
        gap = inequality.borough_sii(rows, deprivation, LONDON_CODE, value_type=value_type)
        parts.append(gap.with_columns(pl.lit(target).alias("indicator_id")))
    return pl.concat(parts).with_columns(
        pl.lit("").alias("category_type"), pl.lit("").alias("category")
    )


def _ward_gaps(
    snapshot: Path, lsoas: pl.DataFrame, lookup: Path
) -> tuple[pl.DataFrame, dict[str, object], tuple[str, ...]]:
    """Ward life expectancy by deprivation decile, its SII and the decile 10 - 1 gap.

    Returns the values, the vintage's record of the lookup and a note when the lookup does
    not reach every ward of the life expectancy file or every London LSOA.
    """
    from healthgap.sources import read_ward_lookup

    if not (snapshot / WARD_LE_FILE).is_file() or "imd_score" not in lsoas.columns:
        raise InputError(
            f"{snapshot}: the snapshot has no ward life expectancy or no IMD scores (written "
            "before the ward gap); rebuild it with scripts/build_london_snapshot.py"
        )
    shares = pl.from_arrow(read_ward_lookup(lookup).extra["lsoa_ward"])
    assert isinstance(shares, pl.DataFrame)
    le = pl.read_csv(
        snapshot / WARD_LE_FILE,
        schema_overrides={"period_start": pl.Int32, "period_years": pl.Int16},
    ).with_columns(pl.lit("All ages").alias("age"))
    residents = lsoas.select("lsoa_code", "imd_score", pl.col("residents_2011").alias("residents"))
    deprivation = ward_gap.ward_deprivation(residents, shares)
    matched, total = ward_gap.check_coverage(le["area_code"], deprivation, str(lookup))
    # deciles of the wards with a life expectancy (the City of London has none by ward)
    wards = ward_gap.ward_quantiles(
        deprivation.filter(pl.col("ward_code").is_in(le["area_code"].unique().implode()))
    )
    by_decile = ward_gap.le_by_quantile(le, wards, LONDON_CODE)
    parts = [
        by_decile.drop("se", "wards").with_columns(pl.lit("le_ward_decile").alias("indicator_id")),
        ward_gap.ward_sii(by_decile).with_columns(pl.lit("le_ward_sii").alias("indicator_id")),
        ward_gap.quantile_gap(by_decile).with_columns(pl.lit("le_ward_gap").alias("indicator_id")),
    ]
    out = pl.concat(parts, how="diagonal_relaxed").with_columns(
        pl.col("category_type", "category").fill_null("")
    )
    reached = int(lsoas["lsoa_code"].is_in(shares["lsoa_code"].implode()).sum())
    found = {
        "file": lookup.name,
        "sha256": InputFile.from_path(lookup).sha256,
        "wards_matched": matched,
        "wards": total,
        "london_lsoas_matched": reached,
        "london_lsoas": lsoas.height,
    }
    notes: tuple[str, ...] = ()
    if matched < total or reached < lsoas.height:
        notes = (
            f"ward life-expectancy gap from {matched} of the {total} wards and {reached} of "
            f"London's {lsoas.height} LSOAs in {lookup.name}: the rest are not in the lookup "
            "(other years' codes?); the LSOA (2011) to Ward (2011) lookup reaches them all",
        )
    return out, found, notes


def _source_fields(manifest: dict) -> dict[str, dict]:
    """Manifest entry of each source key."""
    return {entry["source"]: entry for entry in manifest["sources"]}


def run(
    out: Path | str,
    *,
    snapshot: Path | str = SNAPSHOT_DIR,
    ward_lookup: Path | str | None = None,
    progress: Progress | None = None,
) -> LondonResult:
    """Load the snapshot into a new store ``<out>/healthgap.duckdb`` and compute the gaps.

    Parameters
    ----------
    out : path
        Output folder (created). An earlier run's store there is replaced; any other store
        is left alone and the job stops.
    snapshot : path, default the snapshot shipped in the package
        Folder written by ``scripts/build_london_snapshot.py``; its files must match the
        SHA-256 in its manifest.
    ward_lookup : path, optional
        An ONS Open Geography Portal lookup of LSOAs (or OAs) to wards, read by
        :func:`healthgap.sources.read_ward_lookup`: the "LSOA (2011) to Ward (2011) Lookup in
        England and Wales", whose wards are those of the GLA ward life expectancy. With it
        the job adds ``le_ward_decile``, ``le_ward_sii`` and ``le_ward_gap`` (and the file to
        the vintage's inputs); without it, :data:`NO_WARD_LOOKUP` is in the result's notes.
    progress : callable, optional
        ``progress(stage, done, total)`` for the stages in :data:`STAGES`.

    Returns
    -------
    LondonResult
        The store file, each source's vintage id, the Strategy's vintage id, its number of
        values and its indicator ids.

    Raises
    ------
    InputError
        A snapshot file differs from its manifest, ``out`` holds a store this job did not
        write, or the ward lookup is malformed or matches none of the wards (checked before
        any store is written).
    """
    from healthgap.store import Store
    from healthgap.store.schema import VALUE_KEYS, VALUES

    out, snapshot = Path(out), Path(snapshot)
    step = progress or (lambda _stage, _done, _total: None)
    manifest = _manifest(snapshot)
    areas, values, judgements, lsoas = _read(snapshot)
    wards: pl.DataFrame | None
    if ward_lookup is not None:
        wards, ward_parameters, notes = _ward_gaps(snapshot, lsoas, Path(ward_lookup))
    else:
        wards, ward_parameters, notes = None, {"not computed": NO_WARD_LOOKUP}, (NO_WARD_LOOKUP,)
    store_path = out / STORE_FILE
    out.mkdir(parents=True, exist_ok=True)
    _clear_previous_run(store_path)
    # built beside its place and moved there at the end: a failed run leaves no store
    building = out / f".{STORE_FILE}.building"
    for path in (building, building.with_name(building.name + ".wal")):
        path.unlink(missing_ok=True)
    fields = _source_fields(manifest)
    by_source = values.partition_by("source", as_dict=True, include_key=False)
    judged = judgements.partition_by("source", as_dict=True, include_key=False)
    source_vintages = {}
    shown = SERIES + AS_PUBLISHED
    origin = {s.id: fields[_source_of(values, s.source_id)] for s in shown}
    _check_every_series_is_shown(values, shown)
    with Store.open(building) as store:
        store.add_areas(areas.to_arrow(), hierarchy=_hierarchy(areas))
        for done, ((key,), rows) in enumerate(sorted(by_source.items())):
            entry = fields[key]
            step("sources", done, len(by_source))
            # each source's vintage publishes its series under the ids and names they are
            # shown as, so a report on the whole store shows each once, with its source
            here = tuple(s for s in shown if origin[s.id] is entry)
            published = _strategy_values(rows, here)
            source_judgements = (
                _strategy_values(judged[(key,)], here).to_arrow() if (key,) in judged else None
            )
            source_vintages[key] = store.add_vintage(
                published.sort(list(VALUE_KEYS)).to_arrow(),
                source=f"{SOURCE}: {entry['file']}",
                inputs=[InputFile(Path(entry["file"]).name, entry["bytes"], entry["sha256"])],
                parameters={k: entry.get(k) for k in ("publisher", "title", "url", "date")}
                | {"licence": entry["licence"], "file": entry["file"]},
                indicators=source_metas(here, origin),
                label=f"{entry['publisher']}: {Path(entry['file']).name}",
                judgements=source_judgements,
            )
        step("sources", len(by_source), len(by_source))

        step("inequality", 0, 1)
        derived = pl.concat(
            [_poor_health(values, lsoas), _borough_gaps(values, lsoas)]
            + ([] if wards is None else [wards]),
            how="diagonal_relaxed",
        )
        step("inequality", 1, 1)

        step("indicators", 0, 1)
        his = derived.select(VALUES.names).sort(_KEYS)
        small_area = {
            "publisher": "healthgap, from MHCLG IMD 2019, ONS Census 2011 and 2021",
            "title": "Computed from the snapshot's lsoa.csv",
        }
        origin |= {"poor_health": small_area, "poor_health_sii": small_area}
        origin |= dict.fromkeys(("le_sii", "hle_sii", "cvd_sii"), small_area)
        ward_area = {
            "publisher": "healthgap, from GLA ward life expectancy, MHCLG IMD 2019, ONS "
            "Census 2011 and an ONS LSOA to ward lookup",
            "title": "Computed from the snapshot's ward_le.csv and lsoa.csv",
        }
        origin |= dict.fromkeys(WARD_DERIVED, ward_area)
        computed = DERIVED | ({} if wards is None else WARD_DERIVED)
        inputs = [InputFile.from_path(snapshot / name) for name in sorted(manifest["files"])]
        if ward_lookup is not None:
            inputs.append(InputFile.from_path(ward_lookup))
        vintage = store.add_vintage(
            his.to_arrow().cast(VALUES),
            source=f"{SOURCE}: Health Inequalities Strategy indicators",
            inputs=inputs,
            parameters={
                "synthetic": False,
                "snapshot": manifest["files"],
                "source_vintages": source_vintages,
                "area": LONDON_CODE,
                "comparators": [ENGLAND_CODE],
                "sii": {"repetitions": inequality.REPETITIONS, "seed": inequality.SEED},
                "ward_lookup": ward_parameters,
            },
            indicators=[m for m in metas(origin, computed) if m.id in computed],
            label="London Health Inequalities Strategy: gaps computed from published figures",
        )
        step("indicators", 1, 1)
    building.replace(store_path)
    ids = tuple(sorted(set(his["indicator_id"].unique().to_list()) | {s.id for s in shown}))
    return LondonResult(store_path, source_vintages, vintage, his.height, ids, notes)


def _check_every_series_is_shown(values: pl.DataFrame, shown: tuple[Series, ...]) -> None:
    """Refuse a snapshot series that no :class:`Series` shows (it would be published nameless)."""
    known = {s.source_id for s in shown}
    missing = sorted(set(values["indicator_id"].unique().to_list()) - known)
    if missing:
        raise InputError(
            f"the London snapshot has series {missing} that healthgap.london.series does not "
            "name; add them to SERIES or AS_PUBLISHED"
        )


def _source_of(values: pl.DataFrame, source_id: str) -> str:
    """Find the snapshot source key holding a source indicator id."""
    keys = values.filter(pl.col("indicator_id") == source_id)["source"].unique().to_list()
    if len(keys) != 1:
        raise InputError(f"the London snapshot has {len(keys)} sources of {source_id!r}")
    return keys[0]
