"""Period parsing shared by every importer (private module healthgap.sources._periods)."""

from __future__ import annotations

import polars as pl
import pytest

from healthgap.sources._periods import parse_periods
from healthgap.sources._validate import ImportValidationError, Problems


@pytest.mark.parametrize(
    ("text", "label", "start", "years"),
    [
        ("2015", "2015", 2015, 1),
        ("2015 - 17", "2015 - 17", 2015, 3),
        ("2001-2003", "2001-2003", 2001, 3),
        ("1999 - 2003", "1999 - 2003", 1999, 5),
        ("2023/24", "2023/24", 2023, 1),
        ("2015/16 - 17/18", "2015/16 - 17/18", 2015, 3),
        ("2015 Q1", "2015 Q1", 2015, 1),
        ("2019/20 Q3", "2019/20 Q3", 2019, 1),
        ("Jan 2020", "Jan 2020", 2020, 1),
        ("2011-01-01/P3Y", "2011 - 13", 2011, 3),
        ("2019-01-01/P1Y", "2019", 2019, 1),
        ("2021-04-01/P1Y", "2021/22", 2021, 1),
        ("2019-04-01/P3Y", "2019/20 - 21/22", 2019, 3),
        ("1999 - 01", "1999 - 01", 1999, 3),
        ("2017 - 2015", "2017 - 2015", 2017, -1),
    ],
)
def test_parse(text, label, start, years):
    frame = pl.DataFrame({"p": [text], "_line": [2]})
    problems = Problems("f.csv")
    out = parse_periods(frame, "p", problems)
    assert out.row(0, named=True) == {
        "p": label,
        "_line": 2,
        "period_start": start,
        "period_years": years,
    }
    if years < 1:
        with pytest.raises(ImportValidationError):
            problems.raise_if_any()
    else:
        problems.raise_if_any()


def test_unparseable_and_missing_reported_with_lines():
    frame = pl.DataFrame({"p": ["2020", "soon", None, "2020"], "_line": [2, 3, 4, 5]})
    problems = Problems("f.csv")
    out = parse_periods(frame, "p", problems)
    assert out["period_start"].to_list() == [2020, None, None, 2020]
    with pytest.raises(ImportValidationError) as info:
        problems.raise_if_any()
    assert [(p["line"], p["value"]) for p in info.value.problems] == [(3, "soon"), (4, "<missing>")]


@pytest.mark.parametrize(
    ("text", "label", "start", "years"),
    [
        ("2025-04-30", "2025", 2025, 1),  # ONS ELS gross median weekly pay (ASHE date)
        ("2021-04-01/P12M", "2021/22", 2021, 1),
        ("2021-01-01/P3M", "2021-01-01/P3M", 2021, 1),
        ("2005-01-01/P1M", "Jan 2005", 2005, 1),  # ONS ELS average house price, monthly
        ("2018-12-01/P1M", "Dec 2018", 2018, 1),
        ("2021-04-01/2022-03-31", "2021/22", 2021, 1),
        ("2018-01-01/2020-12-31", "2018 - 20", 2018, 3),
        ("2019-04-01/P3Y", "2019/20 - 21/22", 2019, 3),
    ],
)
def test_iso_dates_durations_and_intervals(text, label, start, years):
    frame = pl.DataFrame({"p": [text], "_line": [2]})
    problems = Problems("f.csv")
    out = parse_periods(frame, "p", problems, relabel_iso=True)
    problems.raise_if_any()
    row = out.row(0, named=True)
    assert (row["period_start"], row["period_years"]) == (start, years)
    assert row["p"] == label


@pytest.mark.parametrize(
    "text",
    [
        "2021-99",  # issue #14: was read as a 79-year period
        "2021 - 2099",
        "2021/99",  # a financial year ends the year after it starts
        "2015/16 - 17/19",
        "2021-13-01",  # no 13th month
        "2021-02-32/P1Y",
        "2021-01-01/P0Y",
        "2021-01-01/P25Y",
        "2022-03-31/2021-04-01",  # ends before it starts
    ],
)
def test_impossible_periods_are_refused(text):
    frame = pl.DataFrame({"p": [text], "_line": [7]})
    problems = Problems("f.csv")
    parse_periods(frame, "p", problems)
    with pytest.raises(ImportValidationError, match=r"line 7, column 'p'") as info:
        problems.raise_if_any()
    assert "at most 20 years" in str(info.value)


@pytest.mark.parametrize(
    ("text", "label", "start", "years"),
    [
        # ONS and other publishers' spellings of the same periods
        ("Q1 2020", "2020 Q1", 2020, 1),
        ("2020-Q1", "2020 Q1", 2020, 1),
        ("2020Q4", "2020 Q4", 2020, 1),
        ("Q3 2019/20", "2019/20 Q3", 2019, 1),
        ("2020 to 2022", "2020 - 2022", 2020, 3),
        ("2020/21 to 2022/23", "2020/21 - 22/23", 2020, 3),
        ("2018/19 - 2020/21", "2018/19 - 20/21", 2018, 3),
        ("Apr 2019 - Mar 2020", "2019/20", 2019, 1),
        ("January 2022 to December 2022", "2022", 2022, 1),
        ("Year ending March 2023", "2022/23", 2022, 1),
        ("Year ending December 2023", "2023", 2023, 1),
        ("12 months ending Jun 2023", "2022/23", 2022, 1),
        ("Financial year 2019/20", "2019/20", 2019, 1),
        ("FY 2019/20", "2019/20", 2019, 1),
        ("Academic year 2019/20", "2019/20", 2019, 1),
        ("2019/2020", "2019/20", 2019, 1),
        ("201920", "2019/20", 2019, 1),  # Department for Education time_period
        ("199900", "1999/00", 1999, 1),
        ("Apr-2020", "Apr 2020", 2020, 1),
        # ISO 8601 month (ONS Explore Local Statistics, 4G coverage "2023-04")
        ("2023-04", "2023-04", 2023, 1),
        ("2019-12", "2019-12", 2019, 1),
        ("2009-12", "2009-12", 2009, 4),  # years 2009 to 2012: the pooled reading stands
        # a bracketed note is kept in the label, not parsed
        ("2019 (2019 boundaries)", "2019 (2019 boundaries)", 2019, 1),
        ("2021/22 (provisional)", "2021/22 (provisional)", 2021, 1),
        ("2011-01-01/P3Y (revised)", "2011 - 13 (revised)", 2011, 3),
    ],
)
def test_other_spellings_of_periods(text, label, start, years):
    frame = pl.DataFrame({"p": [text], "_line": [2]})
    problems = Problems("f.csv")
    out = parse_periods(frame, "p", problems)
    problems.raise_if_any()
    assert out.row(0, named=True) == {
        "p": label,
        "_line": 2,
        "period_start": start,
        "period_years": years,
    }


@pytest.mark.parametrize(
    "text", ["201921", "2019/2021", "Q5 2020", "2020-00", "Year ending Smarch 2023", "2019 ()x"]
)
def test_near_misses_are_refused(text):
    frame = pl.DataFrame({"p": [text], "_line": [3]})
    problems = Problems("f.csv")
    parse_periods(frame, "p", problems)
    with pytest.raises(ImportValidationError, match="line 3"):
        problems.raise_if_any()
