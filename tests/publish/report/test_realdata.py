"""The report of a store holding real national files (ONS, Fingertips): London's 33 only."""

import polars as pl
import pytest

from healthgap.publish.report import write_report
from healthgap.sources import IMPORTERS
from healthgap.store import Store

pytestmark = pytest.mark.realdata

FILES = (
    ("lookup", "lookups/Local_Authority_District_to_Region_(April_2019)_Lookup_in_England.csv"),
    # every UK local authority, Scottish and Welsh ones included
    ("ons-life-expectancy", "mortality/leatbirthandatage65byukla201618.xlsx"),
    # a Fingertips export with England's value and CIs
    ("fingertips", "fingertips/ansarikasim_injuries-in-children__Compare_areas.csv"),
)


@pytest.fixture(scope="module")
def real_report(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("real-report")
    with Store.open(folder / "store.duckdb") as store:
        for kind, name in FILES:
            store.load(IMPORTERS[kind](shared_data / name), label=name)
        result = write_report(store, None, folder / "site", area="E12000007")
    return result, folder / "site"


def test_national_files_give_exactly_the_33_boroughs(real_report):
    result, out = real_report
    assert len(result.vintages) == 2  # life expectancy and injuries, in one report
    profiles = sorted(p.stem for p in out.glob("borough-*.html"))
    assert len(profiles) == 33
    assert all(p.startswith("borough-e09") for p in profiles)
    rug = pl.read_csv(out / "downloads" / "overview-rug-1-1.csv", infer_schema_length=None)
    assert rug["Area code"].n_unique() == 35  # the boroughs, London and England
    index = (out / "index.html").read_text(encoding="utf-8")
    for elsewhere in ("Barnsley", "Fife", "Glasgow City", "Cardiff"):
        assert elsewhere not in index


def test_comparisons_with_england_and_headline_gaps_from_published_figures(real_report):
    _, out = real_report
    rug = pl.concat(
        [
            pl.read_csv(p, infer_schema_length=None)
            for p in sorted((out / "downloads").glob("overview-rug-*.csv"))
        ],
        how="diagonal_relaxed",
    )
    boroughs = rug.filter(pl.col("Area code").str.starts_with("E09"))
    injuries = boroughs.filter(pl.col("Indicator").str.starts_with("Hospital admissions"))
    # the Fingertips file publishes CIs and England's value: every borough with a value is
    # judged against England
    judged = injuries.drop_nulls("Value")
    assert set(judged["Compared with England"]) <= {"Better", "Similar", "Worse"}
    assert {"Better", "Worse"} <= set(judged["Compared with England"])
    # ONS life expectancy without intervals: rank and a quintile among England's LAs
    le = boroughs.filter(pl.col("Indicator").str.starts_with("Life expectancy at birth"))
    assert le.drop_nulls("Value")["Quintile"].is_not_null().all()
    assert set(le.drop_nulls("Value")["Quintile among"]) == {"England"}
    headlines = pl.read_csv(out / "downloads" / "overview-headlines.csv")
    spread = headlines.filter(
        (pl.col("Measure") == "Highest minus lowest area")
        & pl.col("Indicator").str.starts_with("Life expectancy at birth (Male)")
    )
    assert spread.height == 1
    assert spread["Key message"][0].startswith("Life expectancy at birth (Male) ranged from")


def _source_judged(out) -> pl.DataFrame:
    """Rows of the overview downloads where the source published its own judgement."""
    rug = pl.concat(
        [
            pl.read_csv(p, infer_schema_length=None)
            for p in sorted((out / "downloads").glob("overview-rug-*.csv"))
        ],
        how="diagonal_relaxed",
    )
    assert "Source's comparison with England" in rug.columns
    return rug.filter(pl.col("Source's comparison with England").is_not_null())


def test_fingertips_own_judgements_are_shown_beside_ours(real_report):
    _, out = real_report
    judged = _source_judged(out)
    boroughs = judged.filter(pl.col("Area code").str.starts_with("E09"))
    # the City of London has no value of its own (combined with Hackney): no judgement either
    assert boroughs.height == 32
    assert "E09000001" not in boroughs["Area code"].to_list()
    assert not boroughs["Source and healthgap disagree"].any()


@pytest.fixture(scope="module")
def london_report(tmp_path_factory):
    """The real London report as ``healthgap demo`` writes it: every vintage of the job's store."""
    from healthgap.london import job, report_options

    folder = tmp_path_factory.mktemp("london-report")
    result = job.run(folder)
    with Store.open(result.store_path, read_only=True) as store:
        write_report(store, None, folder / "site", **report_options())
    return folder / "site"


def test_the_london_report_shows_fingertips_judgements_and_counts_agreement(london_report):
    # OHID's Fingertips export of hospital admissions for injuries in children (90284,
    # 2023/24) publishes its own comparison of each borough with England: our CI-overlap
    # judgement agrees for all 32 boroughs it judges (20 better, 9 similar, 3 worse); the
    # City of London's value is published combined with Hackney's, so neither is shown
    judged = _source_judged(london_report)
    boroughs = judged.filter(pl.col("Area code").str.starts_with("E09"))
    assert boroughs["Indicator"].unique().to_list() == [
        "Hospital admissions caused by injuries in children (aged 0 to 14 years), <15 yrs"
    ]
    pairs = boroughs.group_by("Compared with England", "Source's comparison with England").len()
    counts = {(a, b): n for a, b, n in pairs.iter_rows()}
    assert counts == {
        ("Better", "Better"): 20,
        ("Similar", "Similar"): 9,
        ("Worse", "Worse"): 3,
    }
    assert not boroughs["Source and healthgap disagree"].any()
    overview = (london_report / "index.html").read_text(encoding="utf-8")
    assert (
        "The source published its own comparison with England for 33 of these values; of the "
        "32 judged by both, ours agrees for 32 and differs for 0."
    ) in overview
