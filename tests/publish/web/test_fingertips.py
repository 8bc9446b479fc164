"""The real Fingertips client (fingertips_py, PyPI) against ``healthgap serve``, unchanged
except for its base URL: the paths, fields and CSV columns it reads are Fingertips' own."""

from __future__ import annotations

import io

import httpx
import polars as pl
import pytest

from healthgap.sources.fingertips import API_COLUMNS

# one test process builds the store, the server and the site for all web tests
pytestmark = pytest.mark.xdist_group("web")

ft = pytest.importorskip("fingertips_py")

LA = 502  # Fingertips: upper-tier local authorities (post 4/23)
REGION = 6
ENGLAND = 15


@pytest.fixture
def fingertips(server, monkeypatch):
    """fingertips_py pointed at the test server (each module binds base_url on import)."""
    import fingertips_py.api_calls
    import fingertips_py.metadata
    import fingertips_py.retrieve_data

    for module in (fingertips_py.api_calls, fingertips_py.metadata, fingertips_py.retrieve_data):
        monkeypatch.setattr(module, "base_url", f"{server}/api/")
    return ft


def _number(server, indicator_id):
    meta = httpx.get(f"{server}/api/indicator_metadata/all").json()
    return next(
        int(k) for k, v in meta.items() if v["Descriptive"]["IndicatorNumber"] == indicator_id
    )


def test_reference_lists(fingertips):
    assert fingertips.get_all_sexes() == {1: "Male", 2: "Female", 4: "Persons"}
    assert fingertips.get_sex_id("Persons") == 4
    ages = fingertips.get_all_ages()
    assert ages[1]["Name"] == "All ages" or "All ages" not in {a["Name"] for a in ages.values()}
    types = fingertips.get_area_types_as_dict()
    assert {REGION, LA, ENGLAND} <= set(types)
    assert types[LA]["Name"].startswith("Upper tier local authorities")
    areas = fingertips.get_areas_for_area_type(LA)
    assert areas["E09000001"]["Name"] == "City of London"
    assert fingertips.get_areas_for_area_type(ENGLAND)["E92000001"]["Name"] == "England"
    notes = fingertips.get_all_value_notes()
    assert any(t.startswith("Value suppressed") for t in notes.values())


def test_profiles_and_metadata(fingertips, server):
    profiles = fingertips.get_all_profiles()
    assert list(profiles) == [1]
    assert fingertips.get_profile_by_name("health inequalities")["Id"] == 1
    assert fingertips.get_area_type_ids_for_profile(1) == sorted(
        fingertips.get_area_type_ids_for_profile(1)
    )
    number = _number(server, "smoking")
    meta = fingertips.get_metadata_for_indicator_as_dataframe(number)
    assert meta["Indicator ID"].tolist() == [number]
    assert meta["Polarity"].tolist() == ["RAG - Low is good"]
    multiplier, _ = fingertips.get_multiplier_and_calculation_for_indicator(number)
    assert multiplier == 100
    everything = fingertips.get_metadata_for_all_indicators()
    assert str(number) in everything
    by_profile = fingertips.get_metadata_for_profile_as_dataframe(1)
    assert number in by_profile["Indicator ID"].tolist()


def test_data_by_indicator_equals_published_values(fingertips, server, web_app):
    number = _number(server, "smoking")
    df = fingertips.get_data_by_indicator_ids(number, LA, parent_area_type_id=REGION)
    assert list(df.columns[:23]) == [
        *API_COLUMNS[:22],
        "Compared to Regions value or percentiles",
    ]
    assert set(df["Indicator ID"]) == {number}
    boroughs = df[df["Area Type"].str.startswith("Upper tier")]
    assert set(boroughs["Parent Code"]) == {"E12000007"}
    assert set(boroughs["Parent Name"]) == {"London"}
    assert {"E92000001", "E12000007"} <= set(df["Area Code"])
    # the same numbers as the published values, suppressed ones included
    published = pl.from_arrow(web_app.state.published.store().values(None, indicator_id="smoking"))
    from healthgap.publish.export import published_values

    published = pl.from_arrow(published_values(web_app.state.published.store(), None, ["smoking"]))
    shown = pl.from_pandas(
        df[["Area Code", "Sex", "Category", "Time period", "Value"]]
    ).with_columns(
        # pandas reads the decile categories "1".."10" as numbers
        pl.col("Category").cast(pl.Int64).cast(pl.String).fill_null(""),
        pl.col("Time period").cast(pl.String),
    )
    joined = shown.join(
        published.select(
            pl.col("area_code").alias("Area Code"),
            pl.col("sex").alias("Sex"),
            pl.col("category").alias("Category"),
            pl.col("period").alias("Time period"),
            "value",
        ),
        on=["Area Code", "Sex", "Category", "Time period"],
        how="left",
        nulls_equal=True,
    )
    assert joined.height == len(df)
    diff = (joined["Value"] - joined["value"]).abs().drop_nulls()
    assert diff.max() < 1e-9
    assert joined["Value"].null_count() == joined["value"].null_count()
    row = df[
        (df["Area Code"] == "E09000003") & (df["Time period"] == "2023") & df["Category"].isna()
    ]
    assert row["Value"].isna().all()
    assert row["Value note"].str.startswith("Value suppressed").all()
    assert set(df["Compared to England value or percentiles"].dropna()) <= {
        "Better",
        "Similar",
        "Worse",
        "Higher",
        "Lower",
        "Not compared",
    }


def test_data_for_profile_and_several_indicators(fingertips, server):
    numbers = [_number(server, i) for i in ("smoking", "infant_mortality")]
    df = fingertips.get_all_data_for_indicators(numbers, LA, filter_by_area_codes="E09000002")
    assert set(df["Indicator ID"]) == set(numbers)
    assert set(df["Area Code"]) == {"E09000002"}
    profile = fingertips.get_all_data_for_profile(1, area_type_id=[LA])
    assert set(numbers) <= set(profile["Indicator ID"])


def test_our_own_ids_and_bad_ids(server):
    ok = httpx.get(
        f"{server}/api/all_data/csv/by_indicator_id",
        params={"indicator_ids": "smoking", "child_area_type_id": LA},
    )
    frame = pl.read_csv(io.BytesIO(ok.content), infer_schema=False)
    assert frame.columns[:3] == ["Indicator ID", "Indicator Name", "Parent Code"]
    for params, named in (
        ({"indicator_ids": "999", "child_area_type_id": LA}, "indicator_ids"),
        ({"indicator_ids": "smoking", "child_area_type_id": 77}, "child_area_type_id"),
        ({"indicator_ids": "smoking"}, "child_area_type_id"),
    ):
        response = httpx.get(f"{server}/api/all_data/csv/by_indicator_id", params=params)
        assert 400 <= response.status_code < 500
        assert named in response.text
