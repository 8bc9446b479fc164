import os
import re
import shutil
import subprocess
import time

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow


def test_pdf_has_contents_page_numbers_and_is_deterministic(pdf_reports):
    (first, out1), (second, out2) = pdf_reports
    assert first.pdf_path == out1 / "report.pdf"
    assert first.pdf_path.is_file()
    assert first.pdf_pages == second.pdf_pages
    assert first.pdf_pages > first.n_pages
    assert first.pdf_path.read_bytes().startswith(b"%PDF")
    html = (out1 / "print.html").read_text(encoding="utf-8")
    assert '<nav class="contents">' in html
    assert "target-counter" in (out1 / "assets" / "print.css").read_text()
    assert "counter(pages)" in (out1 / "assets" / "print.css").read_text()
    files = sorted(p.relative_to(out1) for p in out1.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(out2) for p in out2.rglob("*") if p.is_file())
    assert [f for f in files if (out1 / f).read_bytes() != (out2 / f).read_bytes()] == []


def test_print_document_embeds_svg_charts_with_alternatives(pdf_reports):
    (_, out), _ = pdf_reports
    html = (out / "print.html").read_text(encoding="utf-8")
    images = re.findall(r'<img src="([^"]+)" alt="([^"]*)"', html)
    assert len(images) >= 8
    for src, alt in images:
        assert src.endswith(".svg")
        assert len(alt) > 40
        svg = (out / src).read_text(encoding="utf-8")
        assert svg.startswith("<svg")
        assert svg.count("<path") + svg.count("<rect") > 5
    # every section of every page is in the print document
    for page in (
        "Overview",
        "Boroughs",
        "Indicators",
        "Inequality in life expectancy",
        "Commitments",
        "Methods and definitions",
        "Data downloads",
    ):
        assert f">{page}</a>" in html  # listed on the contents page
    assert html.count('class="chapter"') == len(list(out.glob("*.html"))) - 1
    # the tiny store has boundaries: its map is a choropleth (in the HTML)
    assert "geoshape" in (out / "indicator-infant-mortality.html").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) absent")
def test_pdf_pages_are_not_blank_and_show_charts(pdf_reports, tmp_path):
    (result, _), _ = pdf_reports
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(result.pdf_path), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == result.pdf_pages
    ink = []
    colour = []
    for path in pages:
        pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
        ink.append(float((pixels.min(axis=2) < 200).mean()))
        spread = pixels.max(axis=2) - pixels.min(axis=2)
        colour.append(float((spread > 60).mean()))
    assert min(ink) > 0.005, f"a blank page: {ink}"
    # charts (coloured marks, not only the red synthetic banner) on several pages
    assert sum(c > 0.02 for c in colour) >= 4, colour


def test_fonts_subset_by_fonttools_carry_no_time_of_writing(monkeypatch):
    # without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which stamps each font
    # with timestampNow(): inside the PDF writer's context that is fixed, and the caller's
    # environment is as it was afterwards
    from fontTools.misc.timeTools import timestampNow

    from healthgap.publish.report.builder import _fixed_font_timestamps

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    with _fixed_font_timestamps():
        first = timestampNow()
        time.sleep(1.1)
        assert timestampNow() == first
    assert "SOURCE_DATE_EPOCH" not in os.environ
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    with _fixed_font_timestamps():
        assert os.environ["SOURCE_DATE_EPOCH"] == "1700000000"
    assert os.environ["SOURCE_DATE_EPOCH"] == "1700000000"
