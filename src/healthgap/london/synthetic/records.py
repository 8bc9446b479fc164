"""Record-level synthetic events, one row per event or person, as an analyst receives them.

Deaths, births, hospital admissions, child measurements, early-years assessments, survey
responses, self-reported general health (for healthy life expectancy) and serious-mental-illness
registers.

Everything is drawn with numpy from one generator, array-wise (no per-record Python loops).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from healthgap.london.synthetic.geography import BOROUGHS, Geography
from healthgap.london.synthetic.population import AGES, SEXES

# cause groups with example ICD-10 codes (underlying cause of death)
CAUSES: dict[str, tuple[str, ...]] = {
    "cancer": ("C34.9", "C18.9", "C50.9", "C61", "C25.9", "C15.9", "C71.9"),
    "circulatory": ("I21.9", "I25.1", "I64", "I50.0", "I63.9"),
    "respiratory": ("J44.9", "J18.9", "J84.1"),
    "dementia": ("F03", "G30.9"),
    "digestive": ("K70.3", "K74.6", "K92.2"),
    "suicide": ("X70", "X80", "X64", "Y20"),
    "other_external": ("V89.2", "W19", "X42", "W80"),
    "perinatal": ("P07.3", "P22.0", "Q24.9"),
    "other": ("E11.9", "N18.5", "A41.9", "G35", "E86"),
}
# probabilities of each cause group by age (rows: <1, 1-14, 15-34, 35-64, 65-84, 85+)
_CAUSE_AGE_EDGES = np.array([1, 15, 35, 65, 85])
_CAUSE_P = np.array(
    [
        # cancer circ  resp  dem   dig   suic  ext   peri  other
        [0.00, 0.02, 0.03, 0.00, 0.00, 0.00, 0.03, 0.85, 0.07],
        [0.25, 0.05, 0.08, 0.00, 0.02, 0.05, 0.20, 0.15, 0.20],
        [0.15, 0.08, 0.04, 0.00, 0.06, 0.22, 0.23, 0.02, 0.20],
        [0.40, 0.22, 0.07, 0.01, 0.10, 0.05, 0.04, 0.00, 0.11],
        [0.36, 0.25, 0.13, 0.08, 0.05, 0.00, 0.01, 0.00, 0.12],
        [0.15, 0.30, 0.16, 0.22, 0.03, 0.00, 0.02, 0.00, 0.12],
    ]
)

ETHNIC_GROUPS = ("White", "Asian", "Black", "Mixed", "Other")
SURVEY_QUESTIONS = ("life_satisfaction", "smoker", "active_travel", "belonging", "employed")


def labels(options: tuple[str, ...] | list[str] | np.ndarray, index: np.ndarray) -> pa.Array:
    """``options[index]`` as a dictionary-encoded Arrow array (fast to build, small on disk)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(index, dtype=np.int32)), pa.array(np.asarray(options, dtype=str))
    )


def _dates(years: np.ndarray, year_index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw a random day within the given calendar year for each row."""
    starts = np.array([f"{int(y)}-01-01" for y in years], dtype="datetime64[D]")
    days = rng.integers(0, 365, len(year_index)).astype("timedelta64[D]")
    return starts[year_index] + days


def _draw_category(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of ``probs`` (rows sum to 1), by inverse CDF on uniforms."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return (u[:, None] > cum).sum(axis=1)


def _pick(rng: np.random.Generator, options: tuple[str, ...] | np.ndarray, n: int) -> np.ndarray:
    return np.asarray(options)[rng.integers(0, len(options), n)]


def deaths(
    geo: Geography, years: np.ndarray, pop: np.ndarray, rates: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """Death registrations: one row per death, with underlying cause and an SMI flag."""
    counts = rng.poisson(pop * rates)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    area, year, sex, age = np.unravel_index(cell, counts.shape)
    n = len(cell)
    band = np.searchsorted(_CAUSE_AGE_EDGES, AGES[age], side="right")
    probs = _CAUSE_P[band].copy()
    # deprivation raises the share of digestive (alcohol), respiratory and external causes
    depz = (np.log(geo.imd_score[area]) - np.log(geo.imd_score).mean())[:, None]
    probs[:, [2, 4, 5, 6]] *= np.exp(0.35 * depz)
    group = _draw_category(rng, probs)
    names = list(CAUSES)
    icd = np.empty(n, dtype=object)
    for g, name in enumerate(names):  # loop over 9 cause groups, not rows
        rows = group == g
        icd[rows] = _pick(rng, CAUSES[name], int(rows.sum()))
    dates = _dates(years, year, rng)
    # about 1% of adults are on a serious-mental-illness register, with ~4x mortality
    adult = (AGES[age] >= 18) & (AGES[age] < 75)
    p_smi = 0.01 * 4 / (1 + 0.01 * 3)
    smi = adult & (rng.random(n) < p_smi)
    return pa.table(
        {
            "person_id": np.arange(1, n + 1, dtype=np.int64),
            "lsoa_code": labels(geo.lsoa_code, area),
            "year": years[year].astype(np.int32),
            "date_of_death": dates,
            "sex": labels(SEXES, sex),
            "age": AGES[age].astype(np.int16),
            "icd10": icd.astype(str),
            "smi": smi,
        }
    )


def births(
    geo: Geography, years: np.ndarray, pop: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """Live births with birth weight and gestation (low weight commoner where deprived)."""
    women = pop[:, :, 1, 15:45].sum(axis=2)  # (area, year)
    counts = rng.poisson(women * 0.058)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    area, year = np.unravel_index(cell, counts.shape)
    n = len(cell)
    depz = np.log(geo.imd_score[area]) - np.log(geo.imd_score).mean()
    preterm = rng.random(n) < 0.072 * np.exp(0.2 * depz)
    gestation = np.where(preterm, rng.integers(24, 37, n), rng.integers(37, 43, n))
    weight = np.where(preterm, rng.normal(2250, 620, n), rng.normal(3390 - 110 * depz, 455, n))
    return pa.table(
        {
            "lsoa_code": labels(geo.lsoa_code, area),
            "year": years[year].astype(np.int32),
            "sex": _pick(rng, SEXES, n),
            "birth_weight_g": np.clip(np.round(weight), 400, 5800).astype(np.int32),
            "gestation_weeks": gestation.astype(np.int16),
            "mother_age": rng.integers(16, 46, n).astype(np.int16),
        }
    )


def admissions(
    geo: Geography, years: np.ndarray, pop: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """Hospital admissions for self-harm, alcohol-specific conditions and hip fracture."""
    tables = []
    depz = np.log(geo.imd_score) - np.log(geo.imd_score).mean()
    # (label, ages, annual rate per person, deprivation elasticity, diagnoses, method)
    kinds = (
        ("self_harm", (10, 91), 0.0019, 0.6, ("X60", "X78", "R45.8"), "emergency"),
        ("alcohol", (16, 91), 0.0045, 0.5, ("K70.3", "F10.2", "K86.0"), "emergency"),
        ("hip_fracture", (65, 91), 0.0052, 0.15, ("S72.0", "S72.1", "S72.2"), "emergency"),
        ("elective_other", (0, 91), 0.004, -0.1, ("Z51.1", "H25.9", "M17.1"), "elective"),
    )
    next_id = 1
    for _label, (lo, hi), rate, elasticity, diagnoses, method in kinds:
        mean = pop[:, :, :, lo:hi] * rate * np.exp(elasticity * depz)[:, None, None, None]
        counts = rng.poisson(mean)
        cell = np.repeat(np.arange(counts.size), counts.ravel())
        area, year, sex, age = np.unravel_index(cell, counts.shape)
        n = len(cell)
        tables.append(
            pa.table(
                {
                    "person_id": np.arange(next_id, next_id + n, dtype=np.int64),
                    "lsoa_code": labels(geo.lsoa_code, area),
                    "year": years[year].astype(np.int32),
                    "admission_date": _dates(years, year, rng),
                    "sex": labels(SEXES, sex),
                    "age": (lo + age).astype(np.int16),
                    "admission_method": labels([method], np.zeros(n, np.int32)),
                    "primary_diagnosis": _pick(rng, diagnoses, n),
                }
            )
        )
        next_id += n
    return pa.concat_tables(tables)


def child_measurements(
    geo: Geography, years: np.ndarray, pop: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """National Child Measurement Programme-like records at Reception (age 4) and Year 6 (10)."""
    tables = []
    depz = np.log(geo.imd_score) - np.log(geo.imd_score).mean()
    # (school year, age, P(overweight), P(obese)) near London's published levels
    for school_year, age, p_over, p_obese in (
        ("Reception", 4, 0.12, 0.10),
        ("Year 6", 10, 0.15, 0.23),
    ):
        measured = rng.binomial(pop[:, :, :, age], 0.94)  # (area, year, sex)
        cell = np.repeat(np.arange(measured.size), measured.ravel())
        area, year, sex = np.unravel_index(cell, measured.shape)
        n = len(cell)
        shift = np.exp(0.45 * depz[area])
        obese = p_obese * shift
        over = p_over * shift**0.5
        under = np.full(n, 0.015)
        probs = np.stack([under, 1 - under - over - obese, over, obese], axis=1)
        cat = _draw_category(rng, probs)
        tables.append(
            pa.table(
                {
                    "lsoa_code": labels(geo.lsoa_code, area),
                    "academic_year": labels([f"{y}/{str(y + 1)[2:]}" for y in years], year),
                    "year": years[year].astype(np.int32),
                    "school_year": labels([school_year], np.zeros(n, np.int32)),
                    "sex": labels(SEXES, sex),
                    "bmi_category": labels(
                        ["Underweight", "Healthy weight", "Overweight", "Obese"], cat
                    ),
                }
            )
        )
    return pa.concat_tables(tables)


def early_years(
    geo: Geography, years: np.ndarray, pop: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """Early-years assessments at age 5: good level of development (school readiness)."""
    assessed = pop[:, :, :, 5]
    cell = np.repeat(np.arange(assessed.size), assessed.ravel())
    area, year, sex = np.unravel_index(cell, assessed.shape)
    n = len(cell)
    depz = np.log(geo.imd_score[area]) - np.log(geo.imd_score).mean()
    fsm = rng.random(n) < 1 / (1 + np.exp(-(-1.6 + 1.6 * depz)))
    logit = 1.05 - 0.55 * fsm - 0.25 * depz + np.where(sex == 1, 0.45, 0.0)
    gld = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pa.table(
        {
            "lsoa_code": labels(geo.lsoa_code, area),
            "academic_year": labels([f"{y}/{str(y + 1)[2:]}" for y in years], year),
            "year": years[year].astype(np.int32),
            "sex": labels(SEXES, sex),
            "free_school_meals": fsm,
            "good_level_of_development": gld,
        }
    )


def _respondents(
    years: np.ndarray, rng: np.random.Generator, per_borough: int, ages: tuple[int, int]
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw a survey sample: ``per_borough`` people a borough a year, their sex and age.

    Returns the boroughs' deprivation levels, the sample size, and per person the borough
    index, year index, sex index and age (in ``[ages[0], ages[1])``).
    """
    nb, ny = len(BOROUGHS), len(years)
    levels = np.array([b[3] for b in BOROUGHS])
    n = nb * ny * per_borough
    borough = np.repeat(np.arange(nb), ny * per_borough)
    year = np.tile(np.repeat(np.arange(ny), per_borough), nb)
    sex = rng.integers(0, 2, n)
    age = rng.integers(ages[0], ages[1], n)
    return levels, n, borough, year, sex, age


def survey(
    geo: Geography, years: np.ndarray, rng: np.random.Generator, per_borough: int = 500
) -> pa.Table:
    """Survey-like answers (one row per person and question), 500 adults a borough a year."""
    levels, n, borough, year, sex, age = _respondents(years, rng, per_borough, (16, 86))
    nb = len(BOROUGHS)
    eth_p = np.stack(
        [
            0.62 - 0.3 * levels,
            0.16 + 0.1 * levels,
            0.11 + 0.12 * levels,
            np.full(nb, 0.05),
            0.06 + 0.08 * levels,
        ],
        axis=1,
    )
    eth_p /= eth_p.sum(axis=1, keepdims=True)
    ethnic = _draw_category(rng, eth_p[borough])
    dep = levels[borough] - levels.mean()
    eth_effect = np.array([0.0, 0.1, 0.25, 0.15, 0.2])[ethnic]
    trend = (years[year] - years[0]) / 10
    answers = {
        "life_satisfaction": np.clip(np.round(rng.normal(7.5 - 0.8 * dep, 1.8)), 0, 10),
        "smoker": (rng.random(n) < 0.17 - 0.06 * trend + 0.08 * dep).astype(float),
        "active_travel": (rng.random(n) < 0.33 + 0.05 * trend + 0.04 * dep).astype(float),
        "belonging": (rng.random(n) < 0.68 - 0.12 * dep - eth_effect * 0.2).astype(float),
        "employed": np.where(
            age < 65, rng.random(n) < 0.76 - 0.15 * dep - 0.1 * eth_effect, np.nan
        ),
    }
    q = len(answers)
    response = np.concatenate([answers[k] for k in answers])
    keep = ~np.isnan(response)  # employment is asked of people under 65 only
    columns = {
        "person_id": np.tile(np.arange(1, n + 1, dtype=np.int64), q),
        "borough_code": np.tile(np.array([b[0] for b in BOROUGHS])[borough], q),
        "year": np.tile(years[year].astype(np.int32), q),
        "sex": np.tile(np.asarray(SEXES)[sex], q),  # numpy strings: tiled per question
        "age": np.tile(age.astype(np.int16), q),
        "ethnic_group": np.tile(np.asarray(ETHNIC_GROUPS)[ethnic], q),
        "question": np.repeat(np.array(list(answers)), n),
        "response": response,
        "weight": np.tile(np.round(rng.uniform(0.6, 1.6, n), 3), q),
    }
    return pa.table({name: values[keep] for name, values in columns.items()})


def general_health(
    geo: Geography, years: np.ndarray, rng: np.random.Generator, per_borough: int = 2_000
) -> pa.Table:
    """Self-reported general health ("good or very good"), all ages, 2,000 a borough a year.

    Like the Census question (answered by a parent for children), it gives the prevalence of
    good health by age and sex from which healthy life expectancy is computed (Sullivan);
    good health falls with age and with the borough's deprivation.
    """
    levels, n, borough, year, sex, age = _respondents(years, rng, per_borough, (0, 96))
    dep = levels[borough] - levels.mean()
    logit = 4.5 - 0.062 * age - 1.9 * dep + 0.004 * (years[year] - years[0]) - 0.05 * sex
    good = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pa.table(
        {
            "person_id": np.arange(1, n + 1, dtype=np.int64),
            "borough_code": np.array([b[0] for b in BOROUGHS])[borough],
            "year": years[year].astype(np.int32),
            "sex": labels(SEXES, sex),
            "age": age.astype(np.int16),
            "good_health": good,
        }
    )


def smi_register(
    geo: Geography, years: np.ndarray, pop: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    """Adults aged 18-74 on GP serious-mental-illness registers, by borough, year, sex and age.

    About 1% of adults, the prevalence the deaths' ``smi`` flag assumes (so the excess
    mortality of people with SMI is about fourfold, as published).
    """
    nb = len(BOROUGHS)
    adults = pop[:, :, :, 18:75]  # (area, year, sex, age 18..74)
    by_borough = np.zeros((nb, *adults.shape[1:]), dtype=np.int64)
    np.add.at(by_borough, geo.borough_index, adults)
    people = rng.binomial(by_borough.astype(np.int64), 0.01)
    borough, year, sex, age = np.indices(people.shape).reshape(4, -1)
    return pa.table(
        {
            "borough_code": np.array([b[0] for b in BOROUGHS])[borough],
            "year": years[year].astype(np.int32),
            "sex": labels(SEXES, sex),
            "age": (18 + age).astype(np.int16),
            "people": people.ravel().astype(np.int64),
        }
    )
