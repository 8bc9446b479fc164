"""The snapshot's series as the Strategy's indicators: ids unique, HIS metadata kept."""

from __future__ import annotations

from healthgap.london.series import DERIVED, SERIES, metas
from healthgap.london.synthetic.pipeline import load_his_catalogue


def test_every_indicator_id_is_unique():
    ids = [s.id for s in SERIES] + list(DERIVED)
    assert len(ids) == len(set(ids))
    assert len({(s.source_id, s.sex) for s in SERIES}) == len(SERIES)


def test_series_under_a_his_id_keep_the_catalogue_unit_and_polarity():
    catalogue = {m.id: m for m in load_his_catalogue().metas()}
    shared = [s for s in SERIES if s.id in catalogue]
    assert {s.id for s in shared} == {
        "life_expectancy",
        "hle_male",
        "hle_female",
        "employment",
        "smoking",
    }
    for s in shared:
        assert (s.unit, s.polarity) == (catalogue[s.id].unit, catalogue[s.id].polarity), s.id


def test_metadata_names_the_source_of_each_indicator():
    found = metas({"employment": {"publisher": "ONS", "url": "https://www.ons.gov.uk/x"}})
    by_id = {m.id: m for m in found}
    assert set(by_id) == {s.id for s in SERIES} | set(DERIVED)
    assert by_id["employment"].data_source == "ONS; https://www.ons.gov.uk/x"
    assert by_id["hle_female"].sex == ("Female",)
    assert by_id["le_sii"].method == "sii"
    assert by_id["poor_health"].ci_method == "Wilson"
