"""The synthetic job: the synthetic London, a new store, the whole HIS catalogue in ONE vintage.

:func:`run` generates the synthetic London (:mod:`healthgap.london.synthetic`) into
``<out>/data``, opens a new store ``<out>/healthgap.duckdb``, adds the areas (33 boroughs,
London and the small areas), their hierarchy, the IMD deciles, populations and the indicators'
metadata, then computes in one pass and writes as one vintage:

- every indicator of the London HIS catalogue (``healthgap/london/catalogue/indicators``) with
  the engine, for every borough, London and every within-London deprivation decile, every
  year and 3-year period;
- the commitments' measures (``healthgap/london/catalogue/strategy.yaml``; small published
  series by borough, :mod:`healthgap.london.synthetic.derived`).

The vintage's ``source`` and ``parameters`` say the data are synthetic. Comparisons, trends
and target progress are not stored: the report computes them with :mod:`healthgap.compare`.
Everything is deterministic: the same seed and years give the same values and vintage id.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from healthgap.catalogue.catalogue import Catalogue, load_catalogue
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.catalogue.strategy import Strategy, load_strategy
from healthgap.errors import InputError, SuppressedWarning
from healthgap.london import LONDON_CODE, LONDON_NAME, STRATEGY_DIR
from healthgap.london.synthetic import derived
from healthgap.london.synthetic.generate import (
    DEFAULT_SEED,
    DEFAULT_YEARS,
    GENERATOR_VERSION,
    generate,
)

__all__ = [
    "CATALOGUE_DIR",
    "STAGES",
    "PipelineResult",
    "load_his_catalogue",
    "run",
]

CATALOGUE_DIR = STRATEGY_DIR / "indicators"
STORE_FILE = "healthgap.duckdb"
HIERARCHY = "lsoa-la-region (demo London)"
DECILE_TYPE = "IMD 2019 decile (within London)"

_SUMMARY_HEADING = "<h1>London Health Inequalities Strategy indicators"  # marks our summary
#: The stages reported to ``progress(stage, done, total)``, in order.
STAGES = ("generate", "store", "engine", "commitments", "vintage")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PipelineResult:
    """Where the main job put things: data folder, store file, vintage id, what it holds."""

    data_dir: Path
    store_path: Path
    vintage: str
    n_values: int
    indicator_ids: tuple[str, ...]


def load_his_catalogue() -> Catalogue:
    """Load the London HIS catalogue of engine indicators (``london/catalogue/indicators``)."""
    return load_catalogue(CATALOGUE_DIR)


def _areas(lookup: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Areas, hierarchy and deprivation classifications for the store."""
    lk = pl.from_arrow(lookup)
    assert isinstance(lk, pl.DataFrame)
    boroughs = lk.select("borough_code", "borough_name").unique().sort("borough_code")
    areas = pl.concat(
        [
            boroughs.select(
                pl.col("borough_code").alias("area_code"),
                pl.col("borough_name").alias("area_name"),
                pl.lit("la").alias("area_type"),
            ),
            pl.DataFrame(
                {"area_code": [LONDON_CODE], "area_name": [LONDON_NAME], "area_type": ["region"]}
            ),
            lk.select(
                pl.col("lsoa_code").alias("area_code"),
                pl.col("lsoa_name").alias("area_name"),
                pl.lit("lsoa").alias("area_type"),
            ),
        ]
    )
    hierarchy = pl.concat(
        [
            lk.select(
                pl.col("lsoa_code").alias("child_code"), pl.col("borough_code").alias("parent_code")
            ),
            boroughs.select(
                pl.col("borough_code").alias("child_code"), pl.lit(LONDON_CODE).alias("parent_code")
            ),
        ]
    ).select(pl.lit(HIERARCHY).alias("hierarchy"), "child_code", "parent_code")
    classes = pl.concat(
        [
            lk.select(
                pl.lit(name).alias("classification"),
                pl.col("lsoa_code").alias("area_code"),
                pl.col(column).cast(pl.String).alias("category"),
                pl.col(column).cast(pl.Int32).alias("rank"),
                pl.col("imd_score").cast(pl.Float64).alias("score"),
            )
            for name, column in (
                (DECILE_TYPE, "imd_decile_london"),
                ("IMD 2019 decile (national)", "imd_decile_national"),
            )
        ]
    )
    return areas.to_arrow(), hierarchy.to_arrow(), classes.to_arrow()


def _population(cells: pl.DataFrame) -> pl.DataFrame:
    """Residents by borough and London, year, sex and single year of age (0..90+)."""
    by_borough = cells.group_by(
        pl.col("borough_code").alias("area_code"), "year", "sex", "age"
    ).agg(pl.col("population").sum())
    london = (
        by_borough.group_by("year", "sex", "age")
        .agg(pl.col("population").sum())
        .with_columns(pl.lit(LONDON_CODE).alias("area_code"))
    )
    both = pl.concat([by_borough, london], how="diagonal")
    return both.select(
        "area_code",
        pl.col("year").cast(pl.Int32),
        "sex",
        pl.when(pl.col("age") >= 90)
        .then(pl.lit("90+"))
        .otherwise(pl.col("age").cast(pl.String))
        .alias("age"),
        pl.col("age").cast(pl.Int16).alias("age_start"),
        "population",
    ).sort("area_code", "year", "sex", "age_start")


def _engine_data(data_dir: Path, catalogue: Catalogue) -> dict[str, Path]:
    from healthgap.engine.compute import input_tables

    return {name: data_dir / f"{name}.parquet" for name in sorted(input_tables(catalogue))}


def run(
    out: Path | str,
    *,
    seed: int = DEFAULT_SEED,
    years: Sequence[int] = DEFAULT_YEARS,
    progress: Progress | None = None,
) -> PipelineResult:
    """Run the main job into ``out``: generate, new store, compute everything, one vintage.

    Parameters
    ----------
    out : path
        Output folder (created): ``data/`` (the synthetic London) and ``healthgap.duckdb``
        (the store). The main job always starts from a new store: an earlier demo run's data
        and store in ``out`` are replaced, anything else there is left alone.
    seed : int, default 20180101
        Seed of the demo generator.
    years : sequence of int, default 2013..2023
        Calendar years generated and computed (consecutive).
    progress : callable, optional
        ``progress(stage, done, total)`` for the stages in :data:`STAGES`.

    Returns
    -------
    PipelineResult
        The data folder, store file, vintage id, number of values and indicator ids.

    Raises
    ------
    InputError
        Years not consecutive, or ``out`` holds a data folder or store the demo did not
        write.
    """
    out = Path(out)
    years = tuple(sorted(int(y) for y in years))
    if not years or years != tuple(range(years[0], years[-1] + 1)):
        raise InputError(f"years must be consecutive calendar years; got {list(years)}")
    step = progress or (lambda _stage, _done, _total: None)
    data_dir = out / "data"
    store_path = out / STORE_FILE

    _clear_previous_run(data_dir, store_path)
    step("generate", 0, 1)
    generate(data_dir, seed=seed, years=years)
    step("generate", 1, 1)

    from healthgap.store import Store

    catalogue = load_his_catalogue()
    strategy = load_strategy(STRATEGY_DIR)
    metas = _metadata(catalogue, strategy)
    lsoa_lookup = pq.read_table(data_dir / "lsoa_lookup.parquet")
    with Store.open(store_path) as store:
        step("store", 0, 1)
        store.add_areas(*_areas(lsoa_lookup))
        cells = derived.population_cells(data_dir, lsoa_lookup)
        population = _population(cells)
        store.add_population(population.to_arrow())
        step("store", 1, 1)

        values = _compute(catalogue, strategy, data_dir, population, step)

        step("vintage", 0, 1)
        parameters = {
            "synthetic": True,
            "generator": "healthgap.demo",
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "years": list(years),
            "catalogue": [ind.model_dump(mode="json") for ind in catalogue],
            "geography": catalogue.geography.model_dump(mode="json"),
        }
        inputs = sorted(data_dir.glob("*.parquet"))
        vintage = store.add_vintage(
            values,
            source="healthgap demo (synthetic London)",
            inputs=inputs,
            parameters=parameters,
            indicators=metas,
            label=f"Demo London (synthetic), seed {seed}, {years[0]}-{years[-1]}",
        )
        step("vintage", 1, 1)
        ids = tuple(sorted(set(values.column("indicator_id").to_pylist())))
    return PipelineResult(data_dir, store_path, vintage, values.num_rows, ids)


def _demo_files(manifest: Path) -> set[str] | None:
    """Return the files an earlier demo run wrote in its data folder (None: not a demo)."""
    try:
        written = json.loads(manifest.read_text(encoding="utf-8"))
        if written.get("generator") != "healthgap.demo":
            return None
        tables = [str(name) for name in written["tables"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return {
        manifest.name,
        "SYNTHETIC.md",
        *(f"{name}.parquet" for name in tables),
        *(f"{name}.parquet.tmp" for name in tables),  # left by an interrupted run
    }


def check_out(out: Path) -> None:
    """Refuse, before anything is written, an ``out`` with data or a store the demo did not write.

    Raises
    ------
    InputError
        ``out`` is a file, or its data folder or store were not written by the demo.
    """
    _check_previous_run(out / "data", out / STORE_FILE)


def _clear_previous_run(data_dir: Path, store_path: Path) -> None:
    """Remove an earlier demo run's data and store; refuse to touch anything else."""
    _check_previous_run(data_dir, store_path)
    if data_dir.exists():
        shutil.rmtree(data_dir)


def _check_previous_run(data_dir: Path, store_path: Path) -> None:
    """Raise InputError unless the data folder and store are absent or an earlier demo's."""
    if data_dir.parent.exists() and not data_dir.parent.is_dir():
        raise InputError(f"--out {str(data_dir.parent)!r} is a file; give a folder")
    if data_dir.exists() and not data_dir.is_dir():
        raise InputError(f"{data_dir} is a file, not a demo data folder; choose another --out")
    written = _demo_files(data_dir / "manifest.json") if data_dir.is_dir() else None
    previous = written is not None
    present = sorted(p.name for p in data_dir.iterdir()) if data_dir.is_dir() else []
    if present and not previous:
        raise InputError(
            f"{data_dir} exists and is not a healthgap demo data folder; "
            "choose another --out folder"
        )
    others = [name for name in present if written is not None and name not in written]
    if others:
        raise InputError(
            f"{data_dir} holds {others[:3]}, which the demo did not write; it is left alone: "
            "move them or choose another --out folder"
        )
    if store_path.exists() and not previous:
        raise InputError(
            f"{store_path} exists and was not written by the demo; the main job "
            "starts from a new store: choose another --out folder"
        )
    for path in (store_path, store_path.with_name(store_path.name + ".wal")):
        path.unlink(missing_ok=True)


def _metadata(catalogue: Catalogue, strategy: Strategy) -> list[IndicatorMeta]:
    metas = {meta.id: meta for meta in catalogue.metas()}
    metas.update({meta.id: meta for meta in derived.commitment_metas(strategy)})
    return [metas[key] for key in sorted(metas)]


def _compute(
    catalogue: Catalogue,
    strategy: Strategy,
    data_dir: Path,
    population: pl.DataFrame,
    step: Callable[[str, int, int], None],
) -> pa.Table:
    """Every value of the vintage: the engine's indicators and the commitments' measures."""
    from healthgap.engine import compute_counts, values_from_counts
    from healthgap.store.schema import VALUE_KEYS, VALUES

    def engine_progress(stage: str, done: int, total: int) -> None:
        if stage == "statistics":
            step("engine", len(catalogue) + done, 2 * len(catalogue))
        elif stage == "counts":
            step("engine", done, 2 * len(catalogue))

    with warnings.catch_warnings():
        # groups withheld by OHID's rules are kept with the reason in value_note
        warnings.simplefilter("ignore", SuppressedWarning)
        counts = compute_counts(
            catalogue, _engine_data(data_dir, catalogue), progress=engine_progress
        )
        engine = pl.from_arrow(values_from_counts(catalogue, counts, progress=engine_progress))
        assert isinstance(engine, pl.DataFrame)
        step("commitments", 0, 1)
        parts = [engine, derived.commitment_values(strategy, data_dir, population)]
        step("commitments", 1, 1)
    values = pl.concat([p.select(VALUES.names) for p in parts], how="vertical_relaxed")
    return values.sort(list(VALUE_KEYS)).to_arrow().cast(VALUES)
