"""`healthgap import`: kinds in any case, tidy tables from the command line, one-line errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from healthgap.cli import app
from healthgap.store import Store

runner = CliRunner()

RATES = "code,year,rate,lo,hi\nE09000001,2021,5.5,5.0,6.0\nE09000002,2021,6,5.5,6.5\n"


def invoke(*args):
    return runner.invoke(app, ["import", *args])


@pytest.fixture
def rates(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(RATES)
    return path


def test_tidy_with_map_options(tmp_path, rates):
    # issue #14/#15: `import tidy` always failed (read_tidy() missing 'mapping')
    store = tmp_path / "s.duckdb"
    result = invoke(
        "tidy", str(rates), "--store", str(store), "-q",
        "--map", "area_code=code", "--map", "period=year", "--map", "value=rate",
        "--map", "lower95_0cl=lo", "--map", "upper95_0cl=hi",
        "--indicator-id", "my-rate", "--sex", "Female",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "imported rates.csv: 2 values" in result.stdout
    with Store.open(store) as opened:
        values = opened.values().to_pylist()
    assert {(v["area_code"], v["value"], v["sex"], v["indicator_id"]) for v in values} == {
        ("E09000001", 5.5, "Female", "my-rate"),
        ("E09000002", 6.0, "Female", "my-rate"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "mapping:\n  area_code: code\n  value: rate\nindicator_id: my-rate\nperiod: 2021\n",
        '{"mapping": {"area_code": "code", "value": "rate"}, "indicator_id": "my-rate", '
        '"period": "2021"}',
    ],
    ids=["yaml", "json"],
)
def test_tidy_with_mapping_file(tmp_path, rates, text):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text)
    result = invoke("tidy", str(rates), "--mapping", str(mapping), "--store", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert "2 values" in result.stdout


@pytest.mark.parametrize("kind", ["TIDY", "Tidy", " tidy "])
def test_kinds_are_case_insensitive(tmp_path, rates, kind):
    # issue #15: kind names were case-sensitive
    result = invoke(
        kind, str(rates), "--store", str(tmp_path / "s.duckdb"),
        "--map", "area_code=code", "--map", "value=rate", "--indicator-id", "x", "--period", "2021",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tidy"], "Error: tidy needs a column mapping"),
        (["tidy", "--map", "area_code"], "Error: --map 'area_code': expected TARGET=COLUMN"),
        (["tidy", "--map", "area_code=nope", "--indicator-id", "x", "--period", "2021"], "nope"),
        (["tidy", "--map", "area=code"], "unknown columns ['area']"),
        (["fingertips", "--period", "2021"], "Error: --period: only for kind 'tidy'"),
        (["no-such-kind"], "Error: unknown kind 'no-such-kind'; known kinds:"),
    ],
)
def test_usage_problems_are_one_line(tmp_path, rates, args, message):
    kind, *options = args
    store = tmp_path / "s.duckdb"
    result = invoke(kind, str(rates), "--store", str(store), *options)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not store.exists()


def test_bad_mapping_file_is_one_line(tmp_path, rates):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("mapping: [1, 2\n")
    result = invoke("tidy", str(rates), "--mapping", str(mapping), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {mapping}: cannot read the mapping file")
    assert len(result.stderr.strip().splitlines()) == 1
