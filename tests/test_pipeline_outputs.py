"""The main job's plain summary is written whole, and only over an earlier summary (#14)."""

import pyarrow as pa
import pytest

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.errors import OutputPathError
from healthgap.pipeline import write_summary
from healthgap.publish.export import published_values
from healthgap.store import Store, schema


@pytest.fixture
def store(tmp_path):
    columns = {
        "indicator_id": ["x"],
        "area_code": ["E12000007"],
        "period": ["2021"],
        "period_start": [2021],
        "period_years": [1],
        "sex": ["Persons"],
        "age": ["All ages"],
        "category_type": [""],
        "category": [""],
        "value": [2.5],
    }
    values = pa.table(columns).cast(pa.schema([schema.VALUES.field(c) for c in columns]))
    with Store.open(tmp_path / "hg.duckdb") as opened:
        meta = IndicatorMeta(id="x", name="X")
        vintage = opened.add_vintage(values, source="t", indicators=[meta])
        yield opened, vintage


def test_the_summary_replaces_its_own_file_only(store, tmp_path):
    opened, vintage = store
    published = published_values(opened, vintage)
    page = write_summary(published, opened, vintage, tmp_path / "summary.html")
    first = page.read_bytes()
    assert write_summary(published, opened, vintage, page).read_bytes() == first
    mine = tmp_path / "index.html"
    mine.write_text("<p>my page</p>")
    with pytest.raises(OutputPathError, match="is not a file healthgap wrote"):
        write_summary(published, opened, vintage, mine)
    assert mine.read_text() == "<p>my page</p>"
    with pytest.raises(OutputPathError, match="is the store"):
        write_summary(published, opened, vintage, tmp_path / "hg.duckdb")
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("hg.duckdb"))
    assert names == ["index.html", "summary.html"]
