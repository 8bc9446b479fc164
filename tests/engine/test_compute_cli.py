"""``healthgap compute``: one vintage, exit codes, errors on one line."""

from __future__ import annotations

from typer.testing import CliRunner

from healthgap.cli import app
from healthgap.store import Store

from .conftest import CATALOGUE


def test_compute_writes_a_vintage_and_reruns_to_the_same_id(data_dir, tmp_path):
    store = tmp_path / "hg.duckdb"
    args = [
        "compute",
        str(CATALOGUE),
        "--data",
        str(data_dir),
        "--store",
        str(store),
        "--year",
        "2021",
        "--quiet",
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[0].startswith("computed 15 indicators, ")
    vintage = first.stdout.splitlines()[-1].removeprefix("vintage ")
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == f"vintage {vintage}"
    with Store.open(store) as opened:
        assert opened.vintages()["id"].to_pylist() == [vintage]
        assert set(opened.values(vintage)["period"].to_pylist()) == {"2021", "2019 - 21", "2021/22"}


def test_bad_catalogue_is_one_error_line(data_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: X\nmethod: median\nnumerator: {table: deaths}\n")
    result = CliRunner().invoke(
        app, ["compute", str(bad), "--data", str(data_dir), "--store", str(tmp_path / "hg.duckdb")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: catalogue file {bad}: indicator 'x': field ")
    assert "method must be one of" in result.stderr
    assert "Traceback" not in result.output
