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
        "Inequality in life expectancy",
        "Commitments",
        "Methods and definitions",
    ):
        assert f">{page}</a>" in html  # listed on the contents page
    # the PDF is the publication: every HTML page is a chapter but the two lists of links
    # (the contents page lists the profiles), the indicator pages (their charts are in the
    # HTML report), the downloads page (the cover says where they are) and print.html
    n_indicators = len(list(out.glob("indicator-*.html")))
    chapters = len(list(out.glob("*.html"))) - 3 - n_indicators - 1
    assert html.count('<article class="chapter') == chapters
    assert ">Data downloads</a>" not in html
    assert html.count('<article class="chapter profile"') == 3  # one per area
    # the tiny store has boundaries: its map is a choropleth (in the HTML)
    assert "geoshape" in (out / "indicator-infant-mortality.html").read_text(encoding="utf-8")


DPI = 30
MM = DPI / 25.4  # pixels per millimetre


def _render(pdf, folder):
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(folder / "page")], check=True)
    return [
        np.asarray(Image.open(p).convert("RGB")).astype(int)
        for p in sorted(folder.glob("page-*.png"))
    ]


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) absent"
)


@needs_poppler
def test_pdf_pages_are_not_blank_and_show_charts(pdf_reports, tmp_path):
    (result, _), _ = pdf_reports
    pages = _render(result.pdf_path, tmp_path)
    assert len(pages) == result.pdf_pages
    ink = []
    colour = []
    for pixels in pages:
        ink.append(float((pixels.min(axis=2) < 200).mean()))
        spread = pixels.max(axis=2) - pixels.min(axis=2)
        colour.append(float((spread > 60).mean()))
    # no page (nearly) blank: a page with only a heading or a table's last row has < 1% ink
    assert min(ink) > 0.01, f"a nearly blank page: {[round(i, 4) for i in ink]}"
    # charts (coloured marks, not only the red synthetic banner) on several pages
    assert sum(c > 0.02 for c in colour) >= 4, colour


@needs_poppler
def test_nothing_crosses_the_page_box(pdf_reports, tmp_path):
    # the side margins are 12 to 14 mm; the outer 6 mm of each side, and the outer 3 mm of
    # the top and bottom (the running header and footer sit further in), stay white: a
    # table or chart too wide for its page would run into them (or be cut off at the edge)
    (result, _), _ = pdf_reports
    pages = _render(result.pdf_path, tmp_path)
    side, edge = round(6 * MM), round(3 * MM)
    crossing = []
    for n, pixels in enumerate(pages, start=1):
        dark = pixels.min(axis=2) < 230
        bands = (dark[:, :side], dark[:, -side:], dark[:edge, :], dark[-edge:, :])
        if any(band.any() for band in bands):
            crossing.append(n)
    assert crossing == [], f"ink in the page margins on pages {crossing}"
    # the tartan rug is printed on landscape pages
    widths = {p.shape[1] > p.shape[0] for p in pages}
    assert widths == {True, False}


@needs_poppler
def test_profiles_take_one_page_each(pdf_reports):
    # the tiny store's 3 areas: cover, contents, overview and rug, 3 one-page profiles,
    # the indicators flowing on, inequality, commitments, methods, downloads
    (result, out), _ = pdf_reports
    html = (out / "print.html").read_text(encoding="utf-8")
    assert result.pdf_pages <= 22, result.pdf_pages
    text = subprocess.run(
        ["pdftotext", "-layout", str(result.pdf_path), "-"], capture_output=True, check=True
    ).stdout.decode()
    pages = text.split("\f")
    for name in ("City of London", "Barking and Dagenham", "Barnet"):
        assert f"<h1>{name}</h1>" in html
        # the running footer names the chapter: exactly one page carries each profile's name
        footers = [
            p for p in pages if any(name in line and "Page " in line for line in p.splitlines())
        ]
        assert len(footers) == 1, (name, len(footers))


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
