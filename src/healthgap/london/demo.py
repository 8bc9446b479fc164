"""``healthgap demo``: the real London job and the synthetic London, each with its report.

The two halves share nothing: each has its own folder, store and report. Laying out the two
reports' PDFs (WeasyPrint, pure Python) takes most of the demo's time, so once the real
London job has computed its store (a few seconds, and anything wrong with its snapshot or
folder stops the demo before the synthetic half starts), its report is written by a second
process while this one runs the synthetic half: on two cores the demo takes about as long
as its longer half, not as both together. Each half writes exactly what it wrote when they
ran one after the other (same vintages, same bytes); the second process reports its
progress back through a queue.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from healthgap._warnings import one_line_warnings
from healthgap.london import job
from healthgap.london.synthetic import pipeline

__all__ = ["DemoResult", "Published", "publish", "run"]

#: ``progress(half, stage, done, total)``; ``half`` is ``"London: "`` or ``"synthetic: "``.
Progress = Callable[[str, str, int, int], None]
REAL, SYNTHETIC = "London: ", "synthetic: "


@dataclass(frozen=True)
class Published:
    """What one half published: its CSV export and its report's pages."""

    exports: Path
    report: tuple[Path, ...]


@dataclass(frozen=True)
class DemoResult:
    """Both halves: the jobs' results and what each published (synthetic: None if not run)."""

    real: job.LondonResult
    real_files: Published
    fake: pipeline.PipelineResult | None = None
    fake_files: Published | None = None


def publish(
    store_path: Path,
    vintage: str,
    folder: Path,
    *,
    pdf: bool,
    every_vintage: bool,
    progress: Callable[[str, int, int], None],
    sources: dict[str, str] | None = None,
) -> Published:
    """Write a half's CSV export of ``vintage`` and its report into ``folder``.

    The real London report draws on every vintage of its store (``every_vintage``), and
    each of its ``sources`` (key -> vintage id) is exported as
    ``exports/sources/<key>.csv``; the synthetic report draws on its single vintage.
    """
    from healthgap import london
    from healthgap.publish.export import export
    from healthgap.publish.report import write_report
    from healthgap.store import Store

    with Store.open(store_path) as store:
        sources = sources or {}
        progress("exports", 0, 1 + len(sources))
        csv_path = export(store, vintage, folder / "exports" / "his_values.csv", "csv")
        # each source's figures as its own vintage publishes them
        for done, (key, source) in enumerate(sorted(sources.items()), start=1):
            export(store, source, folder / "exports" / "sources" / f"{key}.csv", "csv")
            progress("exports", done, 1 + len(sources))
        progress("exports", 1 + len(sources), 1 + len(sources))
        report = write_report(
            store,
            None if every_vintage else vintage,
            folder / "report",
            pdf=pdf,
            progress=progress,
            **london.report_options(),
        )
    pages = (report.index_html, *([report.pdf_path] if report.pdf_path else []))
    return Published(csv_path, pages)


_QUEUE: Any = None  # the second process's queue back to the first (set by _listen_to)


def _listen_to(queue: Any) -> None:
    global _QUEUE
    _QUEUE = queue
    one_line_warnings()  # the second process tells the user as the first does


def _publish_elsewhere(real: job.LondonResult, folder: Path, pdf: bool) -> Published:
    """Publish the real London half in the second process, its progress sent back."""
    return publish(
        real.store_path,
        real.vintage,
        folder,
        pdf=pdf,
        every_vintage=True,
        progress=lambda *event: _QUEUE.put(event),
        sources=real.source_vintages,
    )


def _relay(queue: Any, progress: Progress) -> None:
    """Pass the second process's progress on until told to stop (``None``)."""
    while (event := queue.get()) is not None:
        progress(REAL, *event)


def run(
    out: Path,
    *,
    seed: int,
    years: Sequence[int],
    pdf: bool = True,
    synthetic: bool = True,
    snapshot: Path = job.SNAPSHOT_DIR,
    ward_lookup: Path | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Run the real London job and (``synthetic``) the synthetic London, and publish both.

    Parameters
    ----------
    out : Path
        Folder of both halves: ``london/`` and ``synthetic/`` (data, store, exports, report);
        the caller checks first that they may be written (:func:`pipeline.check_out`,
        :func:`healthgap.publish._output_paths.check_replaceable_folder`).
    seed, years
        The synthetic London's seed and calendar years.
    pdf : bool, default True
        Also write each report as PDF.
    synthetic : bool, default True
        Also run the synthetic half (in this process, the real half's report in a second
        one).
    snapshot : Path
        The real London snapshot folder.
    ward_lookup : Path, optional
        An ONS LSOA to ward lookup for the ward life-expectancy gap (:func:`job.run`).
    progress : callable, optional
        ``progress(half, stage, done, total)``, called from this process (a thread of it
        for the real half when the halves run side by side).

    Returns
    -------
    DemoResult
        What each half computed and published.

    Notes
    -----
    The second process is started by ``spawn`` (nothing of this process's DuckDB
    connections or threads is copied): a script calling this function must guard its entry
    point with ``if __name__ == "__main__":``, as every program using
    :mod:`multiprocessing` must; ``healthgap demo`` does.
    """
    report = progress or (lambda _half, _stage, _done, _total: None)

    def step(half: str) -> Callable[[str, int, int], None]:
        return lambda stage, done, total: report(half, stage, done, total)

    real = job.run(out / "london", snapshot=snapshot, ward_lookup=ward_lookup, progress=step(REAL))
    if not synthetic:
        files = publish(
            real.store_path,
            real.vintage,
            out / "london",
            pdf=pdf,
            every_vintage=True,
            progress=step(REAL),
            sources=real.source_vintages,
        )
        return DemoResult(real, files)
    context = multiprocessing.get_context("spawn")  # no forked DuckDB or thread state
    queue = context.Queue()
    relay = threading.Thread(target=_relay, args=(queue, report), daemon=True)
    relay.start()
    try:
        with ProcessPoolExecutor(
            1, mp_context=context, initializer=_listen_to, initargs=(queue,)
        ) as other:
            real_half = other.submit(_publish_elsewhere, real, out / "london", pdf)
            fake = pipeline.run(out / "synthetic", seed=seed, years=years, progress=step(SYNTHETIC))
            fake_files = publish(
                fake.store_path,
                fake.vintage,
                out / "synthetic",
                pdf=pdf,
                every_vintage=False,
                progress=step(SYNTHETIC),
            )
            real_files = real_half.result()
    finally:
        queue.put(None)  # after the second process has ended: its progress is all in
        relay.join()
        queue.close()
    return DemoResult(real, real_files, fake, fake_files)
