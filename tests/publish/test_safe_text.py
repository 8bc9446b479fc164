import json
import re

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthgap.publish._safe_text import script_json, spreadsheet_safe, spreadsheet_text

# OWASP, "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection): the characters a
# spreadsheet reads as the start of a formula, and payloads of the issue (#14)
ATTACKS = [
    '=HYPERLINK("http://example.com/x","click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\n=1+1",
    "\uff1d1+1",  # full-width equals sign
    "-",
    "+",
]
HARMLESS = ["City of London", "Barking and Dagenham", "2021/22", "0-4", "E09000001", "a=b", ""]
NUMBERS = ["-3.5", "+2", "-0", "1e5", "-1.25E-3", ".5", "-7."]
TRIGGERS = set("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


@pytest.mark.parametrize("text", ATTACKS)
def test_formulas_get_a_leading_apostrophe(text):
    assert spreadsheet_text(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS + NUMBERS)
def test_plain_text_and_numbers_written_as_text_are_unchanged(text):
    # "-3.5" in a text cell is read by a spreadsheet as the number -3.5 and nothing else
    assert spreadsheet_text(text) == text


def test_xml_option_replaces_characters_a_workbook_cannot_hold():
    assert spreadsheet_text("a\x00b\x1fc\td", xml=True) == "a\ufffdb\ufffdc\td"
    assert spreadsheet_text("=1\x01", xml=True) == "'=1\ufffd"


@pytest.mark.parametrize("kind", ["polars", "pandas", "arrow"])
def test_frames_only_text_cells_and_names_change_and_kind_is_kept(kind):
    data = {
        "name": [*ATTACKS[:3], "London", None, "-3.5"],
        "value": [-1.5, -2.0, 3.0, 4.0, None, -3.5],
        "count": [-1, 2, 3, 4, 5, -6],
    }
    make = {"polars": pl.DataFrame, "pandas": pd.DataFrame, "arrow": pa.table}[kind]
    frame = make(data)
    if kind == "polars":
        frame = frame.rename({"count": "=count"})
    out = spreadsheet_safe(frame)
    assert type(out) is type(frame)
    got = pl.from_pandas(out) if kind == "pandas" else pl.DataFrame(out)
    expected_names = ["name", "value", "'=count" if kind == "polars" else "count"]
    assert got.columns == expected_names
    assert got["name"].to_list() == [
        "'" + ATTACKS[0],
        "'" + ATTACKS[1],
        "'" + ATTACKS[2],
        "London",
        None,
        "-3.5",
    ]
    assert got["value"].to_list()[:4] == [-1.5, -2.0, 3.0, 4.0]  # numbers stay numbers
    assert got[expected_names[2]].dtype.is_integer()
    assert got[expected_names[2]].to_list() == [-1, 2, 3, 4, 5, -6]


def test_categorical_columns_are_neutralised_as_text():
    frame = pl.DataFrame({"c": pl.Series(["=1+1", "x"], dtype=pl.Categorical)})
    assert spreadsheet_safe(frame)["c"].to_list() == ["'=1+1", "x"]


@given(st.text())
def test_property_safe_text_never_starts_a_formula_and_keeps_the_text(text):
    safe = spreadsheet_text(text)
    assert safe == text or safe == "'" + text
    stripped = safe.lstrip(" \t\r\n")
    starts_formula = (bool(stripped) and stripped[0] in TRIGGERS) or safe[:1] in ("\t", "\r")
    assert not starts_formula or re.fullmatch(r"[+\-]?[0-9.]+([eE][+\-]?[0-9]+)?", safe)
    assert spreadsheet_text(safe) == safe  # applying twice changes nothing more


@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_property_frames_agree_with_the_text_function(texts):
    out = spreadsheet_safe(pl.DataFrame({"t": texts}, schema={"t": pl.String}))
    assert out["t"].to_list() == [None if t is None else spreadsheet_text(t) for t in texts]


def test_script_json_escapes_what_ends_or_changes_a_script_element():
    value = {"area": "City <!--<script>", "note": "</script><b>&amp;", "sep": "a\u2028b\u2029"}
    text = script_json(value)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == value
    assert text == script_json(dict(reversed(value.items())))  # sorted keys: same text


@given(st.recursive(st.text(), lambda inner: st.dictionaries(st.text(), inner, max_size=4)))
def test_property_script_json_reads_back_and_holds_no_markup(value):
    text = script_json(value)
    assert json.loads(text) == value
    assert not set("<>&\u2028\u2029") & set(text)


def test_xml_cleaning_reaches_columns_without_formulas():
    frame = pl.DataFrame({"name": ["a\x01b", "c"], "n": [1, 2]})
    assert spreadsheet_safe(frame, xml=True)["name"].to_list() == ["a\ufffdb", "c"]
    assert spreadsheet_safe(frame)["name"].to_list() == ["a\x01b", "c"]
    assert spreadsheet_safe(pl.DataFrame({"n": [1]})).equals(pl.DataFrame({"n": [1]}))
