"""The main job on three synthetic years: store conventions, and values re-derived by hand."""

from __future__ import annotations

import json
import math

import duckdb
import numpy as np
import polars as pl
import pytest

from healthgap.catalogue.strategy import load_strategy
from healthgap.errors import InputError
from healthgap.london import STRATEGY_DIR
from healthgap.london.synthetic.pipeline import STAGES, run
from healthgap.methods.standard_populations import ESP2013
from healthgap.store import Store

YEARS = (2017, 2018, 2019)
LONDON = "E12000007"
DECILES = "IMD 2019 decile (within London)"
LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


pytestmark = pytest.mark.xdist_group("his_demo")


@pytest.fixture(scope="module")
def job(his_demo):
    return his_demo  # tests/conftest.py: run(out, years=(2017, 2018, 2019))


@pytest.fixture(scope="module")
def values(job) -> pl.DataFrame:
    result, _ = job
    with Store.open(result.store_path) as store:
        return pl.from_arrow(store.values(result.vintage))


@pytest.fixture(scope="module")
def con(job):
    return duckdb.connect()


def _one(values: pl.DataFrame, **keys) -> dict:
    keys = {"sex": "Persons", "category_type": "", "category": "", **keys}
    rows = values.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert len(rows) == 1, keys
    return rows.row(0, named=True)


def test_progress_reports_every_stage_in_order(job):
    _, seen = job
    finished = [stage for stage, done, total in seen if done == total]
    assert [s for s in STAGES if s in finished] == list(STAGES)
    assert finished.index("generate") < finished.index("engine") < finished.index("vintage")


def test_one_vintage_labelled_synthetic(job):
    result, _ = job
    with Store.open(result.store_path) as store:
        vintages = store.vintages().to_pylist()
    assert len(vintages) == 1
    assert vintages[0]["id"] == result.vintage
    params = json.loads(vintages[0]["parameters"])
    assert params["synthetic"] is True
    assert params["years"] == list(YEARS)
    assert "synthetic" in vintages[0]["source"]
    assert "synthetic" in vintages[0]["label"].lower()
    assert vintages[0]["n_values"] == result.n_values


def test_areas_hierarchy_and_classifications(job):
    result, _ = job
    with Store.open(result.store_path) as store:
        las = store.areas("la").to_pylist()
        assert sorted(a["area_code"] for a in las) == [f"E090000{i:02d}" for i in range(1, 34)]
        assert {a["area_code"]: a["area_name"] for a in las}["E09000030"] == "Tower Hamlets"
        assert [a["area_name"] for a in store.areas("region").to_pylist()] == ["London"]
        lsoas = store.areas("lsoa")
        assert 4700 <= lsoas.num_rows <= 4900
        hierarchy = pl.from_arrow(store.hierarchy())
        parents = dict(zip(hierarchy["child_code"], hierarchy["parent_code"], strict=True))
        first = lsoas.column("area_code")[0].as_py()
        assert parents[parents[first]] == LONDON
        deciles = pl.from_arrow(store.classifications(DECILES))
        assert set(deciles["category"]) == {str(d) for d in range(1, 11)}
        assert deciles.height == lsoas.num_rows


def test_every_strategy_indicator_and_commitment_measure_has_values_and_metadata(job, values):
    result, _ = job
    strategy = load_strategy(STRATEGY_DIR)
    measures = [m.id for c in strategy.commitments for m in c.measures if m.data is not None]
    ids = set(values["indicator_id"])
    assert set(strategy.indicator_ids) <= ids
    assert set(measures) <= ids
    with Store.open(result.store_path) as store:
        metas = {m.id for m in store.indicators()}
    assert ids <= metas
    for indicator_id in [*strategy.indicator_ids, *measures]:
        london = values.filter(
            pl.col("indicator_id") == indicator_id,
            pl.col("area_code") == LONDON,
            pl.col("value").is_not_null(),
        )
        assert london.height, indicator_id


def test_period_and_category_conventions(values):
    singles = values.filter(pl.col("period_years") == 1)
    assert set(singles["period"]) == {str(y) for y in YEARS}
    assert (singles["period"].cast(pl.Int32) == singles["period_start"]).all()
    pooled = values.filter(pl.col("period_years") == 3)
    assert set(pooled["period"]) == {"2017 - 19"}
    assert set(values["sex"]) == {"Persons", "Male", "Female"}
    assert set(values["category_type"]) == {
        "",
        DECILES,
        "Free school meals",
        "Ethnic group",
        "Age band",
        "Cause",
    }
    totals = values.filter(pl.col("category_type") == "")
    assert (totals["category"] == "").all()
    le = values.filter(pl.col("indicator_id") == "life_expectancy")
    assert set(le["sex"]) == {"Male", "Female"}
    assert set(values.filter(pl.col("category_type") == DECILES)["category"]) == {
        str(d) for d in range(1, 11)
    }


def test_le_sii_for_london_with_limits(values):
    for sex in ("Male", "Female"):
        row = _one(values, indicator_id="le_sii", area_code=LONDON, period="2017 - 19", sex=sex)
        assert 2 < row["value"] < 12
        assert row["lower95_0cl"] < row["value"] < row["upper95_0cl"]
        assert row["lower99_8cl"] < row["lower95_0cl"]


def test_gap_decomposition_adds_up_to_the_decile_gap(values):
    for sex in ("Male", "Female"):
        le = {
            d: _one(
                values,
                indicator_id="life_expectancy",
                area_code=LONDON,
                period="2017 - 19",
                sex=sex,
                category_type=DECILES,
                category=d,
            )["value"]
            for d in ("1", "10")
        }
        parts = values.filter(
            pl.col("indicator_id") == "le_gap_decomposition",
            pl.col("area_code") == LONDON,
            pl.col("sex") == sex,
        )
        by_age = parts.filter(pl.col("category_type") == "Age band")
        by_cause = parts.filter(pl.col("category_type") == "Cause")
        assert by_age.height == 20
        assert by_age["category"][0] in {"0", "1-4"}
        assert "Circulatory" in set(by_cause["category"])
        gap = le["10"] - le["1"]
        assert gap > 3
        assert by_age["value"].sum() == pytest.approx(gap, rel=1e-9)
        assert by_cause["value"].sum() == pytest.approx(gap, rel=1e-9)


def test_healthy_life_expectancy_is_below_life_expectancy(values):
    le = values.filter(pl.col("indicator_id") == "life_expectancy", pl.col("category_type") == "")
    for sex in ("Male", "Female"):
        hle = values.filter(pl.col("indicator_id") == f"hle_{sex.lower()}")
        both = hle.join(le, on=["area_code", "period", "sex"], suffix="_le")
        assert both.height >= 34 * 4 - 4
        assert (both["value"] < both["value_le"]).all()
        london = _one(
            values, indicator_id=f"hle_{sex.lower()}", area_code=LONDON, period="2017 - 19", sex=sex
        )
        assert 55 < london["value"] < 70  # ONS 2017-19 London: about 64 years


def test_low_birth_weight_by_hand_for_two_boroughs(job, values, con):
    result, _ = job
    data = result.data_dir
    for borough in ("E09000002", "E09000027"):
        x, n = con.execute(
            f"""
            select count(*) filter (where b.birth_weight_g < 2500), count(*)
            from '{data}/births.parquet' b join '{data}/lsoa_lookup.parquet' l using (lsoa_code)
            where l.borough_code = ? and b.year = 2018 and b.gestation_weeks >= 37
              and b.birth_weight_g is not null""",
            [borough],
        ).fetchone()
        row = _one(values, indicator_id="low_birth_weight", area_code=borough, period="2018")
        assert (row["count"], row["denominator"]) == (x, n)
        assert row["value"] == pytest.approx(100 * x / n, rel=1e-12)
        # Wilson score limits (Newcombe 1998, method 3)
        z = 1.959963984540054
        p = x / n
        centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lower = 100 * (centre - half) / (1 + z * z / n)
        assert row["lower95_0cl"] == pytest.approx(lower, rel=1e-9)


def test_suicide_dsr_by_hand_for_london(job, values, con):
    result, _ = job
    data = result.data_dir
    deaths = dict(
        con.execute(f"""
        select least(age - age % 5, 90), count(*) from '{data}/deaths.parquet'
        where age >= 10 and (upper(replace(icd10, '.', '')) between 'X60' and 'X84z'
                             or upper(replace(icd10, '.', '')) between 'Y10' and 'Y34z')
        group by all""").fetchall()
    )
    pops = dict(
        con.execute(f"""
        select least(age - age % 5, 90), sum(population) from '{data}/population.parquet'
        where age >= 10 group by all""").fetchall()
    )
    bands = sorted(pops)
    weights = np.asarray(ESP2013, dtype=float)[[b // 5 for b in bands]]
    rates = np.array([deaths.get(b, 0) / pops[b] for b in bands])
    dsr = 1e5 * (weights * rates).sum() / weights.sum()
    row = _one(values, indicator_id="suicide", area_code=LONDON, period="2017 - 19")
    assert row["count"] == sum(deaths.values())
    assert row["value"] == pytest.approx(dsr, rel=1e-9)


def test_life_expectancy_by_hand_for_one_borough(job, values, con):
    # Chiang II abridged life table as OHID defines it: bands 0, 1-4, 5-9, ..., 90+;
    # a_0 = 0.1, a = 0.5 elsewhere; q = n m / (1 + (1 - a) n m); L = n (l - (1 - a) d);
    # open band L = l / m.
    result, _ = job
    data = result.data_dir
    band = "case when age < 1 then 0 when age < 5 then 1 else least(age - age % 5, 90) end"
    rows = con.execute(f"""
        with lk as (select lsoa_code from '{data}/lsoa_lookup.parquet'
                    where borough_code = 'E09000012'),
        p as (select {band} b, sum(population) pop from '{data}/population.parquet'
              join lk using (lsoa_code) where sex = 'Female' group by all),
        d as (select {band} b, count(*) deaths from '{data}/deaths.parquet'
              join lk using (lsoa_code) where sex = 'Female' group by all)
        select b, pop, coalesce(deaths, 0) from p left join d using (b) order by b""").fetchall()
    starts = np.array([r[0] for r in rows], dtype=float)
    m = np.array([r[2] / r[1] for r in rows])
    width = np.diff(np.append(starts, np.nan))
    a = np.where(starts == 0, 0.1, 0.5)
    q = width * m / (1 + (1 - a) * width * m)
    q[-1] = 1.0
    lx = 1e5 * np.concatenate([[1.0], np.cumprod(1 - q)[:-1]])
    big_l = width * (lx - (1 - a) * q * lx)
    big_l[-1] = lx[-1] / m[-1]
    expected = big_l.sum() / lx[0]
    row = _one(
        values,
        indicator_id="life_expectancy",
        area_code="E09000012",
        period="2017 - 19",
        sex="Female",
    )
    assert row["value"] == pytest.approx(expected, rel=1e-9)


def test_pm25_attributable_fraction_by_hand(job, values, con):
    result, _ = job
    data = result.data_dir
    c = con.execute(
        f"select pm25_annual_mean from '{data}/air_quality.parquet' "
        "where borough_code = 'E09000030' and year = 2019"
    ).fetchone()[0]
    row = _one(values, indicator_id="pm25_mortality", area_code="E09000030", period="2019")
    fraction = 1 - 1.08 ** (-c / 10)
    assert row["value"] == pytest.approx(100 * fraction, rel=1e-12)
    deaths = con.execute(f"""
        select count(*) from '{data}/deaths.parquet' d
        join '{data}/lsoa_lookup.parquet' l using (lsoa_code)
        where l.borough_code = 'E09000030' and d.year = 2019 and d.age >= 30""").fetchone()[0]
    assert row["denominator"] == deaths
    assert row["count"] == pytest.approx(fraction * deaths, rel=1e-12)


def test_smi_excess_mortality_is_the_ratio_of_the_two_rates(values):
    smi = _one(values, indicator_id="smi_mortality_18_74", area_code=LONDON, period="2017 - 19")
    everyone = _one(values, indicator_id="mortality_18_74", area_code=LONDON, period="2017 - 19")
    excess = _one(values, indicator_id="smi_excess_mortality", area_code=LONDON, period="2017 - 19")
    assert excess["value"] == pytest.approx(100 * smi["value"] / everyone["value"], rel=1e-12)
    assert 250 < excess["value"] < 600  # published for London: about 400-500%


def test_commitment_measures_aggregate_the_boroughs(job, values, con):
    result, _ = job
    data = result.data_dir
    total = con.execute(f"""select sum(value) from '{data}/commitments.parquet'
                            where measure = 'school_superzones' and year = 2019""").fetchone()[0]
    row = _one(values, indicator_id="school_superzones", area_code=LONDON, period="2019")
    assert row["value"] == total
    share = con.execute(f"""select avg(response) from '{data}/survey.parquet'
                            where question = 'active_travel' and year = 2018""").fetchone()[0]
    row = _one(values, indicator_id="active_travel_20min", area_code=LONDON, period="2018")
    assert row["value"] == pytest.approx(share, rel=1e-12)
    boroughs = values.filter(
        pl.col("indicator_id") == "pm25_annual_mean",
        pl.col("period") == "2019",
        pl.col("area_code") != LONDON,
    )
    assert boroughs.height == 33


def test_tb_incidence_sums_the_borough_notifications(job, values, con):
    result, _ = job
    data = result.data_dir
    x, n = con.execute(f"""select sum(tb_notifications), sum(population)
                           from '{data}/notifications.parquet'
                           where year between 2017 and 2019""").fetchone()
    row = _one(values, indicator_id="tb_incidence", area_code=LONDON, period="2017 - 19")
    assert (row["count"], row["denominator"]) == (x, n)
    assert row["value"] == pytest.approx(1e5 * x / n, rel=1e-12)


def test_metadata_in_the_store_keeps_gap_definitions(job):
    result, _ = job
    with Store.open(result.store_path) as store:
        suicide = store.indicator("suicide")
        hle = store.indicator("hle_male")
        superzones = store.indicator("school_superzones")
    assert "borough" in suicide.gap
    assert hle.method == "healthy_life_expectancy"
    assert "synthetic" in hle.data_source.lower()
    assert superzones.polarity == "high_is_good"
    assert "50" in superzones.caveats


def test_limits_bracket_values_where_given(values):
    given = values.filter(pl.col("value").is_not_null() & pl.col("lower95_0cl").is_not_null())
    assert (given["lower95_0cl"] <= given["value"] + 1e-9).all()
    assert (given["value"] <= given["upper95_0cl"] + 1e-9).all()


def test_years_must_be_consecutive(tmp_path):
    with pytest.raises(InputError, match="consecutive"):
        run(tmp_path, years=(2017, 2019))


def test_refuses_to_replace_a_store_it_did_not_write(tmp_path):
    (tmp_path / "healthgap.duckdb").write_bytes(b"not ours")
    with pytest.raises(InputError, match="new store"):
        run(tmp_path, years=(2019,))
    assert (tmp_path / "healthgap.duckdb").read_bytes() == b"not ours"
