import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import to_polars

from healthgap.errors import ColumnNotFoundError, InputError, SuppressedWarning
from healthgap.methods import quantile


def test_hand_derived_deciles_of_twenty_areas():
    # OHID "Assigning deprivation categories": Q = q + 1 - ceil((N + 1 - r) / (N / q)).
    # N = 20, q = 10: two ranks per decile; highest value (rank 1) in decile 1 (invert=True).
    values = list(range(20, 0, -1))
    out = quantile(pl.DataFrame({"v": values}), "v")
    assert out["quantile"].to_list() == [float(d) for d in np.repeat(np.arange(1, 11), 2)]
    out = quantile(pl.DataFrame({"v": values}), "v", invert=False)
    assert out["quantile"].to_list() == [float(d) for d in np.repeat(np.arange(10, 0, -1), 2)]


def test_uneven_sizes_follow_the_formula():
    # N = 7, q = 3 (N/q = 7/3). By hand: r=1: ceil(7*3/7)=3 -> 1; r=2: ceil(18/7)=3 -> 1;
    # r=3: ceil(15/7)=3 -> 1; r=4: ceil(12/7)=2 -> 2; r=5: ceil(9/7)=2 -> 2; r=6: ceil(6/7)=1 -> 3;
    # r=7: ceil(3/7)=1 -> 3.
    out = quantile(pl.DataFrame({"v": [7, 6, 5, 4, 3, 2, 1]}), "v", nquantiles=3)
    assert out["quantile"].to_list() == [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]


def test_ties_take_the_quantile_of_their_lowest_rank():
    # both 40s rank 6 (ties at minimum): Q(6) with N = 12, q = 4 is 5 - ceil(28/12) = 2
    df = pl.DataFrame({"v": [90, 80, 70, 60, 50, 40, 40, 30, 20, 10, 5, 1]})
    out = quantile(df, "v", nquantiles=4)
    assert out["quantile"].to_list() == [1.0, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 4]


def test_full_output_columns_and_row_order(constructor):
    data = constructor(
        {
            "region": ["R2", "R1", "R2", "R1", "R2", "R1"],
            "area": list("abcdef"),
            "v": [3.0, 10.0, 1.0, 30.0, 2.0, 20.0],
        }
    )
    out = to_polars(quantile(data, "v", group_by="region", nquantiles=3))
    assert out.columns == [
        "region",
        "area",
        "v",
        "quantile",
        "nquantiles",
        "groupvars",
        "qinverted",
    ]
    assert out["area"].to_list() == list("abcdef")  # the input's order, not the groups'
    assert out["quantile"].to_list() == [1.0, 3.0, 3.0, 1.0, 2.0, 2.0]
    assert out["nquantiles"].to_list() == [3] * 6
    assert out["groupvars"].to_list() == ["region"] * 6
    assert out["qinverted"].to_list() == ["lowest quantile represents highest values"] * 6
    ref = quantile(pl.DataFrame(to_polars(data)), "v", group_by="region", nquantiles=3)
    assert out.equals(ref)


def test_missing_group_key_is_a_group_of_its_own(constructor):
    data = constructor({"g": ["a", None, "a", None], "v": [1.0, 2.0, 3.0, 4.0]})
    out = to_polars(quantile(data, "v", group_by="g", nquantiles=2, type="standard"))
    assert out["quantile"].to_list() == [2.0, 2.0, 1.0, 1.0]


def test_standard_output_and_ungrouped_groupvars():
    df = pl.DataFrame({"v": [1.0, 2.0]})
    assert quantile(df, "v", nquantiles=2, type="standard").columns == ["v", "quantile"]
    full = quantile(df, "v", nquantiles=2, invert=False)
    assert full["groupvars"].to_list() == ["", ""]
    assert full["qinverted"][0] == "lowest quantile represents lowest values"


def test_invert_column_per_group():
    data = pl.DataFrame(
        {"g": ["a"] * 3 + ["b"] * 3, "v": [1, 2, 3, 1, 2, 3], "inv": [True] * 3 + [False] * 3}
    )
    out = quantile(data, "v", group_by="g", nquantiles=3, invert="inv")
    assert out["quantile"].to_list() == [3.0, 2.0, 1.0, 1.0, 2.0, 3.0]
    assert out["qinverted"].to_list()[2:4] == [
        "lowest quantile represents highest values",
        "lowest quantile represents lowest values",
    ]


def test_invert_column_errors():
    data = pl.DataFrame(
        {
            "g": ["a", "a", "b"],
            "v": [1, 2, 3],
            "inv": [True, False, True],
            "s": ["x", "y", "z"],
            "n": [True, None, True],
        }
    )
    with pytest.raises(
        InputError,
        match=r"must hold one value within each group: 1 of 2 "
        r"groups mix True and False \(first: 'a'\)",
    ):
        quantile(data, "v", group_by="g", nquantiles=1, invert="inv")
    with pytest.raises(InputError, match=r"column 's' \(invert\) must be boolean; it is String"):
        quantile(data, "v", invert="s")
    with pytest.raises(InputError, match=r"column 'n' \(invert\) must not be missing"):
        quantile(data, "v", invert="n")
    with pytest.raises(ColumnNotFoundError, match=r"columns \['nope'\] not found"):
        quantile(data, "v", invert="nope")
    with pytest.raises(InputError, match="argument 'invert' must be True, False or a column"):
        quantile(data, "v", invert=1)


def test_no_rows_gives_no_rows():
    empty = pl.DataFrame({"v": []}, schema={"v": pl.Float64})
    assert quantile(empty, "v").columns == ["v", "quantile", "nquantiles", "groupvars", "qinverted"]


def test_missing_values_get_no_quantile_and_are_not_counted():
    out = quantile(pl.DataFrame({"v": [4.0, None, 3.0, 2.0, 1.0]}), "v", nquantiles=4)
    assert out["quantile"].to_list() == [1.0, None, 2.0, 3.0, 4.0]


def test_small_groups_are_null_with_one_warning():
    data = pl.DataFrame({"g": ["a"] * 5 + ["b"] * 2 + ["c"] * 3, "v": list(range(10))})
    with pytest.warns(
        SuppressedWarning,
        match=r"quantile withheld for 2 of 3 groups with "
        r"fewer areas with values than nquantiles = 4 "
        r"\(first: 'b'\)",
    ):
        out = quantile(data, "v", group_by="g", nquantiles=4)
    assert out["quantile"].null_count() == 5
    assert out["quantile"].head(5).null_count() == 0


def test_argument_errors():
    df = pl.DataFrame({"v": [1.0, 2.0], "s": ["a", "b"]})
    for bad in (0, 2.5, True, "10"):
        with pytest.raises(InputError, match="argument 'nquantiles' must be a whole number"):
            quantile(df, "v", nquantiles=bad)
    with pytest.raises(InputError, match="columns must be numeric: 's' is String"):
        quantile(df, "s")
    with pytest.raises(InputError, match="argument 'type' must be one of"):
        quantile(df, "v", type="value")
    with pytest.raises(ColumnNotFoundError):
        quantile(df, "v", group_by="region")

    with pytest.raises(InputError, match=r"must be finite or missing: 1 of 2 rows fail"):
        quantile(pl.DataFrame({"v": [1.0, float("inf")]}), "v", nquantiles=1)
    with pytest.warns(SuppressedWarning, match=r"those rows get no quantile"):
        flagged = quantile(
            pl.DataFrame({"v": [1.0, float("inf"), 2.0]}), "v", nquantiles=2, errors="flag"
        )
    assert flagged["quantile"].to_list() == [2.0, None, 1.0]


@pytest.mark.realdata
def test_imd2019_deciles_of_32844_lsoas(shared_data):
    # MHCLG English Indices of Deprivation 2019, File 1: rank 1 = most deprived, decile
    # published per LSOA. The published decile is ceil(10 r / N), which counts from the most
    # deprived end; OHID's formula counts from the other end, so ranking the IMD rank with
    # invert=True (the least deprived LSOA first) gives exactly 11 - published decile.
    pd = pytest.importorskip("pandas")
    path = shared_data / "deprivation" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    imd = pd.read_excel(path, sheet_name="IMD2019", engine="calamine")
    rank = "Index of Multiple Deprivation (IMD) Rank"
    decile = "Index of Multiple Deprivation (IMD) Decile"
    assert len(imd) == 32_844
    out = quantile(imd, rank, invert=True)
    np.testing.assert_array_equal(out["quantile"].to_numpy(), 11 - imd[decile].to_numpy())
    # Ranked from the most deprived end (invert=False), 8 boundary LSOAs fall a decile lower
    # than MHCLG's: the two conventions disagree only where N/10 splits a rank.
    direct = quantile(imd, rank, invert=False)
    differ = direct["quantile"].to_numpy() != imd[decile].to_numpy()
    assert differ.sum() == 8
    assert (direct["quantile"].to_numpy()[differ] == imd[decile].to_numpy()[differ] - 1).all()


areas = st.lists(st.integers(-50, 50), min_size=1, max_size=60)


@settings(max_examples=80, deadline=None)
@given(areas, st.integers(1, 12))
def test_monotone_in_value_and_invert_flips(values, nq):
    if len(values) < nq:
        return
    df = pl.DataFrame({"v": values})
    high_first = quantile(df, "v", nquantiles=nq, type="standard")["quantile"].to_numpy()
    low_first = quantile(df, "v", nquantiles=nq, invert=False, type="standard")[
        "quantile"
    ].to_numpy()
    order = np.argsort(values, kind="stable")
    assert (np.diff(high_first[order]) <= 0).all()  # higher value, same or lower quantile
    assert (np.diff(low_first[order]) >= 0).all()
    assert high_first.min() >= 1
    assert high_first.max() <= nq
    negated = quantile(
        pl.DataFrame({"v": [-x for x in values]}), "v", nquantiles=nq, invert=False, type="standard"
    )["quantile"].to_numpy()
    np.testing.assert_array_equal(high_first, negated)  # invert=True ranks -v ascending
    if len(set(values)) == len(values):
        # no ties: every quantile is used; when q divides N, inverting mirrors the quantiles
        assert set(high_first) == set(range(1, nq + 1))
        if len(values) % nq == 0:
            np.testing.assert_array_equal(high_first, nq + 1 - low_first)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(-1e3, 1e3)), min_size=1, max_size=60))
def test_grouped_equals_each_group_alone(rows):
    g, v = zip(*rows, strict=True)
    data = pl.DataFrame({"g": g, "v": v})
    big = data.group_by("g").len().filter(pl.col("len") >= 2)["g"]
    data = data.filter(pl.col("g").is_in(big.implode()))
    if data.is_empty():
        return
    together = quantile(data, "v", group_by="g", nquantiles=2, type="standard")
    for key in big.to_list():
        alone = quantile(data.filter(pl.col("g") == key), "v", nquantiles=2, type="standard")
        assert together.filter(pl.col("g") == key)["quantile"].to_list() == (
            alone["quantile"].to_list()
        )
