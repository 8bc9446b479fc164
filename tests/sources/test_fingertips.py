from __future__ import annotations

import csv

import polars as pl
import pyarrow as pa
import pytest

from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.errors import InputError
from healthgap.sources import IMPORTERS, ImportValidationError
from healthgap.sources.fingertips import (
    API_COLUMNS,
    read_fingertips_csv,
    read_fingertips_table,
    write_fingertips_csv,
)
from healthgap.store.schema import AREAS, VALUE_KEYS, VALUES

FT = "fingertips"
INJURIES = "ansarikasim_injuries-in-children__Compare_areas.csv"
CAMPYLOBACTER = "jargonautical_data-dev__indicators-CountyUA.data.csv"
DISABILITY = "gss-cogs_family-disability__indicators-CountyUApre419.data.csv"
TRIMETHOPRIM = "hannahlepper_uti-model__fingertips_trimres.csv"
LCR = "lcr-evidence_test-repo__Compare_areas.csv"

HEADER = (
    "Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,"
    "Sex,Age,Category Type,Category,Time period,Value,Lower CI 95.0 limit,"
    "Upper CI 95.0 limit,Lower CI 99.8 limit,Upper CI 99.8 limit,Count,Denominator,"
    "Value note,Recent Trend,Compared to England value or percentiles,"
    "Compared to Region value or percentiles,Time period Sortable,New data,"
    "Compared to goal"
)


def _row(
    area="E09000001",
    period="2019",
    value="10",
    lo="9",
    hi="11",
    count="5",
    denom="50",
    name="Rate of things",
    ind="1",
    sex="Persons",
):
    return (
        f'{ind},"{name}",E12000007,London region,{area},Somewhere,UA,{sex},All ages,,,'
        f"{period},{value},{lo},{hi},,,{count},{denom},,,Similar,Similar,20190000,,"
    )


def _write(tmp_path, rows, header=HEADER, name="bad.csv"):
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- real files


@pytest.mark.realdata
def test_chart_export_dialect(shared_data):
    imp = read_fingertips_csv(shared_data / FT / INJURIES)
    values = pl.from_arrow(imp.values)
    assert imp.values.schema.equals(VALUES)
    assert imp.areas.schema.equals(AREAS)
    assert values.height == 154  # England + 153 upper-tier authorities
    assert values.filter(pl.col("area_code").str.starts_with("E09")).height == 33
    england = values.filter(pl.col("area_code") == "E92000001").row(0, named=True)
    assert england["count"] == 72293  # written "72,293" in the file
    assert england["value"] == pytest.approx(72.71223)
    assert england["upper99_8cl"] == pytest.approx(73.55181)
    assert (england["period"], england["period_start"], england["period_years"]) == (
        "2023/24",
        2023,
        1,
    )
    hackney = values.filter(pl.col("area_code") == "E09000012").row(0, named=True)
    assert hackney["value_note"] == "* Value for Hackney and City of London combined"  # no HTML
    assert imp.indicators[0].id == "90284"
    assert imp.indicators[0].fingertips_id == 90284
    # "Decreasing and getting better" and Worse-than-England rows with higher rates
    assert imp.indicators[0].polarity == "low_is_good"
    assert [f.name for f in imp.inputs] == [INJURIES]
    assert imp.source == "fingertips"


@pytest.mark.realdata
def test_api_dialect_with_newlines_and_short_rows(shared_data):
    imp = read_fingertips_csv(shared_data / FT / CAMPYLOBACTER)
    values = pl.from_arrow(imp.values)
    assert values.height == 852
    assert values.filter(pl.col("area_code").str.starts_with("E09")).height == 165
    assert imp.indicators[0].name == "Campylobacter incidence rate/100,000"  # LF stripped
    assert values["period"].unique().sort().to_list() == ["2015", "2016", "2017"]
    deciles = values.filter(pl.col("category_type") != "")
    assert deciles["category_type"].unique().sort().to_list() == [
        "County & UA deprivation deciles in England (IMD2015)",
        "District & UA deprivation deciles in England (IMD2015)",
    ]
    england = values.filter(
        (pl.col("area_code") == "E92000001")
        & (pl.col("category") == "")
        & (pl.col("period") == "2015")
        & (pl.col("age") == "All ages")
    )
    assert england["count"].to_list() == [51897]
    assert england["denominator"].to_list() == [54786327]
    assert set(values["value_note"].drop_nulls()) >= {
        "Value for Hackney and City of London combined"
    }
    hierarchy = pl.from_arrow(imp.hierarchy)
    assert hierarchy.filter(pl.col("child_code") == "E09000007")["parent_code"].to_list() == [
        "E12000007"
    ]
    comparisons = pl.from_arrow(imp.extra["fingertips_comparisons"])
    assert comparisons.height == 852
    assert "compared_to_parent" in comparisons.columns


@pytest.mark.realdata
def test_value_rounded_but_limits_not_is_accepted(shared_data):
    # Indicator 10101 England 2016: value 17, 95% limits 17.025-17.072 (value rounded).
    imp = read_fingertips_csv(shared_data / FT / DISABILITY)
    values = pl.from_arrow(imp.values)
    row = values.filter(
        (pl.col("indicator_id") == "10101")
        & (pl.col("period") == "2016")
        & (pl.col("area_code") == "E92000001")
    ).row(0, named=True)
    assert row["value"] == 17
    assert row["lower95_0cl"] == pytest.approx(17.02501286)
    assert len(imp.indicators) == 8
    assert {m.sex for m in imp.indicators} >= {("Persons",)}


@pytest.mark.realdata
def test_quarters_and_html_counts(shared_data):
    quarters = pl.from_arrow(read_fingertips_csv(shared_data / FT / TRIMETHOPRIM).values)
    assert quarters.height == 38
    first = quarters.sort("period").row(0, named=True)
    assert (first["period"], first["period_start"], first["count"]) == ("2015 Q1", 2015, 60367)
    lcr = pl.from_arrow(read_fingertips_csv(shared_data / FT / LCR).values)
    assert lcr["count"].null_count() == lcr.height  # <div class="no-data">-</div>
    assert lcr.filter(pl.col("area_code") == "E08000011")["value"].to_list() == [43.006]


@pytest.mark.realdata
@pytest.mark.parametrize("name", [INJURIES, CAMPYLOBACTER, DISABILITY, TRIMETHOPRIM, LCR])
def test_table_keeps_every_column(shared_data, name):
    path = shared_data / FT / name
    table = read_fingertips_table(path)
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert table.num_columns == header.count(",") + 1  # 26 or 27 columns
    assert table.num_rows == read_fingertips_csv(path).values.num_rows
    assert "compared_to_england_value_or_percentiles" in table.column_names
    assert "compared_to_parent_value_or_percentiles" in table.column_names
    assert "area_name" in table.column_names
    assert table.schema.field("value").type == pa.float64()
    assert table.schema.field("indicator_id").type == pa.int64()
    parent = table.schema.metadata[b"parent_comparison_column"].decode()
    assert parent in header


@pytest.mark.realdata
def test_table_parent_column_and_trend(shared_data):
    table = pl.from_arrow(read_fingertips_table(shared_data / FT / INJURIES))
    darlington = table.filter(pl.col("area_code") == "E06000005").row(0, named=True)
    assert darlington["compared_to_parent_value_or_percentiles"] == "Worse"
    assert darlington["recent_trend"] == "No significant change"
    assert darlington["time_period_sortable"] == 20230000
    assert darlington["time_period_range"] == "1y"


@pytest.mark.realdata
@pytest.mark.parametrize("name", [INJURIES, CAMPYLOBACTER, DISABILITY, TRIMETHOPRIM, LCR])
def test_round_trip_real_files(shared_data, tmp_path, name):
    imp = read_fingertips_csv(shared_data / FT / name)
    out = write_fingertips_csv(imp.values, imp.areas, imp.indicators, tmp_path / "out.csv")
    back = read_fingertips_csv(out)
    assert back.values.equals(imp.values)
    assert [m.name for m in back.indicators] == [m.name for m in imp.indicators]


# --------------------------------------------------------------------------- round trip


def test_round_trip_exact(tmp_path):
    values = pa.Table.from_pylist(
        [
            {
                "indicator_id": "demo-rate",
                "area_code": "E09000001",
                "period": "2019 - 21",
                "period_start": 2019,
                "period_years": 3,
                "sex": "Female",
                "age": "<75 yrs",
                "category_type": "IMD 2019 decile",
                "category": "1 - most deprived",
                "value": 0.1 + 0.2,
                "lower95_0cl": 0.1,
                "upper95_0cl": 1 / 3,
                "lower99_8cl": None,
                "upper99_8cl": None,
                "count": 12.0,
                "denominator": 4000.0,
                "value_note": 'Note, with "quotes"\nand a newline',
            },
            {
                "indicator_id": "demo-rate",
                "area_code": "E12000007",
                "period": "2021/22",
                "period_start": 2021,
                "period_years": 1,
                "sex": "Persons",
                "age": "All ages",
                "category_type": "",
                "category": "",
                "value": 123456.789012345,
                "lower95_0cl": None,
                "upper95_0cl": None,
                "lower99_8cl": None,
                "upper99_8cl": None,
                "count": None,
                "denominator": None,
                "value_note": None,
            },
        ],
        schema=VALUES,
    )
    areas = pa.Table.from_pylist(
        [
            {
                "area_code": "E09000001",
                "area_name": "City of London",
                "area_type": "la",
                "valid_from": None,
                "valid_to": None,
            },
        ],
        schema=AREAS,
    )
    meta = [IndicatorMeta(id="demo-rate", name="Demo rate, per 100,000")]
    path = write_fingertips_csv(values, areas, meta, tmp_path / "x.csv")
    header = path.read_text().splitlines()[0]
    assert header.split(",") == API_COLUMNS
    back = read_fingertips_csv(path)
    assert back.values.equals(values)
    assert back.indicators[0].name == "Demo rate, per 100,000"
    table = pl.from_arrow(read_fingertips_table(path))
    assert table["area_name"].to_list() == ["City of London", None]
    assert table["area_type"].to_list() == ["Local authorities", None]


def test_registered():
    assert IMPORTERS["fingertips"] is read_fingertips_csv


# --------------------------------------------------------------------------- validation


def test_valid_hand_made_file(tmp_path):
    imp = read_fingertips_csv(_write(tmp_path, [_row(), _row(area="E09000002")]))
    assert imp.values.num_rows == 2
    assert sorted(pl.from_arrow(imp.areas)["area_code"]) == ["E09000001", "E09000002", "E12000007"]


def test_error_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        read_fingertips_csv(_write(tmp_path, [_row(value="abc")]))


def test_wrong_type_names_line_and_column(tmp_path):
    path = _write(tmp_path, [_row(), _row(area="E09000002", value="ten")])
    with pytest.raises(ImportValidationError) as info:
        read_fingertips_csv(path)
    err = info.value
    assert err.total == 1
    assert err.problems == [{"line": 3, "column": "Value", "value": "ten", "expected": "a number"}]
    assert str(path) in str(err)
    assert "line 3, column 'Value'" in str(err)


def test_line_numbers_count_quoted_newlines(tmp_path):
    rows = [
        _row(name="Two\nlines"),
        _row(area="E09000002", name="Two\nlines"),
        _row(area="E09000003", name="Two\nlines", count="-1"),
    ]
    with pytest.raises(ImportValidationError) as info:
        read_fingertips_csv(_write(tmp_path, rows))
    # header line 1; records start on lines 2, 4 and 6
    assert info.value.problems[0]["line"] == 6
    assert info.value.problems[0]["column"] == "Count"


def test_duplicate_keys(tmp_path):
    with pytest.raises(ImportValidationError, match="duplicate key") as info:
        read_fingertips_csv(_write(tmp_path, [_row(), _row(value="10.5", hi="12")]))
    assert info.value.problems[0]["line"] == 3


def test_same_row_under_two_area_types_is_kept_once(tmp_path):
    rows = [_row(), _row().replace(",UA,", ",Lower tier,")]
    assert read_fingertips_csv(_write(tmp_path, rows)).values.num_rows == 1


def test_negative_counts_and_denominators(tmp_path):
    with pytest.raises(ImportValidationError) as info:
        read_fingertips_csv(_write(tmp_path, [_row(count="-3", denom="-50")]))
    assert {p["column"] for p in info.value.problems} == {"Count", "Denominator"}


def test_numerator_above_denominator_for_proportions_only(tmp_path):
    rows = [_row(count="60", denom="50", name="Percentage of things")]
    with pytest.raises(ImportValidationError, match="no greater than the denominator"):
        read_fingertips_csv(_write(tmp_path, rows))
    # a rate may have more events than people
    assert (
        read_fingertips_csv(
            _write(tmp_path, [_row(count="60", denom="50")], name="rate.csv")
        ).values.num_rows
        == 1
    )


@pytest.mark.parametrize(
    ("lo", "hi", "message"),
    [
        ("10.2", "11", "lower limit at or below the value"),
        ("9", "9.9", "upper limit at or above the value"),
    ],
)
def test_limits_must_bracket_value(tmp_path, lo, hi, message):
    with pytest.raises(ImportValidationError, match=message):
        read_fingertips_csv(_write(tmp_path, [_row(value="10.01", lo=lo, hi=hi)]))


def test_rounded_value_gets_half_a_unit(tmp_path):
    # 10 stands for 9.5..10.5, so limits 10.2-10.6 are accepted; 10.0 with 10.6 is not
    assert read_fingertips_csv(_write(tmp_path, [_row(value="10", lo="10.2", hi="10.6")]))
    with pytest.raises(ImportValidationError):
        read_fingertips_csv(
            _write(tmp_path, [_row(value="10.0", lo="10.6", hi="10.9")], name="b.csv")
        )


def test_unparseable_period(tmp_path):
    with pytest.raises(ImportValidationError, match="a period such as") as info:
        read_fingertips_csv(_write(tmp_path, [_row(period="last year")]))
    assert info.value.problems[0]["column"] == "Time period"


def test_malformed_area_code(tmp_path):
    with pytest.raises(ImportValidationError, match="an area code") as info:
        read_fingertips_csv(_write(tmp_path, [_row(area="e09-0001")]))
    assert info.value.problems[0]["value"] == "e09-0001"


def test_missing_column(tmp_path):
    header = HEADER.replace("Time period,", "Period,")
    with pytest.raises(ImportValidationError, match="'Time period'"):
        read_fingertips_csv(_write(tmp_path, [_row()], header=header))


def test_first_20_problems_and_total(tmp_path):
    rows = [_row(area=f"E09{i:06d}", value="abc") for i in range(25)]
    rows += [_row(area="E12000001", period="never")]
    with pytest.raises(ImportValidationError) as info:
        read_fingertips_csv(_write(tmp_path, rows))
    err = info.value
    assert err.total == 26
    assert len(err.problems) == 20
    assert [p["line"] for p in err.problems] == list(range(2, 22))
    assert "first 20 of 26" in str(err)


def test_keys_are_the_store_keys():
    assert tuple(VALUE_KEYS) == (
        "indicator_id",
        "area_code",
        "period",
        "sex",
        "age",
        "category_type",
        "category",
    )


@pytest.mark.parametrize("kind", ["polars", "pandas"])
def test_writer_takes_polars_and_pandas(tmp_path, kind):
    values = pl.DataFrame(
        {
            "indicator_id": ["x"],
            "area_code": ["E09000001"],
            "period": ["2021"],
            "period_start": [2021],
            "period_years": [1],
            "sex": ["Persons"],
            "age": ["All ages"],
            "category_type": [""],
            "category": [""],
            "value": [2.5],
            "lower95_0cl": [None],
            "upper95_0cl": [None],
            "lower99_8cl": [None],
            "upper99_8cl": [None],
            "count": [72293.0],
            "denominator": [1e7],
            "value_note": [None],
        }
    )
    native = values if kind == "polars" else values.to_pandas()
    path = write_fingertips_csv(native, None, [IndicatorMeta(id="x", name="X")], tmp_path / "f.csv")
    line = path.read_text().splitlines()[1]
    assert ",72293,10000000," in line  # whole counts as Fingertips writes them
    back = pl.from_arrow(read_fingertips_csv(path).values)
    assert back["count"].to_list() == [72293.0]
    assert back["value"].to_list() == [2.5]


# --------------------------------------------------------------------------- dialects


FINGERTIPSR = (
    "IndicatorID,IndicatorName,ParentCode,ParentName,AreaCode,AreaName,AreaType,Sex,Age,"
    "CategoryType,Category,Timeperiod,Value,LowerCI95.0limit,UpperCI95.0limit,"
    "LowerCI99.8limit,UpperCI99.8limit,Count,Denominator,Valuenote,RecentTrend,"
    "ComparedtoEnglandvalueorpercentiles,ComparedtoRegionvalueorpercentiles,"
    "TimeperiodSortable,Newdata,Comparedtogoal"
)


def test_fingertipsr_spelling_reads_like_the_api_download(tmp_path):
    api = read_fingertips_csv(_write(tmp_path, [_row(), _row(area="E09000002")]))
    r = read_fingertips_csv(
        _write(tmp_path, [_row(), _row(area="E09000002")], header=FINGERTIPSR, name="r.csv")
    )
    assert r.values.equals(api.values)
    table = read_fingertips_table(tmp_path / "r.csv")
    assert "lower_ci_95_0_limit" in table.column_names
    assert "compared_to_parent_value_or_percentiles" in table.column_names


def test_only_the_required_columns(tmp_path):
    # issue #14: ColumnNotFoundError "category_type"
    header = "Indicator ID,Indicator Name,Area Code,Area Name,Sex,Age,Time period,Value"
    path = _write(
        tmp_path,
        [
            "1,Rate,E92000001,England,Persons,All ages,2019,10",
            "1,Rate,E09000001,C,Persons,All ages,2019,12",
        ],
        header=header,
    )
    values = pl.from_arrow(read_fingertips_csv(path).values)
    assert values["value"].to_list() == [10.0, 12.0]
    assert values["category_type"].to_list() == ["", ""]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_encodings_and_line_ends(tmp_path, encoding, newline):
    rows = [_row(name="Rate of things £"), _row(area="E09000002", name="Rate of things £")]
    path = tmp_path / "f.csv"
    path.write_bytes(newline.join([HEADER, *rows, ""]).encode(encoding))
    imp = read_fingertips_csv(path)
    assert imp.values.num_rows == 2
    assert imp.indicators[0].name == "Rate of things £"


@pytest.mark.parametrize(
    ("count", "stored"),
    [('"72,293"', 72293.0), ("12.5", 12.5), ('"<div class=""no-data"">-</div>"', None)],
)
def test_quoted_thousands_fractional_counts_and_html(tmp_path, count, stored):
    imp = read_fingertips_csv(_write(tmp_path, [_row(count=count, denom="100000")]))
    assert imp.values.column("count").to_pylist() == [stored]


@pytest.mark.parametrize("value", ['"12,5"', '"1,2,3"'])
def test_decimal_comma_value_is_refused_not_mangled(tmp_path, value):
    # issue #14: "12,5" was stored as 125 and "1,2,3" as 123
    with pytest.raises(ImportValidationError, match="column 'Value'"):
        read_fingertips_csv(_write(tmp_path, [_row(value=value, lo="", hi="")]))


def test_truncated_file_is_refused(tmp_path):
    # issue #14: a file cut mid-row was accepted with value 12 from "...,2019,12"
    path = tmp_path / "cut.csv"
    text = HEADER + "\n" + _row() + "\n" + _row(area="E09000002")
    path.write_text(text[: text.rindex(",2019,") + len(",2019,12")])
    with pytest.raises(InputError, match="looks truncated"):
        read_fingertips_csv(path)


def test_ragged_row_and_unclosed_quote_are_one_line_errors(tmp_path):
    ragged = _write(tmp_path, [_row(), _row(area="E09000002") + ",extra,fields"])
    with pytest.raises(InputError, match="line 3 has 28 fields but the header has 26"):
        read_fingertips_csv(ragged)
    unclosed = _write(tmp_path, [_row(), _row(name='Open "quote')], name="q.csv")
    with pytest.raises(InputError, match="never closed"):
        read_fingertips_csv(unclosed)


def test_rounding_note_where_limits_pass_the_rounded_value(tmp_path):
    imp = read_fingertips_csv(_write(tmp_path, [_row(value="17.0", lo="17.025", hi="17.072")]))
    assert imp.values.column("value_note").to_pylist() == [
        "limits lie outside the value by less than the value's published rounding"
    ]


@pytest.mark.realdata
def test_gss_cogs_rounded_value_gets_the_note(shared_data):
    # issue #15: 10101 England 2016, value 17.0 and 95% lower limit 17.025 in the export
    values = pl.from_arrow(read_fingertips_csv(shared_data / FT / DISABILITY).values)
    row = values.filter(
        (pl.col("indicator_id") == "10101")
        & (pl.col("period") == "2016")
        & (pl.col("area_code") == "E92000001")
    ).row(0, named=True)
    assert "published rounding" in row["value_note"]


@pytest.mark.realdata
def test_gss_cogs_export_goes_into_a_store_with_its_published_limits(shared_data, tmp_path):
    # issue #15: the importer accepted the rounded value but the store then refused the file
    from healthgap.store import Store

    with Store.open(tmp_path / "s.duckdb") as store:
        vintage = store.load(read_fingertips_csv(shared_data / FT / DISABILITY))
        values = pl.from_arrow(store.values(vintage))
    row = values.filter(
        (pl.col("indicator_id") == "10101")
        & (pl.col("period") == "2016")
        & (pl.col("area_code") == "E92000001")
    ).row(0, named=True)
    assert (row["value"], row["lower95_0cl"]) == (17.0, 17.02501286)
    assert values.height == 87


def test_indicator_id_the_catalogue_cannot_hold_is_a_problem(tmp_path):
    # found by mutating a real export: "935\r\n53" reached IndicatorMeta and raised pydantic's
    with pytest.raises(ImportValidationError, match=r"column 'Indicator ID'.*an indicator id"):
        read_fingertips_csv(_write(tmp_path, [_row(ind='"93 5"')]))


def _r_write_csv(header: str, rows: list[str]) -> str:
    """A table as R's write.csv saves it: row names first, text quoted, NA where empty."""
    names = ",".join(f'"{n}"' for n in ["", *header.split(",")])
    body = [
        ",".join([f'"{number}"', *(f'"{f}"' if f else "NA" for f in fields)])
        for number, fields in enumerate(csv.reader(rows), start=1)
    ]
    return names + "\n" + "\n".join(body) + "\n"


def test_saved_from_r_with_row_names_and_na(tmp_path):
    # fingertipsR::fingertips_data(...) |> write.csv(): made-up numbers in that layout
    api = read_fingertips_csv(_write(tmp_path, [_row(), _row(area="E09000002")]))
    path = tmp_path / "r.csv"
    path.write_text(_r_write_csv(FINGERTIPSR, [_row(), _row(area="E09000002")]))
    saved = read_fingertips_csv(path)
    assert saved.values.equals(api.values)  # NA is no category and no value note
    judged = pl.from_arrow(saved.extra["fingertips_comparisons"])
    assert judged["compared_to_goal"].to_list() == [None, None]


def test_saved_from_pandas_with_its_index(tmp_path):
    # fingertips_py.get_data_as_dataframe(...).to_csv(): an unnamed index column first
    api = read_fingertips_csv(_write(tmp_path, [_row(), _row(area="E09000002")]))
    rows = [f"0,{_row()}", f"1,{_row(area='E09000002')}"]
    saved = read_fingertips_csv(_write(tmp_path, rows, header="," + HEADER, name="py.csv"))
    assert saved.values.equals(api.values)


def test_saved_from_excel_with_title_margins_and_notes(tmp_path):
    # an export opened in Excel, given a title and a source note, and saved as CSV
    api = read_fingertips_csv(_write(tmp_path, [_row(), _row(area="E09000002")]))
    width = HEADER.count(",") + 1
    pad = "," * (width - 1)
    text = (
        f"Rate of things (made up){pad},,\r\n{pad},,\r\n{HEADER},,\r\n"
        f"{_row()},,\r\n{_row(area='E09000002')},,\r\n{pad},,\r\n"
        f"Source: OHID Fingertips (made-up rows){pad},,\r\n"
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    saved = read_fingertips_csv(path)
    assert saved.values.equals(api.values)
