"""The demo's two halves side by side: the real London report written by a second process."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from healthgap.errors import InputError
from healthgap.london import demo


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    seen: list[tuple[str, str, int, int]] = []
    done = demo.run(
        out, seed=7, years=(2019,), pdf=False, progress=lambda *event: seen.append(event)
    )
    return out, done, seen


def test_both_halves_are_published(side_by_side):
    out, done, _ = side_by_side
    assert done.real_files.exports == out / "london" / "exports" / "his_values.csv"
    assert done.real_files.report == (out / "london" / "report" / "index.html",)
    assert done.fake is not None
    assert done.fake_files is not None
    assert done.fake_files.report == (out / "synthetic" / "report" / "index.html",)
    assert all(p.is_file() for p in (*done.real_files.report, *done.fake_files.report))


def test_the_second_processs_progress_reaches_the_caller(side_by_side):
    _, done, seen = side_by_side
    real = [(stage, n, total) for half, stage, n, total in seen if half == demo.REAL]
    # the job's stages (this process) and the report's (the second one), to the last page
    assert any(stage == "writing pages" and n == total for stage, n, total in real)
    exports = 1 + len(done.real.source_vintages)  # the gaps and each source's vintage
    assert ("exports", exports, exports) in real
    for key in done.real.source_vintages:
        assert (done.real_files.exports.parent / "sources" / f"{key}.csv").is_file(), key
    fake = {stage for half, stage, *_ in seen if half == demo.SYNTHETIC}
    assert "writing pages" in fake


def test_the_real_report_is_the_one_written_alone(side_by_side, tmp_path):
    out, _, _ = side_by_side
    alone = demo.run(tmp_path, seed=7, years=(2019,), pdf=False, synthetic=False)
    assert alone.fake is None
    assert _hashes(tmp_path / "london" / "report") == _hashes(out / "london" / "report")
    assert _hashes(tmp_path / "london" / "exports") == _hashes(out / "london" / "exports")


def test_a_failure_in_the_second_process_is_the_same_one_line_error(tmp_path, monkeypatch):
    """The real report's folder holds a user's file: the second process refuses to write it.

    The synthetic half (this process) is replaced by a stand-in to keep the test short; the
    second process imports healthgap afresh and runs the real report writer.
    """
    mine = tmp_path / "london" / "report"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("a user's file", encoding="utf-8")
    stand_in = SimpleNamespace(store_path=tmp_path / "none.duckdb", vintage="none")
    monkeypatch.setattr(demo.pipeline, "run", lambda *_, **__: stand_in)
    monkeypatch.setattr(demo, "publish", lambda *_, **__: demo.Published(tmp_path, ()))
    with pytest.raises(InputError, match=r"holds .*notes\.txt.*which healthgap did not write"):
        demo.run(tmp_path, seed=7, years=(2019,), pdf=False)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "a user's file"
