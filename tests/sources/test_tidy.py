from __future__ import annotations

import openpyxl
import polars as pl
import pytest

from healthgap.errors import InputError
from healthgap.sources import IMPORTERS, ImportValidationError
from healthgap.sources.tidy import read_tidy
from healthgap.store.schema import VALUES

MAPPING = {
    "area_code": "code",
    "area_name": "name",
    "period": "year",
    "value": "rate",
    "count": "n",
    "denominator": "pop",
    "lower95_0cl": "lo",
    "upper95_0cl": "hi",
}
GOOD = [
    {
        "code": "E09000001",
        "name": "City",
        "year": "2021",
        "rate": "5.5",
        "n": "11",
        "pop": "200",
        "lo": "3",
        "hi": "9",
    },
    {
        "code": "E09000002",
        "name": "Barking",
        "year": "2021",
        "rate": "6",
        "n": "12",
        "pop": "200",
        "lo": "3",
        "hi": "9",
    },
]


def _csv(tmp_path, rows, name="t.csv"):
    path = tmp_path / name
    pl.DataFrame(rows).write_csv(path)
    return path


@pytest.mark.parametrize("suffix", ["csv", "tsv", "parquet", "xlsx"])
def test_formats(tmp_path, suffix):
    frame = pl.DataFrame(GOOD)
    path = tmp_path / f"t.{suffix}"
    if suffix == "csv":
        frame.write_csv(path)
    elif suffix == "tsv":
        frame.write_csv(path, separator="\t")
    elif suffix == "parquet":
        frame.with_columns(pl.col("rate", "n", "pop", "lo", "hi").cast(pl.Float64)).write_parquet(
            path
        )
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(GOOD[0]))
        for row in GOOD:
            ws.append(
                [
                    float(v) if v.replace(".", "").isdigit() and k != "year" else v
                    for k, v in row.items()
                ]
            )
        wb.save(path)
    imp = read_tidy(path, MAPPING, indicator_id="demo")
    assert imp.values.schema.equals(VALUES)
    values = pl.from_arrow(imp.values)
    assert values["value"].to_list() == [5.5, 6.0]
    assert values["count"].to_list() == [11, 12]
    assert values["sex"].to_list() == ["Persons", "Persons"]
    assert values["category_type"].to_list() == ["", ""]
    assert pl.from_arrow(imp.areas)["area_name"].to_list() == ["City", "Barking"]
    assert imp.source == "tidy"


def test_constants_and_breakdowns(tmp_path):
    path = _csv(tmp_path, [{"code": "E09000001", "decile": "1", "v": "2.5"}])
    imp = IMPORTERS["tidy"](
        path,
        {"area_code": "code", "category": "decile", "value": "v"},
        indicator_id="x",
        period="2019 - 21",
        sex="Female",
        age="<75 yrs",
        category_type="IMD 2019 decile",
    )
    row = imp.values.to_pylist()[0]
    assert (row["period_start"], row["period_years"], row["sex"], row["category"]) == (
        2019,
        3,
        "Female",
        "1",
    )


def test_mapping_errors(tmp_path):
    path = _csv(tmp_path, GOOD)
    with pytest.raises(InputError, match="unknown columns"):
        read_tidy(path, {"area": "code"}, indicator_id="x", period="2021")
    with pytest.raises(InputError, match="indicator_id"):
        read_tidy(path, {"area_code": "code", "period": "year"})


def test_missing_source_column(tmp_path):
    with pytest.raises(ImportValidationError, match="'rates'"):
        read_tidy(_csv(tmp_path, GOOD), {**MAPPING, "value": "rates"}, indicator_id="x")


@pytest.mark.parametrize(
    ("change", "column", "expected"),
    [
        ({"rate": "five"}, "rate", "a number"),
        ({"n": "-1"}, "n", "a count >= 0"),
        ({"lo": "5.6"}, "lo", "lower limit at or below the value"),
        ({"hi": "5.4"}, "hi", "upper limit at or above the value"),
        ({"year": "21"}, "year", "a period"),
        ({"code": "E9000001"}, "code", "an area code"),
    ],
)
def test_each_check(tmp_path, change, column, expected):
    rows = [GOOD[0], {**GOOD[1]}, {**GOOD[0], "code": "E09000003", **change}]
    with pytest.raises(ImportValidationError) as info:
        read_tidy(_csv(tmp_path, rows), MAPPING, indicator_id="demo")
    assert info.value.total == 1
    problem = info.value.problems[0]
    assert (problem["line"], problem["column"]) == (4, column)
    assert expected in problem["expected"]


def test_duplicates(tmp_path):
    with pytest.raises(ImportValidationError, match="duplicate key") as info:
        read_tidy(_csv(tmp_path, [*GOOD, GOOD[0]]), MAPPING, indicator_id="demo")
    assert info.value.problems[0]["line"] == 4


def test_proportion_numerator_above_denominator(tmp_path):
    rows = [{**GOOD[0], "n": "201"}]
    path = _csv(tmp_path, rows)
    assert read_tidy(path, MAPPING, indicator_id="demo").values.num_rows == 1
    with pytest.raises(ImportValidationError, match="no greater than the denominator"):
        read_tidy(path, MAPPING, indicator_id="demo", proportion=True)


def test_parquet_rows_are_numbered_from_one(tmp_path):
    path = tmp_path / "t.parquet"
    pl.DataFrame(
        {"code": ["E09000001", "bad"], "year": ["2021", "2021"], "rate": [1.0, 2.0]}
    ).write_parquet(path)
    with pytest.raises(ImportValidationError) as info:
        read_tidy(path, {"area_code": "code", "period": "year", "value": "rate"}, indicator_id="x")
    assert info.value.problems[0]["line"] == 2


def test_code_pattern_option(tmp_path):
    path = _csv(tmp_path, [{"code": "A81001", "year": "2021", "rate": "1"}])
    mapping = {"area_code": "code", "period": "year", "value": "rate"}
    with pytest.raises(ImportValidationError):
        read_tidy(path, mapping, indicator_id="x")
    imp = read_tidy(path, mapping, indicator_id="x", code_pattern=r"^[A-Z]\d{5}$")
    assert imp.values.num_rows == 1


def test_many_problems_reported_20_and_total(tmp_path):
    rows = [{**GOOD[0], "code": f"E09{i:06d}", "rate": "?"} for i in range(1000)]
    with pytest.raises(ImportValidationError) as info:
        read_tidy(_csv(tmp_path, rows), MAPPING, indicator_id="demo")
    assert info.value.total == 1000
    assert len(info.value.problems) == 20


@pytest.mark.parametrize("text", ["inf", "NaN", "-inf"])
def test_non_finite_numbers_refused_on_the_fast_path_too(tmp_path, text):
    # the Float64 fast path parses "inf" and "NaN"; they are not published numbers
    path = tmp_path / "v.csv"
    path.write_text(f"code,year,rate\nE09000001,2021,5.5\nE09000002,2021,{text}\n")
    with pytest.raises(ImportValidationError, match=r"line 3, column 'rate'.*a finite number"):
        read_tidy(path, {"area_code": "code", "period": "year", "value": "rate"}, indicator_id="x")


def test_workbook_with_titles_above_and_notes_below(tmp_path):
    # a published table as analysts save it: title and source rows, the table, a blank row
    # and footnotes (made-up figures)
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Table 3: Rate of things by borough, 2021"])
    ws.append(["Source:", "made-up figures for a test"])
    ws.append([])
    ws.append(list(GOOD[0]))
    for row in GOOD:
        ws.append(list(row.values()))
    ws.append([])
    ws.append(["Notes"])
    ws.append(["1. Rates per 100,000."])
    wb.save(path)
    values = pl.from_arrow(read_tidy(path, MAPPING, indicator_id="demo").values)
    assert values.select("area_code", "value").rows() == [("E09000001", 5.5), ("E09000002", 6.0)]


def test_workbook_without_the_mapped_header_names_them(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Title"])
    wb.active.append(["code", "year"])
    wb.save(path)
    with pytest.raises(ImportValidationError, match=r"a header row naming the mapped columns"):
        read_tidy(path, MAPPING, indicator_id="demo")


def test_csv_below_a_title_line_with_two_fields(tmp_path):
    path = tmp_path / "t.csv"
    header = ",".join(GOOD[0])
    rows = "\n".join(",".join(r.values()) for r in GOOD)
    path.write_text(f"Table 3,Rate of things by borough (made up)\n{header}\n{rows}\n")
    values = pl.from_arrow(read_tidy(path, MAPPING, indicator_id="demo").values)
    assert values["value"].to_list() == [5.5, 6.0]
    path.write_text(f"Table 3,Rate of things\n{header}\n{rows.replace('5.5', 'five')}\n")
    with pytest.raises(ImportValidationError, match=r"line 3, column 'rate': got 'five'"):
        read_tidy(path, MAPPING, indicator_id="demo")


def test_department_for_education_layout(tmp_path):
    # Explore Education Statistics CSV: six-digit academic years, a row per geographic level
    # (the code in country_code, region_code or new_la_code), c/z/low where no number is
    # shown; made-up numbers in that layout
    path = tmp_path / "ees.csv"
    path.write_text(
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
        "region_name,old_la_code,new_la_code,la_name,pupil_count,pt_gld\n"
        "202223,Academic year,National,E92000001,England,,,,,,600000,67.2\n"
        "202223,Academic year,Regional,E92000001,England,E12000007,London,,,,100000,69.1\n"
        "202223,Academic year,Local authority,E92000001,England,E12000007,London,202,"
        "E09000001,City of London,c,c\n"
        "202223,Academic year,Local authority,E92000001,England,E12000007,London,301,"
        "E09000002,Barking and Dagenham,3000,low\n"
    )
    imp = read_tidy(
        path,
        {
            "area_code": "new_la_code|region_code|country_code",
            "period": "time_period",
            "value": "pt_gld",
            "denominator": "pupil_count",
        },
        indicator_id="gld",
    )
    values = pl.from_arrow(imp.values)
    assert values.select(
        "area_code", "period", "period_start", "period_years", "value", "denominator"
    ).rows() == [
        ("E92000001", "2022/23", 2022, 1, 67.2, 600000.0),
        ("E12000007", "2022/23", 2022, 1, 69.1, 100000.0),
        ("E09000001", "2022/23", 2022, 1, None, None),
        ("E09000002", "2022/23", 2022, 1, None, 3000.0),
    ]
