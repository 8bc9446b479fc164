import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthgap.publish.report._comparisons import compare_latest

REGION, NATION = "R1", "N1"


def _latest(values, lower=None, upper=None, polarity="high_is_good", published=None):
    codes = [f"A{n}" for n in range(len(values))]
    frame = pl.DataFrame(
        {
            "indicator_id": "x",
            "sex": "Persons",
            "age": "All ages",
            "period": "2023",
            "area_code": [*codes, REGION, NATION],
            "value": [*values, 50.0, 48.0],
            "lower95_0cl": [*(lower or [None] * len(values)), 49.0, 47.5],
            "upper95_0cl": [*(upper or [None] * len(values)), 51.0, 48.5],
            "polarity": polarity,
        },
        schema_overrides={"lower95_0cl": pl.Float64, "upper95_0cl": pl.Float64},
    )
    if published is not None:
        frame = frame.with_columns(compared_to_england=pl.Series([*published, None, None]))
    return frame, codes


def test_judged_against_region_and_nation_by_interval_overlap():
    # A0's interval (51.5, 53) lies above both; A1's (47, 49.5) holds the nation's 48 but
    # not the region's 50; A2 has no interval
    latest, codes = _latest([52.0, 48.2, 45.0], lower=[51.5, 47.0, None], upper=[53, 49.5, None])
    out = compare_latest(latest, REGION, NATION, codes, latest.head(0))
    by = {r["area_code"]: r for r in out.iter_rows(named=True)}
    assert (by["A0"]["comparison"], by["A0"]["national_comparison"]) == ("Better", "Better")
    assert (by["A1"]["comparison"], by["A1"]["national_comparison"]) == ("Worse", "Similar")
    assert by["A2"]["comparison"] == "Not compared"
    assert by["A2"]["reason"] == "confidence limits missing"
    # the region against the nation: 50 (49 to 51) is better than England's 48
    assert by[REGION]["national_comparison"] == "Better"
    assert by[REGION]["comparison"] is None
    assert by[NATION]["national_comparison"] is None
    # ranks among the three areas only, 1 = best (high is good)
    assert [by[c]["rank"] for c in codes] == [1, 2, 3]
    assert by[REGION]["rank"] is None
    # fewer than 5 areas and no national peers: no quintiles
    assert by["A0"]["quintile"] is None


def test_a_sources_own_judgement_is_kept_and_disagreement_flagged():
    latest, codes = _latest(
        [52.0, 48.2, 45.0],
        lower=[51.5, 47.0, None],
        upper=[53, 49.5, None],
        published=["Better 95%", "Worse 95%", "Not compared"],
    )
    out = compare_latest(latest, REGION, NATION, codes, latest.head(0))
    by = {r["area_code"]: r for r in out.iter_rows(named=True)}
    assert by["A0"]["published_comparison"] == "Better 95%"
    assert not by["A0"]["disagreement"]
    assert by["A1"]["disagreement"]  # Fingertips: worse; ours: similar
    assert not by["A2"]["disagreement"]  # neither judged


def test_quintiles_among_national_peers_when_five_have_values():
    latest, codes = _latest([10.0, 20.0, 30.0], polarity="low_is_good")
    peers = pl.DataFrame(
        {
            "indicator_id": "x",
            "sex": "Persons",
            "age": "All ages",
            "period": "2023",
            "category_type": "",
            "area_code": [*codes, "P1", "P2", "P3", "P4", "P5", "P6", "P7"],
            "value": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0],
        }
    )
    out = compare_latest(latest, REGION, NATION, codes, peers)
    by = {r["area_code"]: r for r in out.iter_rows(named=True)}
    # PERCENTILE.INC bounds of 10..100: 28, 46, 64, 82; low is good
    assert [by[c]["quintile"] for c in codes] == [1, 1, 2]
    assert by["A0"]["quintile_label"] == "Best quintile"
    assert {by[c]["quintile_among"] for c in codes} == {"nation"}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=12),
    st.sampled_from(["high_is_good", "low_is_good", "no_judgement"]),
)
def test_ranks_follow_the_values_and_polarity(values, polarity):
    latest, codes = _latest(values, polarity=polarity)
    out = compare_latest(latest, REGION, NATION, codes, latest.head(0)).filter(
        pl.col("area_code").is_in(codes)
    )
    ranks = out["rank"].to_list()
    assert min(ranks) == 1
    assert max(ranks) <= len(values)
    assert out["n_ranked"].to_list() == [len(values)] * len(values)
    ordered = out.sort("rank")["value"].to_list()
    low_first = polarity == "low_is_good"
    assert ordered == pytest.approx(sorted(ordered, reverse=not low_first))
    # no interval: nothing judged, ever
    assert set(out["comparison"]) == {"Not compared"}


def test_profile_table_shows_a_disagreement_with_the_source():
    from types import SimpleNamespace

    from healthgap.publish.report._profile import profile_table

    latest, codes = _latest(
        [52.0, 48.2], lower=[51.5, 47.0], upper=[53, 49.5], published=["Better", "Worse"]
    )
    judged = compare_latest(latest, REGION, NATION, codes, latest.head(0)).filter(
        pl.col("area_code").is_in(codes)
    )
    rows = judged.with_columns(
        label=pl.lit("x"), quintile_scope=pl.lit("N"), trend=pl.lit(None, pl.String)
    )
    data = SimpleNamespace(
        region_name="Region",
        national_name="Nation",
        national=NATION,
        region=REGION,
        names={},
        vintages=[],
    )
    table = profile_table(data, "t", "A", rows)
    vs_nation = [row[4][0] for row in table.rows]
    assert vs_nation == ["● Better", "■ Similar (source: Worse)"]
    assert table.frame["Source and healthgap disagree"].to_list() == [False, True]
