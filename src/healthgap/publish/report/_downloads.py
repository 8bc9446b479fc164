"""The data downloads page: every table behind the report, as CSV and Excel."""

from __future__ import annotations

from healthgap.publish.report._data import ReportData
from healthgap.publish.report._model import Page, Section


def downloads(data: ReportData, pages: list[Page]) -> Page:
    """Links to every table behind every chart, as CSV and Excel."""
    sections = []
    whole = Section("all-values", "All published values")
    whole.paragraphs.append(
        f"Every value of these vintages for {data.region_name}, its areas"
        + (f" and {data.national_name}" if data.national else "")
        + ", after disclosure control; vintages.json lists the vintages."
    )
    whole.links = [("downloads/values.csv", "All values (CSV)")]
    sections.append(whole)
    for page in pages:
        tables = page.tables()
        if not tables:
            continue
        sec = Section(f"downloads-{page.slug}", page.title)
        sec.links = [(f"downloads/{page.slug}.xlsx", f"All tables of '{page.title}' (Excel)")]
        sec.links += [(f"downloads/{tid}.csv", f"{title} (CSV)") for tid, title, _ in tables]
        sections.append(sec)
    return Page(
        "downloads",
        "Data downloads",
        "The tables behind every chart and table of the "
        "report, as CSV and Excel, with disclosure control applied.",
        sections,
        nav="downloads",
        in_print=False,  # the cover says where the downloads are
    )
