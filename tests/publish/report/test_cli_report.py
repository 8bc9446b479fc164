from typer.testing import CliRunner

from healthgap.cli import app

runner = CliRunner()


def test_report_command_writes_the_site(tiny_store, tmp_path):
    path, vintage = tiny_store
    out = tmp_path / "site"
    result = runner.invoke(
        app, ["report", "--vintage", vintage[:8], "--out", str(out), "--store", path, "--quiet"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("wrote ")
    assert lines[0].endswith(f"for vintage {vintage} (synthetic data)")
    assert lines[1] == f"html {out / 'index.html'}"
    assert (out / "index.html").is_file()
    assert not (out / "report.pdf").exists()


def test_report_command_errors_are_one_line(tiny_store, tmp_path):
    path, _ = tiny_store
    result = runner.invoke(
        app, ["report", "--vintage", "ffffffff", "--out", str(tmp_path / "x"), "--store", path]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: vintage 'ffffffff' not found")
    assert "Traceback" not in result.output
    missing = runner.invoke(
        app, ["report", "--out", str(tmp_path / "y"), "--store", str(tmp_path / "none.duckdb")]
    )
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr
    assert not (tmp_path / "none.duckdb").exists()
    usage = runner.invoke(app, ["report", "--store", path])
    assert usage.exit_code == 2


def test_report_command_takes_an_area_and_several_vintages(tmp_path):
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "report_national", Path(__file__).with_name("_national.py")
    )
    national = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(national)
    path, ids = national.make_national_store(tmp_path / "uk.duckdb")
    out = tmp_path / "site"
    args = ["report", "--area", "E12000007", "--out", str(out), "--store", path, "--quiet"]
    named = [*args, "--vintage", ids["le"][:8], "--vintage", ids["injuries"][:8]]
    result = runner.invoke(app, named)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("downloads for 2 vintages")
    recorded = json.loads((out / "vintages.json").read_text(encoding="utf-8"))
    assert [v["id"] for v in recorded["vintages"]] == [ids["le"], ids["injuries"]]
    assert recorded["area"] == "E12000007"
    several = runner.invoke(app, ["report", "--out", str(tmp_path / "x"), "--store", path])
    assert several.exit_code == 1
    assert "name the report's area, e.g. --area E12000" in several.stderr
    assert "Traceback" not in several.output
