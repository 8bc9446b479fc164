"""The dashboard as static files (HTML, JS, per-view JSON and CSV) for any static web host.

The pages are those the server renders, at their default filters, for every comparator
(``<slug>.html`` and ``<slug>.<comparator>.html``), with each page's tables as JSON
(``data/<slug>.json``) and CSV (``data/<slug>--<table>.csv``) and each indicator's published
values (``data/values-<id>.csv``). In the browser the same script applies the filters of the
URL to the tables, so a shared link opens the same view.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from healthgap.catalogue.strategy import Strategy, WorldCity
from healthgap.errors import InputError
from healthgap.publish.web import _render, _tables, _views
from healthgap.publish.web._published import Published

__all__ = ["MARKER", "write_site"]

MARKER = ".healthgap-site"  # written in every site folder: we replace only our own


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
    InputError
        When ``out`` exists and is not a healthgap site (or is a file).
    StoreError
        When the store cannot be opened or has no vintages.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise InputError(
            f"--out {str(out)!r} exists and is not a healthgap site: choose a new or empty folder"
        )
    pub = Published(store_path, strategy, world_cities)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
        try:
            pages = _write(pub, temporary, progress)
            (temporary / MARKER).write_text(
                "written by healthgap site; the folder is replaced by the next run\n",
                encoding="utf-8",
            )
            _swap(temporary, out)
        finally:
            if temporary.exists():
                shutil.rmtree(temporary)
    finally:
        pub.close()
    return [out / p.name for p in pages]


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` in place of ``out`` (an earlier site is removed only after the rename)."""
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(out, old)
        os.replace(new, out)
        shutil.rmtree(old)
    else:
        os.replace(new, out)


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
