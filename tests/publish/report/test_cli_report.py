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
