"""Shared row checks (private module healthgap.sources._validate): numbers and messages."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthgap.sources._validate import ImportValidationError, Problems, numbers


def _parse(texts: list[str | None]) -> tuple[list, Problems]:
    frame = pl.DataFrame({"v": texts, "_line": list(range(2, 2 + len(texts)))})
    problems = Problems("f.csv")
    return numbers(frame, ["v"], problems)["v"].to_list(), problems


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("72,293", 72293.0),  # Fingertips chart export: "quoted thousands"
        ("1,234,567.25", 1234567.25),
        ("-1,234", -1234.0),
        ("72 293", 72293.0),
        ("72\u00a0293", 72293.0),  # no-break space, as Excel groups thousands in French
        ('<div class="no-data">-</div>', None),
        ("<b>12.5</b>", 12.5),
        ("..", None),
        ("[c]", None),  # GSS shorthand: confidential (suppressed)
        ("[x]", None),  # not available
        ("[z]", None),  # not applicable
        ("[low]", None),  # rounds to zero
        ("[u]", None),  # low reliability, shown alone where ONS withholds the number
        ("c", None),
        (":", None),
        ("  7.5 ", 7.5),
        ("1e3", 1000.0),
    ],
)
def test_numbers_official_files_write(text, number):
    values, problems = _parse(["1", text])
    problems.raise_if_any()
    assert values == [1.0, number]


@pytest.mark.parametrize(
    "text",
    [
        "12,5",  # issue #14: a decimal comma was stored as 125
        "1,2,3",  # issue #14: stored as 123
        "1,23",
        "1234,567",
        "1 2",
        "12.5%",
        "ten",
        "inf",
        "NaN",
        "-inf",
    ],
)
def test_text_that_is_not_a_plain_number_is_refused(text):
    _, problems = _parse(["1", text])
    with pytest.raises(ImportValidationError, match=r"line 3, column 'v'") as info:
        problems.raise_if_any()
    assert info.value.total == 1
    assert "\n" not in str(info.value)


def test_decimal_comma_message_says_why():
    _, problems = _parse(["12,5"])
    with pytest.raises(ImportValidationError, match=r"a decimal comma \(12,5\)"):
        problems.raise_if_any()


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_grouped_thousands_read_back_exactly(x):
    text = f"{x:,.3f}"
    values, problems = _parse([text])
    problems.raise_if_any()
    assert values == [float(f"{x:.3f}")]


def test_message_is_one_line_and_cuts_huge_values():
    _, problems = _parse(["x" * 10_000, "y\nz"])
    with pytest.raises(ImportValidationError) as info:
        problems.raise_if_any()
    message = str(info.value)
    assert "\n" not in message
    assert len(message) < 600
    assert "2 problem(s)" in message
