"""Published values are computed once per indicator while the store is open."""

import pyarrow as pa
import pyarrow.compute as pc

from healthgap.catalogue.metadata import DisclosureRule, IndicatorMeta
from healthgap.publish import _published
from healthgap.publish.export import published_values
from healthgap.store import Store


def _values(indicator: str, counts: list[float]) -> pa.Table:
    n = len(counts)
    return pa.table(
        {
            "indicator_id": [indicator] * n,
            "area_code": [f"E0900000{i + 1}" for i in range(n)],
            "period": ["2021"] * n,
            "period_start": pa.array([2021] * n, pa.int32()),
            "period_years": pa.array([1] * n, pa.int16()),
            "sex": ["Persons"] * n,
            "age": ["All ages"] * n,
            "category_type": [""] * n,
            "category": [""] * n,
            "value": [c / 10 for c in counts],
            "count": counts,
        }
    )


def test_each_indicator_is_disclosed_once_and_served_from_then_on(tmp_path, monkeypatch):
    calls = []
    disclosed = _published._disclosed

    def counting(store, vintage_id, indicator_ids):
        calls.append(list(indicator_ids))
        return disclosed(store, vintage_id, indicator_ids)

    monkeypatch.setattr(_published, "_disclosed", counting)
    with Store.open(tmp_path / "s.duckdb") as store:
        metas = [IndicatorMeta(id="b", name="b", disclosure=DisclosureRule(suppress_below=10))]
        table = pa.concat_tables([_values("a", [3.0, 40.0]), _values("b", [7.0, 40.0])])
        vintage = store.add_vintage(table, source="test", indicators=metas)
        first = published_values(store, vintage, ["b"])
        whole = published_values(store, vintage)
        again = published_values(store, vintage)
        assert calls == [["b"], ["a"]]
        assert whole.equals(again)
        assert whole.filter(pc.equal(whole["indicator_id"], "b")).equals(first)
        assert whole["count"].to_pylist() == [None, 40.0, None, 40.0]
    with Store.open(tmp_path / "s.duckdb", read_only=True) as reopened:
        assert published_values(reopened, vintage).equals(whole)
        assert calls[-1] == ["a", "b"]  # a store opened again starts afresh
