import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from healthgap import __version__
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.cli import app
from healthgap.sources import write_fingertips_csv
from healthgap.store import Store, schema

runner = CliRunner()

AREAS = pa.table(
    {
        "area_code": ["E09000001", "E09000002", "E12000007"],
        "area_name": ["City of London", "Barking and Dagenham", "London"],
        "area_type": ["la", "la", "region"],
    }
)


def values(counts):
    n = len(counts)
    none = [None] * n
    return pa.table(
        {
            "indicator_id": ["90366"] * n,
            "area_code": ["E09000001", "E09000002"] * (n // 2),
            "period": ["2021"] * n,
            "period_start": [2021] * n,
            "period_years": [1] * n,
            "sex": ["Persons"] * n,
            "age": ["All ages"] * n,
            "category_type": [""] * n,
            "category": [""] * n,
            "value": [c / 10 for c in counts],
            "lower95_0cl": none,
            "upper95_0cl": none,
            "lower99_8cl": none,
            "upper99_8cl": none,
            "count": counts,
            "denominator": [10.0] * n,
            "value_note": none,
        },
        schema=schema.VALUES,
    )


@pytest.fixture
def fingertips_file(tmp_path):
    path = tmp_path / "fingertips.csv"
    write_fingertips_csv(values([3.0, 40.0]), AREAS, [IndicatorMeta(id="90366", name="LE")], path)
    return path


def invoke(*args, store=None):
    extra = ["--store", str(store)] if store is not None else []
    return runner.invoke(app, [*args, *extra])


def test_import_then_list_show_export(tmp_path, fingertips_file):
    store = tmp_path / "s.duckdb"
    result = invoke(
        "import",
        "fingertips",
        str(fingertips_file),
        "--vintage-label",
        "first",
        "--quiet",
        store=store,
    )
    assert result.exit_code == 0, result.output
    assert "imported fingertips.csv: 2 areas, 2 values, 1 indicators" in result.stdout
    vintage_id = result.stdout.strip().splitlines()[-1].removeprefix("vintage ")

    again = invoke("import", "fingertips", str(fingertips_file), store=store)
    assert again.stdout.strip().splitlines()[-1] == f"vintage {vintage_id}"

    listed = invoke("vintages", "list", store=store)
    assert listed.exit_code == 0
    lines = listed.stdout.strip().splitlines()
    assert lines[0] == "id\tcreated_at\tsource\tlabel\tcode_version\tn_values"
    assert len(lines) == 2
    assert lines[1].startswith(f"{vintage_id}\t")
    assert lines[1].split("\t")[2:] == ["fingertips", "first", __version__, "2"]

    shown = invoke("vintages", "show", vintage_id[:6], store=store)
    assert shown.exit_code == 0, shown.output
    assert f"id: {vintage_id}" in shown.stdout
    assert "input: fingertips.csv" in shown.stdout
    assert "indicators: 90366" in shown.stdout

    out = tmp_path / "published.csv"
    exported = invoke(
        "export", "--vintage", vintage_id, "--format", "csv", "--out", str(out), store=store
    )
    assert exported.exit_code == 0, exported.output
    published = pl.read_csv(out, schema_overrides={"value_note": pl.String})
    assert published["count"].to_list() == [None, 40]  # 3 is suppressed


def test_vintages_diff(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.add_areas(AREAS)
        old = store.add_vintage(values([30.0, 40.0]), source="t")
        new = store.add_vintage(values([30.0, 44.0]), source="t")
    result = invoke("vintages", "diff", old, new, store=path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "0 added, 0 removed, 1 revised"
    assert lines[1].split("\t")[:2] == ["indicator_id", "area_code"]
    assert lines[2].split("\t")[1] == "E09000002"
    assert "\t4.0\t4.4\t" in lines[2]


def test_areas_list_and_show(tmp_path):
    path = tmp_path / "s.duckdb"
    hierarchy = pa.table(
        {"hierarchy": ["lad19"], "child_code": ["E09000001"], "parent_code": ["E12000007"]}
    )
    with Store.open(path) as store:
        store.add_areas(AREAS, hierarchy=hierarchy)
    listed = invoke("areas", "list", "--type", "la", store=path)
    assert listed.exit_code == 0
    assert [line.split("\t")[0] for line in listed.stdout.strip().splitlines()] == [
        "area_code",
        "E09000001",
        "E09000002",
    ]
    shown = invoke("areas", "show", "E09000001", store=path)
    assert shown.exit_code == 0
    assert "area_name: City of London" in shown.stdout
    assert "parent (lad19, level 1): E12000007 London region" in shown.stdout


def test_store_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "env.duckdb"
    with Store.open(path) as store:
        store.add_areas(AREAS)
    monkeypatch.setenv("HEALTHGAP_STORE", str(path))
    result = runner.invoke(app, ["areas", "list", "--type", "region"])
    assert result.stdout.strip().splitlines()[1].startswith("E12000007\tLondon")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["vintages", "show", "abcdef"], "Error: vintage 'abcdef' not found"),
        (["vintages", "list", "--help"], None),
        (["areas", "show", "E0"], "Error: area 'E0' is not in the store"),
        (["export", "--out", "x.csv"], "Error: the store"),
        (["export", "--out", "x.txt", "--format", "txt"], "Error: format must be one of"),
    ],
)
def test_errors_are_one_line_and_exit_1(tmp_path, args, message):
    Store.open(tmp_path / "s.duckdb").close()  # read commands open read-only: never create
    result = invoke(*args, store=tmp_path / "s.duckdb")
    if message is None:
        assert result.exit_code == 0
        return
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_import_unknown_kind_and_bad_file(tmp_path, fingertips_file):
    result = invoke("import", "nope", str(fingertips_file), store=tmp_path / "s.duckdb")
    assert result.exit_code == 1
    assert "Error: unknown kind 'nope'; known kinds:" in result.stderr
    bad = tmp_path / "bad.csv"
    write_fingertips_csv(values([3.0, -40.0]), AREAS, [IndicatorMeta(id="90366", name="LE")], bad)
    result = invoke("import", "fingertips", str(bad), store=tmp_path / "s.duckdb")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    with Store.open(tmp_path / "s.duckdb") as store:
        assert store.vintages().num_rows == 0
        assert store.areas().num_rows == 0
    missing = invoke("import", "fingertips", str(tmp_path / "absent.csv"))
    assert missing.exit_code == 2


@pytest.mark.realdata
def test_import_all_england_imd2019(tmp_path, shared_data):
    # MHCLG File 1: 32,844 LSOAs in 317 local authority districts (2019)
    imd = shared_data / "deprivation" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    store = tmp_path / "s.duckdb"
    result = invoke("import", "imd2019", str(imd), "--quiet", store=store)
    assert result.exit_code == 0, result.output
    assert "32,844 hierarchy" in result.stdout
    shown = invoke("areas", "show", "E01000001", store=store)
    assert "area_name: City of London 001A" in shown.stdout
    assert "parent (lsoa11-lad19, level 1): E09000001" in shown.stdout
    with Store.open(store) as opened:
        deciles = opened.classifications("IMD 2019 decile (national)")
        assert deciles.num_rows == 32_844
        # the London application's CLI ranks London's LSOAs within London too
        assert opened.classifications("IMD 2019 decile (within London)").num_rows == 4_835
        assert opened.areas(area_type="lsoa").num_rows == 32_844
