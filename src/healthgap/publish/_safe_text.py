"""Text made safe for where it is published: spreadsheet cells and script blocks of HTML.

Spreadsheets run a cell as a formula when its text begins with ``=``, ``+``, ``-`` or ``@``
(and Excel strips a leading tab or carriage return first), so a name such as
``=HYPERLINK("http://...","click")`` or ``=cmd|' /C calc'!A0`` in a CSV file or workbook
becomes a live link or a command (OWASP, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection). OWASP's remedy is a leading
apostrophe, which makes the cell plain text. Only text cells are touched: numbers stay
numbers, and text that is exactly a number (``-3.5``, which a spreadsheet reads as that
number and nothing else) is left as written.

Inside ``<script>`` the HTML parser ends the element at ``</script>`` and changes state at
``<!--``, whatever JSON quoting says, and U+2028/U+2029 end a line in older JavaScript; the
JSON written there escapes ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\uXXXX``, which every
JSON parser reads back as the same characters (HTML Living Standard, 4.12.1.3 "Restrictions
for contents of script elements").
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import narwhals.stable.v2 as nw

FrameT = TypeVar("FrameT")

#: What a spreadsheet may read as the start of a formula: =, +, -, @ (and their full-width
#: forms, which Excel accepts in East Asian locales), after any spaces or line breaks, or a
#: leading tab or carriage return (OWASP CSV Injection).
FORMULA_START = "^(?:[ \\t\\r\\n]*[=+\\-@\uff1d\uff0b\uff0d\uff20]|[\\t\\r])"
#: Text that is exactly a decimal number, which a spreadsheet reads as that number only.
PLAIN_NUMBER = r"^[+\-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-]?[0-9]+)?$"
_FORMULA_START = re.compile(FORMULA_START)
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)
#: Characters XML 1.0 cannot hold, which a workbook therefore cannot either.
XML_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"
_XML_ILLEGAL = re.compile(XML_ILLEGAL)
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def spreadsheet_text(text: str, *, xml: bool = False) -> str:
    """Return ``text`` as a spreadsheet shows it and never runs it: ``'`` before a formula.

    With ``xml`` (for workbooks), control characters XML cannot hold become U+FFFD.
    """
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.match(text):
        text = "'" + text
    return _XML_ILLEGAL.sub("\ufffd", text) if xml else text


def spreadsheet_safe(data: FrameT, *, xml: bool = False) -> FrameT:
    """Return the frame with every text cell and column name made :func:`spreadsheet_text`.

    Text columns (strings, and categoricals, which become strings when a cell changes) are
    first searched in one vectorised pass; a frame with nothing to rewrite (nearly always)
    is returned as it came.
    Numeric, date and boolean columns are returned unchanged.
    With ``xml`` (for workbooks), control characters XML cannot hold become U+FFFD.
    Takes and returns pandas, Polars or Arrow.
    """
    frame = nw.from_native(data, eager_only=True)
    text = [
        name
        for name, dtype in frame.schema.items()
        if dtype == nw.String or dtype == nw.Categorical or dtype == nw.Enum
    ]
    renamed = {name: spreadsheet_text(name, xml=xml) for name in frame.columns}
    cells = {name: nw.col(name).cast(nw.String) for name in text}
    # one vectorised search of every text cell; usually it finds nothing to rewrite
    risky = (
        cells
        and len(frame)
        and frame.select(
            nw.any_horizontal(
                *(c.str.contains(FORMULA_START) for c in cells.values()), ignore_nulls=True
            ).any()
        ).item()
    )
    if not risky:
        cells = {}
    if not cells and not (xml and text) and all(k == v for k, v in renamed.items()):
        return data  # nothing a spreadsheet could run: the frame as it came
    if cells:
        frame = frame.with_columns(
            nw.when(c.str.contains(FORMULA_START) & ~c.str.contains(PLAIN_NUMBER))
            .then(nw.concat_str([nw.lit("'"), c]))
            .otherwise(c)
            .alias(name)
            for name, c in cells.items()
        )
    if xml and text:
        frame = frame.with_columns(
            nw.col(name).cast(nw.String).str.replace_all(XML_ILLEGAL, "\ufffd") for name in text
        )
    if any(old != new for old, new in renamed.items()):
        frame = frame.rename(renamed)
    return frame.to_native()


def script_json(value: Any) -> str:
    """Return ``value`` as JSON that can sit inside an HTML ``<script>`` element.

    ``<``, ``>``, ``&``, U+2028 and U+2029 are written as ``\\u`` escapes, so no text in the
    data can close the element (``</script>``), open a comment state (``<!--``) or end a
    JavaScript line; keys are sorted, so the same value gives the same text.
    """
    raw = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], raw)
