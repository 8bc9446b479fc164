"""The ward life-expectancy gap on a hand-checked example, re-derived independently here."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthgap.errors import InputError
from healthgap.london import ward_gap

# Eight LSOAs; LSOA L1 is split half and half between wards W1 and W2.
LSOAS = pl.DataFrame(
    {
        "lsoa_code": ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"],
        "imd_score": [40.0, 30.0, 20.0, 10.0, 5.0, 50.0, 2.0, 99.0],
        "residents": [1000, 1000, 2000, 1000, 1000, 500, 1500, 700],
    }
)
SHARES = pl.DataFrame(
    {
        "lsoa_code": ["L6", "L1", "L1", "L2", "L3", "L4", "L5", "L7", "X9"],
        "ward_code": ["W1", "W1", "W2", "W2", "W3", "W4", "W5", "W5", "W6"],
        "share": [1.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    }
)
# By hand: W1 500 + 500 residents, (500 * 50 + 500 * 40) / 1000 = 45; W2 (500 * 40 + 1000 *
# 30) / 1500 = 33.33; W3 20; W4 10; W5 (1000 * 5 + 1500 * 2) / 2500 = 3.2. L8 is in no ward,
# X9 (a ward outside the LSOAs given) gets no residents and is left out.
EXPECTED_WARDS = [
    ("W1", 1000.0, 45.0),
    ("W2", 1500.0, 100 / 3),
    ("W3", 2000.0, 20.0),
    ("W4", 1000.0, 10.0),
    ("W5", 2500.0, 3.2),
]
# Ward life expectancy with published-style 95% limits (one period, males)
LE = {"W1": (70.0, 68.0, 72.0), "W2": (72.0, 70.5, 73.5), "W3": (75.0, 74.0, 76.0)}
LE |= {"W4": (78.0, 76.0, 80.0), "W5": (80.0, 79.0, 81.0)}


def _le(rows: dict[str, tuple[float, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "area_code": list(rows),
            "period": "2010 - 14",
            "period_start": 2010,
            "period_years": 5,
            "sex": "Male",
            "age": "All ages",
            "value": [v[0] for v in rows.values()],
            "lower95_0cl": [v[1] for v in rows.values()],
            "upper95_0cl": [v[2] for v in rows.values()],
        }
    )


def _quintiles() -> pl.DataFrame:
    wards = ward_gap.ward_deprivation(LSOAS, SHARES)
    return ward_gap.ward_quantiles(wards, nquantiles=5)


def test_ward_deprivation_is_the_residents_weighted_mean_score():
    wards = ward_gap.ward_deprivation(LSOAS, SHARES)
    assert wards.select("ward_code", "population", "imd_score").rows() == [
        (w, pytest.approx(p), pytest.approx(s, rel=1e-12)) for w, p, s in EXPECTED_WARDS
    ]
    assert wards["lsoas"].to_list() == [2, 2, 1, 1, 2]


def test_quantile_one_is_the_most_deprived():
    assert _quintiles().select("ward_code", "quantile").rows() == [
        ("W1", 1),
        ("W2", 2),
        ("W3", 3),
        ("W4", 4),
        ("W5", 5),
    ]


def _independent(values, se, population):
    """Weighted least squares of e on the relative rank, its coefficients' covariance."""
    a = population / population.sum()
    b = np.cumsum(a) - a / 2
    x = np.column_stack([np.ones_like(b), b])
    xtwx_inv = np.linalg.inv(x.T @ (a[:, None] * x))
    hat = xtwx_inv @ (x.T * a)  # beta = hat @ e
    beta = hat @ values
    cov = hat @ np.diag(se**2) @ hat.T
    return beta, cov


def test_le_by_quantile_sii_and_gap_re_derived():
    wards = _quintiles()
    by_q = ward_gap.le_by_quantile(_le(LE), wards, "R", nquantiles=5)
    assert by_q["category"].to_list() == ["1", "2", "3", "4", "5"]
    assert by_q["category_type"].unique().to_list() == ["Ward IMD 2019 quintile (within London)"]
    values = np.array([LE[w][0] for w in ("W1", "W2", "W3", "W4", "W5")])
    se = np.array([(LE[w][2] - LE[w][1]) / (2 * 1.959963984540054) for w in LE])
    pops = np.array([p for _, p, _ in EXPECTED_WARDS])
    np.testing.assert_allclose(by_q["value"].to_numpy(), values, rtol=1e-12)
    np.testing.assert_allclose(by_q["se"].to_numpy(), se, rtol=1e-12)
    np.testing.assert_allclose(by_q["lower95_0cl"].to_numpy(), values - 1.959963984540054 * se)
    np.testing.assert_allclose(by_q["denominator"].to_numpy(), pops)

    beta, cov = _independent(values, se, pops)
    out = ward_gap.ward_sii(by_q)
    row = out.row(0, named=True)
    assert out.height == 1
    assert row["value"] == pytest.approx(beta[1], rel=1e-9)
    # simulated limits against the exact normal limits of the slope (100,000 draws)
    half = 1.959963984540054 * np.sqrt(cov[1, 1])
    assert row["lower95_0cl"] == pytest.approx(beta[1] - half, abs=0.02 * half)
    assert row["upper95_0cl"] == pytest.approx(beta[1] + half, abs=0.02 * half)
    assert row["lower99_8cl"] < row["lower95_0cl"] < row["value"] < row["upper95_0cl"]
    rii = (beta[0] + beta[1]) / beta[0]
    assert f"RII {round(rii, 4)}" in row["value_note"]
    assert "5 wards in 5 quintiles" in row["value_note"]

    gap = ward_gap.quantile_gap(by_q).row(0, named=True)
    assert gap["value"] == pytest.approx(80.0 - 70.0)
    half = 1.959963984540054 * np.sqrt(se[0] ** 2 + se[4] ** 2)
    assert gap["lower95_0cl"] == pytest.approx(10.0 - half, rel=1e-12)
    assert gap["upper95_0cl"] == pytest.approx(10.0 + half, rel=1e-12)


def test_wards_in_one_quantile_average_by_residents():
    # ten wards, two to a quintile: each quintile is the residents-weighted mean of two
    wards = pl.DataFrame(
        {
            "ward_code": [f"W{i}" for i in range(10)],
            "population": [1000.0, 3000.0] * 5,
            "quantile": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
        }
    )
    le = _le({f"W{i}": (70.0 + i, 69.0 + i, 71.0 + i * 1.5) for i in range(10)})
    by_q = ward_gap.le_by_quantile(le, wards, "R", nquantiles=5)
    first = by_q.row(0, named=True)
    se0, se1 = 2 / (2 * 1.959963984540054), 2.5 / (2 * 1.959963984540054)
    assert first["value"] == pytest.approx((1000 * 70 + 3000 * 71) / 4000, rel=1e-12)
    assert first["se"] == pytest.approx(np.sqrt(1000**2 * se0**2 + 3000**2 * se1**2) / 4000)
    assert first["wards"] == 2
    assert by_q["wards"].to_list() == [2] * 5


def test_a_period_missing_a_quantile_is_left_out_of_the_sii():
    wards = _quintiles()
    le = pl.concat(
        [
            _le(LE),
            _le({k: v for k, v in LE.items() if k != "W5"}).with_columns(
                pl.lit("2009 - 13").alias("period"), pl.lit(2009).alias("period_start")
            ),
        ]
    )
    by_q = ward_gap.le_by_quantile(le, wards, "R", nquantiles=5)
    assert ward_gap.ward_sii(by_q)["period"].to_list() == ["2010 - 14"]
    assert ward_gap.quantile_gap(by_q)["period"].to_list() == ["2010 - 14"]


def test_a_lookup_of_other_wards_is_refused_in_one_line():
    wards = ward_gap.ward_deprivation(LSOAS, SHARES)
    assert ward_gap.check_coverage(pl.Series(["W1", "W2", "Z1"]), wards, "f.csv") == (2, 3)
    with pytest.raises(InputError, match=r"^f\.csv: none of its wards") as info:
        ward_gap.check_coverage(pl.Series(["Z1", "Z2"]), wards, "f.csv")
    assert "LSOA (2011) to Ward (2011)" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.realdata
def test_the_whole_ward_path_on_the_real_ward_le_and_imd(shared_data, tmp_path):
    """Real GLA ward life expectancy, real IMD 2019 scores and Census 2011 residents, with a
    lookup made up by a TEST-ONLY rule (tests/london/_test_only_lookup.py: LSOAs dealt to the
    wards of their own borough in name order); checks the pipeline end to end, never a
    published figure."""
    import shapefile
    from tests.london import _test_only_lookup as test_only_lookup

    from healthgap.sources import (
        read_gla_ward_life_expectancy,
        read_imd2019_london,
        read_ward_lookup,
    )

    le_file = shared_data / "mortality/gla_life-expectancy-ward-at-Birth.csv"
    imd = read_imd2019_london(shared_data / "deprivation/ID 2019 for London.xlsx")
    scores = (
        pl.from_arrow(imd.classifications)
        .filter(pl.col("classification") == "IMD 2019 decile (national)")
        .select(pl.col("area_code").alias("lsoa_code"), pl.col("score").alias("imd_score"))
    )
    dbf = shared_data / "boundaries/lsoa_2011_london_gen_mhw/LSOA_2011_London_gen_MHW.dbf"
    with shapefile.Reader(dbf=str(dbf), encoding="latin-1") as reader:
        fields = [f[0] for f in reader.fields[1:]]
        records = reader.records()
    code, residents = fields.index("LSOA11CD"), fields.index("USUALRES")
    lsoas = scores.join(
        pl.DataFrame(
            {
                "lsoa_code": [r[code] for r in records],
                "residents": [float(r[residents]) for r in records],
            }
        ),
        on="lsoa_code",
    )
    assert lsoas.height == 4835

    areas = pl.from_arrow(imd.areas)
    lsoa_names = (
        pl.from_arrow(imd.hierarchy)
        .select(
            pl.col("child_code").alias("lsoa_code"), pl.col("parent_code").alias("borough_code")
        )
        .join(
            areas.select(
                pl.col("area_code").alias("lsoa_code"), pl.col("area_name").alias("lsoa_name")
            ),
            on="lsoa_code",
        )
    )
    raw = pl.read_csv(le_file, infer_schema_length=0, encoding="utf8-lossy")
    # the file's own borough rows name each borough as its ward rows do
    boroughs = raw.filter(pl.col("Geography") == "Local Authority").select(
        pl.col("Ward").alias("borough_code"), pl.col("Local Authority").alias("borough")
    )
    wards = (
        raw.filter(pl.col("Geography") == "Ward")
        .select(
            pl.col("Ward").alias("ward_code"),
            pl.col("Ward name").alias("ward_name"),
            pl.col("Local Authority").alias("borough"),
        )
        .join(boroughs, on="borough", how="left")
    )
    assert wards["borough_code"].null_count() == 0  # every ward's borough found
    lookup = test_only_lookup.by_borough_name_order(lsoa_names, wards, tmp_path / "lookup.csv")

    shares = pl.from_arrow(read_ward_lookup(lookup).extra["lsoa_ward"])
    le = pl.from_arrow(read_gla_ward_life_expectancy(le_file).values).filter(
        pl.col("area_code").str.starts_with("E05")
    )
    deprivation = ward_gap.ward_deprivation(lsoas, shares)
    assert ward_gap.check_coverage(le["area_code"], deprivation, str(lookup)) == (624, 624)
    deciles = ward_gap.ward_quantiles(deprivation)
    assert deciles.height == 624
    assert deciles.group_by("quantile").len()["len"].is_between(62, 63).all()
    # every London resident but the City's (no wards in the GLA file) is in a ward
    city = lsoas.filter(
        pl.col("lsoa_code").is_in(
            lsoa_names.filter(pl.col("borough_code") == "E09000001")["lsoa_code"].implode()
        )
    )["residents"].sum()
    assert deciles["population"].sum() == pytest.approx(lsoas["residents"].sum() - city)

    by_decile = ward_gap.le_by_quantile(le, deciles, "E12000007")
    assert by_decile.height == 12 * 2 * 10  # periods x sexes x deciles
    assert by_decile.select(pl.col("lower95_0cl", "upper95_0cl").null_count()).row(0) == (0, 0)
    assert (by_decile["lower95_0cl"] < by_decile["value"]).all()
    assert by_decile.group_by("period", "sex").agg(pl.col("wards").sum())["wards"].eq(624).all()
    gaps, slopes = ward_gap.quantile_gap(by_decile), ward_gap.ward_sii(by_decile)
    for frame in (gaps, slopes):
        assert frame.height == 24
        assert frame.select(pl.col("lower95_0cl", "upper95_0cl").null_count()).row(0) == (0, 0)
        assert (frame["lower95_0cl"] < frame["value"]).all()
        assert (frame["value"] < frame["upper95_0cl"]).all()
    # the deprivation gradient between boroughs survives the test-only assignment within them
    latest = slopes.filter(pl.col("period") == "2010 - 14")
    assert (latest["value"] > 0).all()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.5, 90, allow_nan=False),  # IMD score
            st.integers(1, 5000),  # residents
            st.integers(0, 4),  # ward
        ),
        min_size=1,
        max_size=40,
    ),
    st.floats(0.1, 10),
)
def test_ward_scores_lie_within_their_lsoas_and_ignore_the_residents_scale(rows, scale):
    lsoas = pl.DataFrame(
        {
            "lsoa_code": [f"L{i}" for i in range(len(rows))],
            "imd_score": [r[0] for r in rows],
            "residents": [float(r[1]) for r in rows],
        }
    )
    shares = pl.DataFrame(
        {
            "lsoa_code": lsoas["lsoa_code"],
            "ward_code": [f"W{r[2]}" for r in rows],
            "share": 1.0,
        }
    )
    wards = ward_gap.ward_deprivation(lsoas, shares)
    scaled = ward_gap.ward_deprivation(lsoas.with_columns(pl.col("residents") * scale), shares)
    np.testing.assert_allclose(wards["imd_score"], scaled["imd_score"], rtol=1e-9)
    bounds = (
        shares.join(lsoas, on="lsoa_code")
        .group_by("ward_code")
        .agg(pl.col("imd_score").min().alias("low"), pl.col("imd_score").max().alias("high"))
    )
    checked = wards.join(bounds, on="ward_code")
    assert (checked["imd_score"] >= checked["low"] - 1e-9).all()
    assert (checked["imd_score"] <= checked["high"] + 1e-9).all()
    assert wards["population"].sum() == pytest.approx(lsoas["residents"].sum())


@settings(max_examples=30, deadline=None)
@given(st.floats(-3, 3), st.floats(60, 85))
def test_the_sii_of_a_straight_line_across_deciles_is_its_slope(step, start):
    # deciles of equal residents whose life expectancy rises by `step` a decile: the fitted
    # line over relative rank 0.05 ... 0.95 has slope 10 * step
    by_q = pl.DataFrame(
        {
            "area_code": "R",
            "period": "2010 - 14",
            "period_start": 2010,
            "period_years": 5,
            "sex": "Male",
            "age": "All ages",
            "category": [str(d) for d in range(1, 11)],
            "value": [start + step * d for d in range(1, 11)],
            "se": 0.5,
            "denominator": 1000.0,
            "wards": 3,
        }
    )
    out = ward_gap.ward_sii(by_q).row(0, named=True)
    assert out["value"] == pytest.approx(10 * step, abs=1e-9)
