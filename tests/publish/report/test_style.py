"""Colour contrast of the comparison vocabulary (WCAG 2.2 relative luminance)."""

import pytest

from healthgap.publish.report import _style


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("label", list(_style.STYLES))
def test_text_on_map_tiles_and_table_tints_reaches_4_5_to_1(label):
    mark, _shape, tint, _symbol = _style.STYLES[label]
    assert _contrast(_style.ON_MARK, mark) >= 4.5  # tile labels (WCAG 1.4.3)
    assert _contrast(_style.TEXT, tint) >= 4.5  # table cells
    assert _contrast(mark, "#FFFFFF") >= 3  # marks on the white page (WCAG 1.4.11)
