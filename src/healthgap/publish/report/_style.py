"""One visual vocabulary for comparisons: colour (colour-blind safe) AND shape AND symbol.

Colours are from Okabe and Ito's colour-blind-safe palette (Okabe M, Ito K. Color universal
design, 2008), darkened where a mark must reach 3:1 contrast on white (WCAG 2.2, 1.4.11);
table tints are light so that dark text keeps 4.5:1. Every judgement also has its own shape
in charts and its own symbol in tables, so nothing depends on colour alone (WCAG 1.4.1).
"""

from __future__ import annotations

#: comparison label -> (mark colour, Vega-Lite shape, table tint, symbol)
STYLES: dict[str, tuple[str, str, str, str]] = {
    "Better": ("#0072B2", "circle", "#CFE5F4", "●"),
    "Similar": ("#6E6E6E", "square", "#ECECEC", "■"),
    "Worse": ("#C24E00", "diamond", "#F9D9C4", "◆"),
    "Higher": ("#7B3F8C", "triangle-up", "#E7DAEE", "▲"),
    "Lower": ("#00785A", "triangle-down", "#CDEDE3", "▼"),
    "Not compared": ("#767676", "cross", "#FFFFFF", "×"),
}
ORDER = tuple(STYLES)
TEXT = "#1A1A1A"
#: text drawn on a mark colour (map tiles): white has >= 4.5:1 on every mark colour above
ON_MARK = "#FFFFFF"
RANGE_OUTER, RANGE_INNER, BENCHMARK = "#D9D9D9", "#A6A6A6", "#1A1A1A"
SERIES_COLOURS = ("#0072B2", "#C24E00", "#00785A", "#7B3F8C", "#6E6E6E")
FONT = "DejaVu Sans, Verdana, sans-serif"
AXIS_LABEL = 42  # characters of an axis label; the full text is in tooltips and tables


def base_label(comparison: str | None) -> str:
    """The comparison without its level ("Better 95%" -> "Better"); unknown -> Not compared."""
    if not comparison:
        return "Not compared"
    word = comparison.split(" ")[0]
    return word if word in STYLES else "Not compared"


def scale_domain(labels: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Domain, colours and shapes of the labels present, in the fixed order."""
    present = [k for k in ORDER if k in set(labels)]
    return (present, [STYLES[k][0] for k in present], [STYLES[k][1] for k in present])


#: Vega-Lite config shared by every chart: readable fonts, dark text, no chart border.
CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    # labelLimit 0: no truncation. Truncating measures each label again and again, which
    # makes vl-convert several times slower; long labels are shortened before (AXIS_LABEL).
    "axis": {
        "labelColor": TEXT,
        "titleColor": TEXT,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "domainColor": "#595959",
        "tickColor": "#595959",
        "labelLimit": 0,
    },
    "legend": {
        "labelColor": TEXT,
        "titleColor": TEXT,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "labelLimit": 0,
    },
    "title": {"color": TEXT, "fontSize": 13, "anchor": "start"},
    "header": {"labelColor": TEXT, "titleColor": TEXT},
    "text": {"color": TEXT},
}
