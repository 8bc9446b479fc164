"""Where every figure comes from: the vintages a report uses, their sources and licences.

A report is reproducible from its vintage set: ``vintages.json`` in the report folder lists
each vintage's id with the indicators it supplied, and the command that rebuilds the report
(``healthgap report --vintage ID --vintage ID ...``).
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from healthgap.publish.report._data import ReportData
from healthgap.publish.report._model import Section, plain_table


def _licences(data: ReportData, ids: tuple[str, ...]) -> str:
    found = sorted({data.meta(i).licence for i in ids if data.meta(i).licence})
    return "; ".join(found)


def source_note(data: ReportData, indicator_id: str) -> str:
    """One sentence naming an indicator's source, vintage and licence."""
    use = data.source_of(indicator_id)
    if use is None:
        return ""
    r = use.record
    label = f" ({r['label']})" if r.get("label") else ""
    meta = data.meta(indicator_id)
    source = meta.data_source or r["source"]
    licence = f"; licence: {meta.licence}" if meta.licence else ""
    return f"Source: {source}{label}, vintage {r['id'][:8]}{licence}."


def vintage_frame(data: ReportData) -> pl.DataFrame:
    """One row per vintage used: id, source, label, code version, licences, indicators.

    The vintage's wall-clock creation time is left out (as in the footer): the id is a hash
    of the content, and the same vintages must give the same report whichever store holds
    them (``healthgap vintages show ID`` gives the time).
    """
    return pl.DataFrame(
        {
            "Vintage": [u.record["id"] for u in data.vintages],
            "Source": [u.record["source"] for u in data.vintages],
            "Label": [u.record.get("label") or "" for u in data.vintages],
            "healthgap version": [u.record.get("code_version") or "" for u in data.vintages],
            "Licence": [_licences(data, u.indicator_ids) for u in data.vintages],
            "Indicators used": [len(u.indicator_ids) for u in data.vintages],
        },
        schema={
            "Vintage": pl.String,
            "Source": pl.String,
            "Label": pl.String,
            "healthgap version": pl.String,
            "Licence": pl.String,
            "Indicators used": pl.Int64,
        },
    )


def provenance_section(data: ReportData) -> Section:
    """The sources section: every vintage used, and how to rebuild the report."""
    section = Section("sources", "Sources and vintages")
    section.paragraphs += [
        "Every figure in this report comes from one of these vintages of the store (each "
        "indicator from the latest vintage holding it, unless vintages were named). A "
        "vintage never changes, so the same vintages give the same report.",
        "To rebuild this report: " + rebuild_command(data) + ".",
    ]
    section.items.append(
        plain_table("methods-vintages", "Vintages used in this report", vintage_frame(data))
    )
    return section


def rebuild_command(data: ReportData) -> str:
    """The ``healthgap report`` command that uses exactly this report's vintages and area."""
    vintages = " ".join(f"--vintage {u.record['id']}" for u in data.vintages)
    return f"healthgap report {vintages} --area {data.region} --out REPORT"


def vintages_json(data: ReportData) -> str:
    """The report's vintage set as JSON (written as ``vintages.json``)."""
    body: dict[str, Any] = {
        "area": data.region,
        "national": data.national,
        "vintages": [
            {
                "id": u.record["id"],
                "source": u.record["source"],
                "label": u.record.get("label") or "",
                "code_version": u.record.get("code_version") or "",
                "licences": _licences(data, u.indicator_ids),
                "indicators": list(u.indicator_ids),
            }
            for u in data.vintages
        ],
        "command": rebuild_command(data),
    }
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


#: A table drawing on more vintages than this names them on the methods page instead.
MAX_NAMED = 3


def sources_note(data: ReportData, ids: list[str]) -> str:
    """Where a table's values come from: each vintage's source, label, id and licence."""
    uses = [u for u in data.vintages if set(u.indicator_ids) & set(ids)]
    if len(uses) > MAX_NAMED:
        # a table drawing on many sources names them once, on the methods page
        return (
            f"Sources: {len(uses)} vintages of published statistics, each with its publisher, "
            "licence and id under 'Sources and vintages' on the methods page."
        )
    said = "; ".join(
        f"{u.record['source']}"
        + (f" ({u.record['label']})" if u.record.get("label") else "")
        + f", vintage {u.record['id'][:8]}"
        + (f", {_licences(data, u.indicator_ids)}" if _licences(data, u.indicator_ids) else "")
        for u in uses
    )
    return f"Source: {said}." if said else ""
