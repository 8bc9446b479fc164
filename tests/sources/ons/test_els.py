"""ONS Explore Local Statistics CSVs of any indicator (healthgap.sources.ons.els)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources import read_ons_els

HEADER = (
    "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes\n"
)


def test_itl_codes_dates_and_flags(tmp_path):
    path = tmp_path / "els.csv"
    path.write_text(
        HEADER
        + "TLI,London,ITL1,Gross median weekly pay,2025-04-30,800.5,Pounds,£,790,810,Provisional,\n"
        + "E09000001,City of London,LAD,Gross median weekly pay,2024-04-17,900,Pounds,£,,,,x\n"
    )
    imp = read_ons_els(path)
    values = pl.from_arrow(imp.values)
    assert values.select("area_code", "period", "period_start", "value", "value_note").rows() == [
        ("TLI", "2025", 2025, 800.5, "Provisional"),
        ("E09000001", "2024", 2024, 900.0, "x"),
    ]
    assert pl.from_arrow(imp.areas)["area_type"].to_list() == ["itl1", "la"]
    assert imp.indicators[0].unit == "£"


@pytest.mark.realdata
def test_gross_median_weekly_pay_dated_periods(shared_data):
    # issue #15: periods that are dates ("2025-04-30") made the whole file fail
    imp = read_ons_els(shared_data / "indicators/ons_els_gross-median-weekly-pay.csv")
    values = pl.from_arrow(imp.values)
    assert values.height == 7_109
    uk = values.filter((pl.col("area_code") == "K02000001") & (pl.col("period") == "2025"))
    # ASHE 2025 provisional, UK gross median weekly pay: £642.50 (95% CI 641.2407-643.7593)
    assert uk.select("value", "lower95_0cl", "upper95_0cl").rows() == [(642.5, 641.2407, 643.7593)]


def test_short_row_is_refused_not_read_as_missing_values(tmp_path):
    from healthgap.errors import InputError

    path = tmp_path / "els.csv"
    path.write_text(
        HEADER
        + "E09000001,City,LAD,Pay,2021-01-01/P1Y,642.5,Pounds,£,641.2,643.8,,\n"
        + "E09000002,Barking,LAD,Pay,2021-01-01/P1Y\n"
    )
    with pytest.raises(InputError, match="line 3 has 5 fields but the header has 12"):
        read_ons_els(path)
