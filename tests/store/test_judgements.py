"""A source's own judgements are kept with its vintage (issue #15), ids of others unchanged."""

import pyarrow as pa
import pytest

import healthgap.store.store as store_module
from healthgap.errors import InputError
from healthgap.sources import Imported
from healthgap.store import schema

KEYS = {
    "indicator_id": ["ind1"] * 3,
    "area_code": ["E01000001", "E01000002", "E09000001"],
    "period": ["2015"] * 3,
    "sex": ["Persons"] * 3,
    "age": ["All ages"] * 3,
    "category_type": [""] * 3,
    "category": [""] * 3,
}


def _judgements(**columns) -> pa.Table:
    return pa.table({**KEYS, **columns})


JUDGED = _judgements(
    compared_to_england=["Better 95%", "Similar", "Worse 95%"],
    recent_trend=["Decreasing and getting better", None, ""],
)


def test_judgements_are_kept_with_their_vintage(store, make_values):
    vintage = store.add_vintage(make_values(3), source="fingertips", judgements=JUDGED)
    kept = store.judgements(vintage)
    assert kept.schema == schema.JUDGEMENTS
    assert kept["compared_to_england"].to_pylist() == ["Better 95%", "Similar", "Worse 95%"]
    # an empty text is no judgement
    assert kept["recent_trend"].to_pylist() == ["Decreasing and getting better", None, None]
    assert kept["compared_to_goal"].null_count == 3
    assert store.judgements(vintage, indicator_id="other").num_rows == 0
    other = store.add_vintage(make_values(2), source="engine")
    assert store.judgements(other).num_rows == 0


def test_only_rows_that_judge_something_are_kept(store, make_values):
    partly = _judgements(compared_to_england=["Better 95%", "", None])
    vintage = store.add_vintage(make_values(3), source="fingertips", judgements=partly)
    assert store.judgements(vintage)["area_code"].to_pylist() == ["E01000001"]


@pytest.mark.parametrize(
    "judgements",
    [None, _judgements(compared_to_england=["", None, " "]), schema.JUDGEMENTS.empty_table()],
    ids=["none", "all-blank", "empty"],
)
def test_a_vintage_without_judgements_keeps_its_id(judgements, store, make_values, monkeypatch):
    # the id healthgap gave these values before judgements were kept (at d44c275, with the
    # version set to "pinned"; the content id depends on values, parameters, inputs, version)
    monkeypatch.setattr(store_module, "__version__", "pinned")
    values = make_values(6, count=[5.0, 6.0, 9.0, 20.0, 30.0, 40.0])
    plain = store.add_vintage(values, source="healthgap.engine", judgements=judgements)
    assert plain == "7cef7216d0f4a013"
    assert store.add_vintage(values, source="healthgap.engine") == plain
    assert len(store.vintages()) == 1


def test_judgements_are_part_of_the_content(store, make_values):
    plain = store.add_vintage(make_values(3), source="fingertips")
    judged = store.add_vintage(make_values(3), source="fingertips", judgements=JUDGED)
    assert judged != plain
    again = store.add_vintage(make_values(3), source="fingertips", judgements=JUDGED)
    assert again == judged
    other = JUDGED.set_column(
        JUDGED.schema.get_field_index("compared_to_england"),
        "compared_to_england",
        pa.array(["Worse 95%", "Similar", "Worse 95%"]),
    )
    revised = store.add_vintage(make_values(3), source="fingertips", judgements=other)
    assert revised not in (plain, judged)
    assert store.judgements(judged)["compared_to_england"][0].as_py() == "Better 95%"
    assert store.judgements(revised)["compared_to_england"][0].as_py() == "Worse 95%"


def test_a_judgement_of_no_value_is_refused_and_nothing_written(store, make_values):
    stray = _judgements(compared_to_england=["Better 95%", "Similar", "Worse 95%"])
    with pytest.raises(InputError, match=r"judgements: 1 judge no value of the vintage") as err:
        store.add_vintage(make_values(2), source="fingertips", judgements=stray)
    assert "E09000001" in str(err.value)
    assert store.vintages().num_rows == 0
    assert store._con.execute("SELECT count(*) FROM source_judgements").fetchall() == [(0,)]


def test_two_judgements_of_one_value_are_refused(store, make_values):
    twice = pa.concat_tables([JUDGED, JUDGED])
    with pytest.raises(InputError, match=r"judgements: duplicate keys .*E01000001"):
        store.add_vintage(make_values(3), source="fingertips", judgements=twice)


def test_wrong_judgement_columns_are_refused(store, make_values):
    with pytest.raises(InputError, match=r"judgements: unknown columns \['verdict'\]"):
        store.add_vintage(
            make_values(3), source="fingertips", judgements=_judgements(verdict=["x"] * 3)
        )


def test_load_keeps_an_importers_judgements(store, make_values):
    imported = Imported(source="fingertips", values=make_values(3), judgements=JUDGED)
    vintage = store.load(imported)
    assert store.judgements(vintage)["compared_to_england"].to_pylist() == [
        "Better 95%",
        "Similar",
        "Worse 95%",
    ]


@pytest.mark.realdata
def test_a_fingertips_export_keeps_ohids_own_judgements(shared_data):
    from healthgap.sources import read_fingertips_csv
    from healthgap.store import Store

    # OHID's export of indicator 90284 (injuries in children, 2023/24): 154 areas, each with
    # its own judgement; Westminster: "No significant change", "Worse" than England
    path = shared_data / "fingertips" / "ansarikasim_injuries-in-children__Compare_areas.csv"
    with Store.open(":memory:") as store:
        vintage = store.load(read_fingertips_csv(path))
        kept = store.judgements(vintage).to_pylist()
        values = store.values(vintage)
    assert len(kept) == values.num_rows == 154
    westminster = next(r for r in kept if r["area_code"] == "E09000033")
    assert westminster["recent_trend"] == "No significant change"
    assert westminster["compared_to_england"] == "Worse"
    assert westminster["compared_to_parent"] == "Worse"
    assert westminster["compared_to_goal"] is None
