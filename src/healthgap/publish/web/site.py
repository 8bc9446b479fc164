"""The dashboard as static files (HTML, JS, per-view JSON and CSV) for any static web host.

The pages are those the server renders, at their default filters, for every comparator
(``<page>.html`` with ``<page> = <slug>`` or ``<slug>.<comparator>``), each with its tables
as JSON (``data/<page>.json``) and CSV (``data/<page>--<table>.csv``), and each indicator's
published values (``data/values-<id>.csv``). In the browser the same script applies the
filters of the URL, so a shared link opens the same view, and reads what other states need
from the files :mod:`~healthgap.publish.web._site_data` writes beside them
(``data/<page>.lines.json``, ``data/<page>.charts.json``, ``data/compare-<area>.json``):
charts, rows and downloads follow the filters as on the server.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from healthgap.catalogue.strategy import Strategy, WorldCity
from healthgap.publish._output_paths import new_folder
from healthgap.publish.web import _render, _site_data, _tables, _views
from healthgap.publish.web._model import View
from healthgap.publish.web._published import Published

__all__ = ["write_site"]


def write_site(
    store_path: str | Path,
    out: str | Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    strategy: Strategy | None = None,
    world_cities: Sequence[WorldCity] = (),
) -> list[Path]:
    """Write the static dashboard of a store into ``out``.

    Parameters
    ----------
    store_path : str or Path
        A healthgap store, opened read-only.
    out : str or Path
        The site folder: created, or replaced when it holds an earlier healthgap site (a
        folder with other files is refused). Written beside it and renamed at the end, so a
        failure leaves the previous site as it was.
    progress : callable, optional
        Called with (pages done, pages in all).
    strategy, world_cities : optional
        As for :func:`~healthgap.publish.web.create_app`.

    Returns
    -------
    list of Path
        The HTML pages written.

    Raises
    ------
    OutputPathError
        When ``out`` is a file, the store or holds it, or holds files healthgap did not write.
    StoreError
        When the store cannot be opened or has no vintages.
    """
    pub = Published(store_path, strategy, world_cities)
    try:
        # the same rules as every output folder: built beside, swapped in only over nothing,
        # an empty folder or an earlier healthgap output; never the store or a folder of it
        with new_folder(out, store=store_path, what="site") as work:
            pages = _write(pub, work, progress)
    finally:
        pub.close()
    return [Path(out) / p.name for p in pages]


def _write(pub: Published, folder: Path, progress: Callable[[int, int], None] | None) -> list[Path]:
    (folder / "data").mkdir()
    (folder / "static").mkdir()
    for name, path in _render.STATIC_FILES.items():
        shutil.copyfile(path, folder / "static" / name)
    default = _views.default_comparator(pub)
    slugs = _views.slugs(pub)
    written = []
    for done, slug in enumerate(slugs, start=1):
        for comparator in pub.comparators:
            view = _views.view(pub, slug, {"comparator": comparator})
            name = slug + ("" if comparator == default else f".{comparator}")
            page = folder / f"{name}.html"
            page.write_text(_render.html(pub, view, "static", comparator, {}), encoding="utf-8")
            written.append(page)
            _write_data(pub, folder / "data", name, view, comparator)
        if progress is not None:
            progress(done, len(slugs))
    for comparator in pub.comparators:
        suffix = "" if comparator == default else f".{comparator}"
        for code in _views.profile_areas(pub):
            path = folder / "data" / f"compare-{code}{suffix}.json"
            path.write_bytes(_site_data.compare_rows(pub, code, comparator))
    for indicator_id in pub.indicators:
        values = _tables.csv_bytes(pub.values(indicator_id))
        (folder / "data" / f"values-{indicator_id}.csv").write_bytes(values)
    return written


def _write_data(pub: Published, data: Path, name: str, view: View, comparator: str) -> None:
    """Write a page's JSON and CSVs at its defaults, and what its script needs for others."""
    (data / f"{name}.json").write_bytes(_render.view_json(pub, view))
    for table in view.tables():
        (data / f"{name}--{table.id}.csv").write_bytes(_render.table_csv(view, table.id))
    if view.filters and view.tables():
        (data / f"{name}.lines.json").write_bytes(_site_data.table_lines(view))
    if view.chart_filters:  # an indicator's page: its map, bars and trend
        key = view.slug.removeprefix("indicator-")
        (data / f"{name}.charts.json").write_bytes(_site_data.chart_states(pub, key, comparator))
