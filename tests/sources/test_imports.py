import subprocess
import sys


def test_sources_import_without_duckdb_ibis_or_spark():
    # issue #18: healthgap.sources imported store.schema, which loaded DuckDB
    code = (
        "import sys, healthgap.sources as s\n"
        "[getattr(s, name) for name in s.__all__]\n"
        "bad = [x for x in ('duckdb', 'ibis', 'pyspark') if x in sys.modules]\n"
        "assert not bad, bad\n"
        "from healthgap.store import Store, InputFile\n"
        "assert 'duckdb' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_old_import_paths_still_work():
    # issue #18 split sources/ons.py by publisher and file family
    code = (
        "from healthgap.sources.ons import read_ons_els, read_gla_ward_life_expectancy\n"
        "from healthgap.sources.gla import read_gla_ward_life_expectancy as g\n"
        "from healthgap.sources import read_ons_population, read_ons_subnational, IMPORTERS\n"
        "assert read_gla_ward_life_expectancy is g\n"
        "assert IMPORTERS['gla-ward-life-expectancy'] is g\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
