"""A small, deterministic, synthetic store for the report tests and the report benchmark.

It follows the conventions of the demo London's vintage (issue 7): the real borough codes and
names, London as the region, indicator ids of ``strategy.yaml``, single years and a pooled
period, within-London IMD decile breakdowns, the life-expectancy gap decomposition and the
commitment series. Every number is made up (the vintage says ``synthetic: true``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.catalogue.strategy import load_strategy
from healthgap.london import STRATEGY_DIR
from healthgap.london.synthetic.geography import BOROUGHS, LONDON_CODE
from healthgap.store import Store

DECILE_TYPE = "IMD 2019 decile (within London)"
AGE_BANDS = ("0", "1-4", "5-14", "15-44", "45-64", "65-74", "75-84", "85+")
CAUSES = ("Circulatory", "Cancer", "Respiratory", "Digestive", "External causes", "Other")

#: id: (name, unit, multiplier, polarity, sexes, base, slope per year, deprivation effect)
SPECS: dict[str, tuple] = {
    "life_expectancy": (
        "Life expectancy at birth",
        "years",
        1,
        "high_is_good",
        ("Male", "Female"),
        80.0,
        0.15,
        -4.0,
    ),
    "le_sii": (
        "Slope index of inequality in life expectancy at birth",
        "years",
        1,
        "low_is_good",
        ("Male", "Female"),
        6.0,
        -0.05,
        3.0,
    ),
    "hle_male": (
        "Healthy life expectancy at birth, males",
        "years",
        1,
        "high_is_good",
        ("Male",),
        63.0,
        0.1,
        -6.0,
    ),
    "hle_female": (
        "Healthy life expectancy at birth, females",
        "years",
        1,
        "high_is_good",
        ("Female",),
        64.0,
        0.1,
        -6.0,
    ),
    "infant_mortality": (
        "Infant mortality rate",
        "per 1,000 live births",
        1000,
        "low_is_good",
        ("Persons",),
        3.5,
        -0.05,
        2.0,
    ),
    "under75_mortality": (
        "Under 75 mortality rate from all causes",
        "per 100,000",
        100000,
        "low_is_good",
        ("Persons",),
        330.0,
        -3.0,
        120.0,
    ),
    "low_birth_weight": (
        "Low birth weight of term babies",
        "%",
        100,
        "low_is_good",
        ("Persons",),
        3.0,
        -0.02,
        1.5,
    ),
    "school_readiness": (
        "School readiness at the end of reception",
        "%",
        100,
        "high_is_good",
        ("Persons",),
        70.0,
        0.5,
        -8.0,
    ),
    "excess_weight_10_11": (
        "Excess weight in children aged 10-11",
        "%",
        100,
        "low_is_good",
        ("Persons",),
        37.0,
        0.1,
        8.0,
    ),
    "smi_excess_mortality": (
        "Excess under 75 mortality in adults with serious mental illness",
        "%",
        100,
        "low_is_good",
        ("Persons",),
        400.0,
        2.0,
        100.0,
    ),
    "suicide": ("Suicide rate", "per 100,000", 100000, "low_is_good", ("Persons",), 8.0, 0.0, 2.0),
    "pm25_mortality": (
        "Mortality attributable to particulate air pollution",
        "%",
        100,
        "low_is_good",
        ("Persons",),
        6.5,
        -0.1,
        0.8,
    ),
    "employment": (
        "Gap in the employment rate for people with a long-term condition",
        "%",
        100,
        "low_is_good",
        ("Persons",),
        12.0,
        -0.1,
        4.0,
    ),
    "belonging": (
        "Feeling of belonging to the neighbourhood",
        "%",
        100,
        "high_is_good",
        ("Persons",),
        65.0,
        0.2,
        -8.0,
    ),
    "hiv_late_diagnosis": (
        "HIV late diagnosis",
        "%",
        100,
        "low_is_good",
        ("Persons",),
        38.0,
        -0.5,
        6.0,
    ),
    "tb_incidence": (
        "TB incidence",
        "per 100,000",
        100000,
        "low_is_good",
        ("Persons",),
        20.0,
        -0.8,
        15.0,
    ),
    "active_travel": (
        "Adults walking or cycling for travel at least twice 10 minutes a day",
        "%",
        100,
        "high_is_good",
        ("Persons",),
        38.0,
        0.2,
        -4.0,
    ),
    "smoking": (
        "Smoking prevalence in adults",
        "%",
        100,
        "low_is_good",
        ("Persons",),
        15.0,
        -0.4,
        6.0,
    ),
}
#: a few boroughs and indicators: enough for every kind of page and chart
SMALL = {
    "n_boroughs": 6,
    "indicators": [
        "life_expectancy",
        "le_sii",
        "hle_male",
        "hle_female",
        "infant_mortality",
        "school_readiness",
        "smoking",
    ],
}
TINY = {"n_boroughs": 3, "indicators": ["life_expectancy", "infant_mortality"]}
#: indicators with within-London decile breakdowns in the fixture
WITH_DECILES = ("life_expectancy", "infant_mortality", "smoking")
#: commitment measure id: (unit, start, yearly change)
COMMITMENTS = {
    "school_superzones": ("zones", 0.0, 9.0),
    "wellbeing_champions": ("people", 0.0, 25000.0),
    "pm25_annual_mean": ("ug/m3", 15.0, -0.45),
    "no2_exposure": ("proportion", 0.45, -0.04),
    "living_wage_employers": ("employers", 900.0, 300.0),
    "jobs_below_living_wage": ("proportion", 0.22, -0.004),
    "active_travel_20min": ("proportion", 0.34, 0.004),
}


def metadata(ids: Sequence[str]) -> list[IndicatorMeta]:
    """Indicator metadata of the fixture's indicators."""
    out = []
    for i in ids:
        if i in SPECS:
            name, unit, mult, pol, sexes, *_ = SPECS[i]
            out.append(
                IndicatorMeta(
                    id=i,
                    name=name,
                    unit=unit,
                    multiplier=mult,
                    polarity=pol,
                    sex=sexes,
                    definition=f"{name} (synthetic test data).",
                    method="test",
                    statistic=f"{name} ({unit})",
                    data_source="healthgap test fixture",
                    ci_method="normal approximation",
                )
            )
        elif i == "le_gap_decomposition":
            out.append(
                IndicatorMeta(
                    id=i,
                    name="Life expectancy gap by age and cause",
                    unit="years",
                    polarity="no_judgement",
                    sex=("Male", "Female"),
                    definition="Contributions to the gap (Arriaga).",
                )
            )
        else:
            unit = COMMITMENTS[i][0]
            out.append(
                IndicatorMeta(
                    id=i,
                    name=i.replace("_", " ").capitalize(),
                    unit=unit,
                    polarity="no_judgement",
                    definition="Commitment measure.",
                )
            )
    return out


def _rows(
    ind: str, codes: np.ndarray, dep: np.ndarray, years: np.ndarray, rng: np.random.Generator
) -> list[dict]:
    _name, _unit, mult, pol, sexes, base, slope, effect = SPECS[ind]
    rows = []
    a, s, y = np.meshgrid(np.arange(len(codes)), np.arange(len(sexes)), years, indexing="ij")
    a, s, y = a.ravel(), s.ravel(), y.ravel()
    value = (
        base
        + slope * (y - years[0])
        + effect * (dep[a] - 0.5)
        + s * 3.5 * (ind == "life_expectancy")
        + rng.normal(0, abs(base) * 0.01, len(a))
    )
    denominator = np.where(codes[a] == LONDON_CODE, 100000.0, 3000.0)
    count = np.round(np.abs(value) * denominator / (mult if mult > 1 else 100))
    half = np.abs(value) * np.where(codes[a] == LONDON_CODE, 0.005, 0.04)
    for k in range(len(a)):
        rows.append(
            _row(
                ind,
                codes[a[k]],
                str(y[k]),
                int(y[k]),
                1,
                sexes[s[k]],
                "",
                "",
                value[k],
                half[k],
                count[k],
                denominator[k],
            )
        )
    if ind in WITH_DECILES:
        latest = int(years[-1])
        for ai, code in enumerate(codes):
            for si, sex in enumerate(sexes):
                for d in range(1, 11):
                    v = (
                        base
                        + slope * (latest - years[0])
                        + abs(effect) * 1.5 * (d - 5.5) / 9 * (-1 if pol == "low_is_good" else 1)
                        + si * 2.0
                    )
                    den = 300.0 if code != LONDON_CODE else 10000.0
                    c = max(1.0, round(abs(v) * den / (mult if mult > 1 else 100)))
                    if ind == "infant_mortality" and code != LONDON_CODE:
                        c = float(1 + (ai + d) % 6)  # small counts: 1-4 must be withheld
                    rows.append(
                        _row(
                            ind,
                            code,
                            str(latest),
                            latest,
                            1,
                            sex,
                            DECILE_TYPE,
                            str(d),
                            v,
                            abs(v) * 0.06,
                            c,
                            den,
                        )
                    )
    return rows


def _row(ind, code, period, start, years, sex, ctype, cat, value, half, count, den) -> dict:
    if value is None:
        return {
            "indicator_id": ind,
            "area_code": str(code),
            "period": period,
            "period_start": start,
            "period_years": years,
            "sex": sex,
            "age": "All ages",
            "category_type": ctype,
            "category": cat,
            "value": None,
            "lower95_0cl": None,
            "upper95_0cl": None,
            "lower99_8cl": None,
            "upper99_8cl": None,
            "count": None,
            "denominator": None,
            "value_note": "cannot be calculated",
        }
    return {
        "indicator_id": ind,
        "area_code": str(code),
        "period": period,
        "period_start": start,
        "period_years": years,
        "sex": sex,
        "age": "All ages",
        "category_type": ctype,
        "category": cat,
        "value": float(value),
        "lower95_0cl": float(value - half),
        "upper95_0cl": float(value + half),
        "lower99_8cl": float(value - 1.6 * half),
        "upper99_8cl": float(value + 1.6 * half),
        "count": None if count is None else float(count),
        "denominator": None if den is None else float(den),
        "value_note": None,
    }


def _decomposition(codes: np.ndarray, dep: np.ndarray, latest: int) -> list[dict]:
    rows = []
    period = f"{latest - 2} - {str(latest)[2:]}"
    for ai, code in enumerate(codes):
        for si, sex in enumerate(("Male", "Female")):
            gap = 5.0 + 4.0 * dep[ai] - 1.5 * si
            age_share = np.array([0.04, 0.01, 0.01, 0.12, 0.30, 0.24, 0.20, 0.08])
            cause_share = np.array([0.30, 0.26, 0.14, 0.08, 0.07, 0.15])
            for ctype, cats, share in (
                ("Age band", AGE_BANDS, age_share),
                ("Cause", CAUSES, cause_share),
            ):
                for cat, sh in zip(cats, share, strict=True):
                    # the sixth borough's gap cannot be calculated (as when a decile is empty)
                    value = None if code == "E09000006" else gap * sh
                    r = _row(
                        "le_gap_decomposition",
                        code,
                        period,
                        latest - 2,
                        3,
                        sex,
                        ctype,
                        cat,
                        value,
                        0.0,
                        None,
                        None,
                    )
                    for k in ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"):
                        r[k] = None
                    rows.append(r)
    return rows


def _commitments(years: np.ndarray, rng: np.random.Generator) -> list[dict]:
    rows = []
    for mid, (_unit, start, step) in COMMITMENTS.items():
        for k, y in enumerate(years):
            v = max(0.0, start + step * k + rng.normal(0, abs(step) * 0.1))
            r = _row(mid, LONDON_CODE, str(y), int(y), 1, "Persons", "", "", v, 0.0, None, None)
            for c in ("lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"):
                r[c] = None
            rows.append(r)
    return rows


def square(col: float, row: float) -> str:
    """A made-up boundary: a square at a tile-grid position (tests of the geometry path)."""
    x, y = -0.55 + col * 0.09, 51.68 - row * 0.06
    ring = [[x, y], [x + 0.09, y], [x + 0.09, y - 0.06], [x, y - 0.06], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def make_store(
    path: Path | str,
    *,
    n_boroughs: int = 33,
    indicators: Sequence[str] | None = None,
    years: Sequence[int] = range(2014, 2024),
    geometry: bool = False,
    synthetic: bool = True,
    seed: int = 1,
) -> tuple[str, str]:
    """Write the fixture into a new store at ``path``; return (store path, vintage id)."""
    rng = np.random.default_rng(seed)
    strategy = load_strategy(STRATEGY_DIR)
    ids = list(indicators) if indicators is not None else list(strategy.indicator_ids)
    boroughs = BOROUGHS[:n_boroughs]
    codes = np.array([LONDON_CODE] + [b[0] for b in boroughs])
    dep = np.array([0.5] + [b[3] for b in boroughs])
    years_arr = np.array(list(years))
    rows: list[dict] = []
    for ind in ids:
        rows += _rows(ind, codes, dep, years_arr, rng)
    rows += _decomposition(codes, dep, int(years_arr[-1]))
    rows += _commitments(years_arr, rng)
    values = pa.Table.from_pylist(rows)
    areas = pa.table(
        {
            "area_code": [LONDON_CODE] + [b[0] for b in boroughs],
            "area_name": ["London"] + [b[1] for b in boroughs],
            "area_type": ["region"] + ["la"] * len(boroughs),
        }
    )
    hierarchy = pa.table(
        {
            "hierarchy": ["la-region"] * len(boroughs),
            "child_code": [b[0] for b in boroughs],
            "parent_code": [LONDON_CODE] * len(boroughs),
        }
    )
    geo = None
    if geometry:
        from healthgap.london.tiles import TILES

        geo = pa.table(
            {
                "area_code": [b[0] for b in boroughs],
                "geometry": [square(*TILES[b[0]][:2]) for b in boroughs],
                "source_crs": ["EPSG:4326"] * len(boroughs),
            }
        )
    all_ids = [*ids, "le_gap_decomposition", *COMMITMENTS]
    with Store.open(path) as store:
        store.add_areas(areas, hierarchy=hierarchy, geometry=geo)
        vintage = store.add_vintage(
            values,
            source="synthetic test fixture" if synthetic else "test fixture",
            parameters={"synthetic": synthetic, "seed": seed},
            indicators=metadata(all_ids),
            label="report test fixture",
        )
    return str(path), vintage
