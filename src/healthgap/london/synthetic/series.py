"""Borough and London series for the Strategy's commitments and notifiable-disease indicators.

Air quality, School Superzones, wellbeing champions, Living Wage employers, HIV late
diagnosis and TB notifications: small aggregate tables, as they are published.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from healthgap.london.synthetic.geography import BOROUGHS


def _borough_grid(years: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nb, ny = len(BOROUGHS), len(years)
    codes = np.repeat([b[0] for b in BOROUGHS], ny)
    level = np.repeat([b[3] for b in BOROUGHS], ny)
    year = np.tile(years, nb)
    return codes, level, year


def air_quality(years: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """Annual mean PM2.5 and NO2 (ug/m3) by borough, falling over time; inner boroughs higher."""
    codes, level, year = _borough_grid(years)
    inner = np.isin(
        codes,
        [
            "E09000001",
            "E09000007",
            "E09000019",
            "E09000020",
            "E09000033",
            "E09000012",
            "E09000030",
            "E09000022",
            "E09000028",
            "E09000013",
        ],
    )
    t = year - years[0]
    pm25 = (13.2 + 1.4 * inner + 0.6 * level) * 0.965**t + rng.normal(0, 0.3, len(t))
    no2 = (36 + 12 * inner + 3 * level) * 0.955**t + rng.normal(0, 1.0, len(t))
    exposed = np.clip((no2 - 30) / 25, 0, 1)
    return pa.table(
        {
            "borough_code": codes,
            "year": year.astype(np.int32),
            "pm25_annual_mean": np.round(pm25, 2),
            "no2_annual_mean": np.round(no2, 2),
            "share_population_no2_above_limit": np.round(exposed, 4),
        }
    )


def commitments(years: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """Borough series for the key commitments (one row per borough, year and measure)."""
    codes, level, year = _borough_grid(years)
    t = np.clip(year - 2018, 0, None)  # programmes began in 2018-19
    superzones = np.where(year >= 2019, rng.poisson(0.45 * t * (0.6 + level)), 0)
    employers = np.round(
        (20 + 8 * (year - years[0])) * (1.4 - level) * rng.uniform(0.8, 1.2, len(t))
    ).astype(np.int64)
    below_llw = np.round(
        0.24 - 0.006 * (year - years[0]) + 0.05 * level + rng.normal(0, 0.01, len(t)), 4
    )
    champions = np.where(year >= 2019, np.round(1400 * t**1.3 * (0.7 + level)), 0)
    measures = {
        "school_superzones": np.cumsum(superzones.reshape(len(BOROUGHS), -1), axis=1).ravel(),
        "living_wage_employers": employers,
        "share_jobs_below_living_wage": below_llw,
        "wellbeing_champions": champions,
    }
    n = len(codes)
    return pa.table(
        {
            "borough_code": np.tile(codes, len(measures)),
            "year": np.tile(year.astype(np.int32), len(measures)),
            "measure": np.repeat(list(measures), n),
            "value": np.concatenate([np.asarray(v, float) for v in measures.values()]),
        }
    )


def notifications(
    years: np.ndarray, pop_by_borough: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """HIV diagnoses (and late ones) and TB notifications by borough and year."""
    codes, level, year = _borough_grid(years)
    pop = pop_by_borough.ravel()
    hiv = rng.poisson(pop * 2.2e-4 * (0.5 + level) * 0.93 ** (year - years[0]))
    late = rng.binomial(hiv, 0.33 + 0.1 * (level - 0.5))
    tb = rng.poisson(pop * 2.6e-4 * (0.4 + 1.2 * level) * 0.95 ** (year - years[0]))
    return pa.table(
        {
            "borough_code": codes,
            "year": year.astype(np.int32),
            "hiv_diagnoses": hiv,
            "hiv_late_diagnoses": late,
            "tb_notifications": tb,
            "population": pop.astype(np.int64),
        }
    )
