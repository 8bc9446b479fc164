"""healthgap serve and healthgap site on the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from healthgap.cli import app

runner = CliRunner()


def test_site_writes_the_static_tool(tmp_path):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("f", Path(__file__).with_name("_fixture.py"))
    fixture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixture)
    store = fixture.report_store.make_store(tmp_path / "tiny.duckdb", **fixture.report_store.TINY)[
        0
    ]
    result = runner.invoke(app, ["site", "--store", store, "--out", str(tmp_path / "s"), "-q"])
    assert result.exit_code == 0, result.output
    assert f"html {tmp_path / 's' / 'index.html'}" in result.output
    assert (tmp_path / "s" / "indicator-infant_mortality.html").exists()


def test_errors_are_one_line(tmp_path):
    missing = tmp_path / "absent.duckdb"
    for command in (
        ["serve", "--store", str(missing)],
        ["site", "--store", str(missing), "--out", str(tmp_path / "o")],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert result.output.strip().startswith("Error: store")
        assert "Traceback" not in result.output
        assert not missing.exists()  # read-only: nothing created


def test_serve_help_has_an_example():
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "healthgap serve --store" in result.output


def test_serve_runs_uvicorn_with_the_cache_and_a_long_keep_alive(web_store, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: calls.append((target, options)))
    result = runner.invoke(app, ["serve", "--store", web_store["path"], "--cache-mb", "2"])
    assert result.exit_code == 0, result.output
    ((web, options),) = calls
    assert web.state.cache.max_bytes == 2 * 2**20
    # longer than a pooled client keeps an idle connection (httpx and requests: 5 s)
    assert options["timeout_keep_alive"] > 5
    web.state.published.close()
