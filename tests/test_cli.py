from typer.testing import CliRunner

from healthgap import __version__
from healthgap.cli import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"healthgap {__version__}"


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "methods" in result.stdout


def test_methods_lists_the_methods_with_their_summaries():
    # issue #17 item 9: the constant ESP2013 is not a method
    result = runner.invoke(app, ["methods"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert "ESP2013" not in names
    assert {"dsr", "proportion", "sii", "funnel_limits", "life_expectancy"} <= set(names)
    dsr_line = next(line for line in result.stdout.splitlines() if line.startswith("dsr "))
    assert "Directly standardised rates with Dobson's confidence limits" in dsr_line
