"""Synthetic populations and mortality rates: London's age structure, a deprivation gradient.

The shapes are our own parametric choices, tuned so that the figures an analyst checks first
look like London's: about 9 million residents, a young-adult bulge, life expectancy at birth
near 80 (male) and 84 (female), borough life expectancy in the 78-86 range and a gap of
several years between the most and least deprived deciles.
"""

from __future__ import annotations

import numpy as np

from healthgap.london.synthetic.geography import Geography

AGES = np.arange(91)  # single years; 90 means 90 and over
SEXES = ("Male", "Female")

# relative number of residents by age (London's young-adult bulge), interpolated linearly
_AGE_KNOTS = np.array([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 89])
_AGE_WEIGHT = np.array(
    [
        1.35,
        1.25,
        1.15,
        1.0,
        1.2,
        1.7,
        1.85,
        1.7,
        1.45,
        1.3,
        1.2,
        1.05,
        0.85,
        0.7,
        0.6,
        0.45,
        0.32,
        0.18,
        0.10,
    ]
)
_OPEN_BAND_WEIGHT = 0.25  # 90 and over, all years together

# Gompertz-Makeham hazards by sex: m(x) = c + a * exp(b * x), plus infant and child terms
_GOMPERTZ = {"Male": (2.86e-5, 0.0945, 1.5e-4), "Female": (1.5e-5, 0.0985, 1.0e-4)}
_INFANT = {"Male": 3.6e-3, "Female": 3.0e-3}
#: hazard ~ (imd score / London geometric mean) ** elasticity, by sex
DEPRIVATION_ELASTICITY = {"Male": 0.42, "Female": 0.32}
IMPROVEMENT = 0.012  # annual fall in mortality
PANDEMIC = {2020: 1.22, 2021: 1.12}  # excess mortality multipliers


def age_weights(deprivation: np.ndarray) -> np.ndarray:
    """Share of residents at each single year of age, per area (more children where deprived)."""
    base = np.interp(AGES[:-1], _AGE_KNOTS, _AGE_WEIGHT)
    base = np.append(base, _OPEN_BAND_WEIGHT)
    tilt = 1 + 0.25 * np.outer(deprivation - deprivation.mean(), (45 - AGES) / 45)
    w = base[None, :] * np.clip(tilt, 0.5, None)
    return w / w.sum(axis=1, keepdims=True)


def populations(geo: Geography, years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Residents as an integer array (area, year, sex, age)."""
    dep = np.log(geo.imd_score)
    size = rng.normal(1860, 230, len(dep)).clip(1000, 3200)
    shares = age_weights(dep)
    growth = 1.008 ** (years - years[0])
    female_share = np.where(AGES >= 70, 0.56, 0.5) + np.where(AGES >= 85, 0.06, 0)
    sex_share = np.stack([1 - female_share, female_share])  # (sex, age)
    mean = (
        size[:, None, None, None]
        * growth[None, :, None, None]
        * sex_share[None, None, :, :]
        * shares[:, None, None, :]
    )
    return rng.poisson(mean).astype(np.int64)


def hazards(geo: Geography, years: np.ndarray) -> np.ndarray:
    """Annual death rates, array (area, year, sex, age)."""
    relative = geo.imd_score / np.exp(np.log(geo.imd_score).mean())
    year_factor = (1 - IMPROVEMENT) ** (years - years[0])
    year_factor = year_factor * np.array([PANDEMIC.get(int(y), 1.0) for y in years])
    by_sex = []
    for sex in SEXES:
        a, b, c = _GOMPERTZ[sex]
        m = c + a * np.exp(b * AGES) + 4e-4 * np.exp(-AGES / 2.0)
        m[0] = _INFANT[sex]
        m[-1] = a * np.exp(b * 93.5) + c  # open band: rate at about its mean age
        by_sex.append(m)
    base = np.stack(by_sex)  # (sex, age)
    # the gradient is steepest in mid-life and fades at the oldest ages, as observed
    age_fade = np.where(AGES < 85, 1.0, 0.6)
    elasticity = np.array([DEPRIVATION_ELASTICITY[s] for s in SEXES])
    power = elasticity[:, None] * age_fade[None, :]  # (sex, age)
    rel = relative[:, None, None] ** power[None, :, :]  # (area, sex, age)
    return rel[:, None, :, :] * year_factor[None, :, None, None] * base[None, None, :, :]
