"""The dashboard as static files (HTML, JS, per-view JSON and CSV) for any static web host.

The pages are those the server renders, at their default filters, for every comparator
(``<slug>.html`` and ``<slug>.<comparator>.html``), with each page's tables as JSON
(``data/<slug>.json``) and CSV (``data/<slug>--<table>.csv``) and each indicator's published
values (``data/values-<id>.csv``). In the browser the same script applies the filters of the
URL to the tables, so a shared link opens the same view.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from healthgap.catalogue.strategy import Strategy, WorldCity
from healthgap.publish._output_paths import new_folder
from healthgap.publish.web import _render, _tables, _views
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
            suffix = "" if comparator == default else f".{comparator}"
            page = folder / f"{slug}{suffix}.html"
            page.write_text(_render.html(pub, view, "static", comparator, {}), encoding="utf-8")
            written.append(page)
            if comparator == default:
                (folder / "data" / f"{slug}.json").write_bytes(_render.view_json(pub, view))
                for table in view.tables():
                    path = folder / "data" / f"{slug}--{table.id}.csv"
                    path.write_bytes(_render.table_csv(view, table.id))
        if progress is not None:
            progress(done, len(slugs))
    for indicator_id in pub.indicators:
        values = _tables.csv_bytes(pub.values(indicator_id))
        (folder / "data" / f"values-{indicator_id}.csv").write_bytes(values)
    return written
