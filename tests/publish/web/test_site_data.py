"""What the static site precomputes gives, for every state a page offers, the server's view.

The script of a static page keeps the CSV lines of the rows it shows, draws the charts of
the state from ``.charts.json`` and joins two areas' ``compare-<area>.json``; these tests do
the same in Python for every state and compare with what the server builds for that state.
(The browser tests check the script does what these tests do.)
"""

from __future__ import annotations

import itertools
import json

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthgap.publish.web import _render, _site_data, _tables, _views
from healthgap.publish.web._model import row_visible

pytestmark = pytest.mark.xdist_group("web")

AREA = "E09000001"


@pytest.fixture(scope="module")
def pub(web_app):
    return web_app.state.published


def _states(view) -> list[dict[str, str]]:
    """Every combination of the view's filter choices (and every sex, for pages without a
    sex choice that honour ``sex`` in the URL)."""
    options = {c.name: [v for v, _ in c.options] for c in view.choices if c.name in view.filters}
    for name in view.filters:
        if name not in options:  # a filter of the URL only (the profile's sex)
            options[name] = ["", "Persons", "Male", "Female"]
    names = sorted(options)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(options[n] for n in names))
    ]


def _static_csv(lines: dict, rows: list, hidden: dict, table_id: str) -> bytes:
    """What the static page's script downloads: the lines of the rows it shows."""
    table = lines["tables"][table_id]
    shown = {i for i, row in enumerate(rows) if row_visible(row, hidden)}
    kept = [line for row, line in zip(table["rows"], table["lines"], strict=True) if row in shown]
    return (table["header"] + "".join(kept)).encode("utf-8")


PAGES = [
    (slug, comparator)
    for slug in ("index", "indicator-smoking", "indicator-life_expectancy", f"area-{AREA}")
    for comparator in ("region", "england")
]
# the test store has breakdowns for London only (England's page shows none)
PAGES.append(("inequalities-life_expectancy", "region"))


@pytest.mark.parametrize(("slug", "comparator"), PAGES)
def test_downloads_of_every_state_are_the_servers(pub, slug, comparator):
    default = _views.view(pub, slug, {"comparator": comparator})
    lines = json.loads(_site_data.table_lines(default))
    states = _states(default)
    assert len(states) > 1
    differs = 0
    for state in states:
        try:
            view = _views.view(pub, slug, {**state, "comparator": comparator})
        except _views.InputError:  # a period the sex has not: the server refuses it too
            continue
        for table, page_table in zip(view.tables(), default.tables(), strict=True):
            served = _render.table_csv(view, table.id)
            # the static page has the default view's rows: the same rows, with the same
            # filter values, as the server's view of this state
            assert [r.filters for r in table.rows] == [r.filters for r in page_table.rows]
            ours = _static_csv(lines, page_table.rows, view.hidden, table.id)
            assert ours == served, (state, table.id)
            differs += served != _render.table_csv(default, table.id)
    assert differs  # some state downloads other rows than the default


@pytest.mark.parametrize("indicator", ["smoking", "life_expectancy"])
@pytest.mark.parametrize("comparator", ["region", "england"])
def test_charts_of_every_state_are_the_servers(pub, indicator, comparator):
    data = json.loads(_site_data.chart_states(pub, indicator, comparator))
    assert data["periods"]
    seen = 0
    for sex, periods in data["periods"].items():
        for period in ["latest", *periods]:
            view = _views.view(
                pub,
                f"indicator-{indicator}",
                {"comparator": comparator, "sex": sex, "period": period},
            )
            key = f"{sex}|{periods[0] if period == 'latest' else period}"
            charts = data["states"][key]
            assert [c["id"] for c in charts] == [c.id for c in view.charts()]
            for packed, chart in zip(charts, view.charts(), strict=True):
                spec = json.loads(json.dumps(data["specs"][packed["spec"]]))
                datasets = json.loads(json.dumps(packed["data"]))
                for value in datasets.values():
                    for feature in value.get("features", []) if isinstance(value, dict) else []:
                        feature["geometry"] = data["geometry"][feature["geometry"]]
                spec.update(description=packed["alt"], datasets=datasets)
                assert spec == json.loads(json.dumps(chart.spec)), (key, chart.id)
                assert (packed["title"], packed["alt"]) == (chart.title, chart.alt)
                seen += 1
    assert seen >= 3 * (len(data["states"]) - 1)
    # each boundary is written once, not once per state
    text = _site_data.chart_states(pub, indicator, comparator).decode()
    some = next(iter(data["geometry"].values()))
    assert text.count(json.dumps(some, separators=(",", ":"))) == 1


def _joined_csv(left: dict, right: dict) -> bytes:
    """What the static compare page's script downloads for two areas."""
    if not (left["rows"] and right["rows"]):
        return left["empty"].encode()
    by_key = {r["key"]: r for r in right["rows"]}
    lines = [left["header"]]
    for row in left["rows"]:
        other = by_key.get(row["key"])
        lines.append(f"{row['csv'][0]},{row['csv'][1]},{other['csv'][2] if other else ','}\n")
    keys = {r["key"] for r in left["rows"]}
    lines += [f"{r['csv'][0]},,,,{r['csv'][2]}\n" for r in right["rows"] if r["key"] not in keys]
    return "".join(lines).encode()


@pytest.mark.parametrize("comparator", ["region", "england"])
def test_two_areas_side_by_side_are_the_servers(pub, comparator):
    areas = _views.profile_areas(pub)
    files = {a: json.loads(_site_data.compare_rows(pub, a, comparator)) for a in areas}
    for a, b in itertools.product(areas, repeat=2):
        view = _views.view(pub, "compare", {"comparator": comparator, "a": a, "b": b})
        assert _joined_csv(files[a], files[b]) == _render.table_csv(view, "compare"), (a, b)
        table = view.tables()[0]
        cells = [[c.text for c in row.cells] for row in table.rows]
        by_key = {r["key"]: r for r in files[b]["rows"]}
        ours = [
            [
                r["label"],
                r["period"],
                r["cell"][0],
                by_key.get(r["key"], {}).get("cell", files[a]["missing"])[0],
            ]
            for r in files[a]["rows"]
        ]
        assert cells[: len(ours)] == ours, (a, b)


TEXT = st.text(alphabet=st.sampled_from(list('ab,"\n\r=+-@ \t1.')), max_size=8)


@given(st.lists(st.tuples(st.one_of(st.none(), TEXT), st.floats(allow_nan=False)), max_size=12))
def test_csv_lines_are_one_per_row_and_the_servers_bytes(rows):
    # quotes, separators, line breaks and formula starts: each row's line is the server's
    frame = pl.DataFrame(rows, schema={"note": pl.String, "value": pl.Float64}, orient="row")
    header, lines = _site_data._records(frame)
    assert len(lines) == frame.height
    assert (header + "".join(lines)).encode() == _tables.csv_bytes(frame)
    for i, line in enumerate(lines):
        assert (header + line).encode() == _tables.csv_bytes(frame.slice(i, 1))
