"""Fingertips-compatible endpoints: what fingertipsR and fingertips_py call, on our store.

The paths, parameters, JSON fields and CSV columns are those of the Fingertips API
(``https://fingertips.phe.org.uk/api/``), so a script written for Fingertips runs unchanged on
a healthgap server once its base URL points here. The data CSV is the export's Fingertips
layout (:func:`healthgap.sources.write_fingertips_csv`, 27 columns) with the parent area,
comparisons and recent trends filled in, on published values only.

There is one profile (id 1), holding every published indicator; its domains ("groups") are
the strategy's aims.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from healthgap.errors import InputError
from healthgap.publish.web import _fingertips_ids as ids
from healthgap.publish.web import _tables
from healthgap.publish.web._api import ERRORS
from healthgap.publish.web._published import NotPublishedError, Published

__all__ = ["FingertipsIds", "router"]

router = APIRouter(prefix="/api", tags=["Fingertips-compatible"], responses=ERRORS)

PROFILE_ID = 1
PROFILE_KEY = "healthgap"
IDS = r"^[A-Za-z0-9_.\-]+(,[A-Za-z0-9_.\-]+)*$"
METADATA_COLUMNS = {
    "Indicator ID": None,
    "Indicator": "name",
    "Definition": "definition",
    "Rationale": "rationale",
    "Data source": "data_source",
    "Methodology": "statistic",
    "Standard population/values": "standard_population",
    "Confidence interval details": "ci_method",
    "Definition of numerator": "numerator_definition",
    "Definition of denominator": "denominator_definition",
    "Disclosure control": None,
    "Caveats": "caveats",
    "Copyright": "attribution",
    "Data re-use": "licence",
    "Frequency": "frequency",
    "Unit": "unit",
    "Value type": "statistic",
    "Year type": "year_type",
    "Polarity": "polarity",
}
POLARITY = {
    "high_is_good": "RAG - High is good",
    "low_is_good": "RAG - Low is good",
    "no_judgement": "BOB - Blue orange blue",
}


class FingertipsIds:
    """Every Fingertips number of a published vintage set, made once (ages and notes lazily).

    Indicators, area types and groups are numbered at start; ages and value notes, which need
    every indicator's values, on first use.
    """

    def __init__(self, pub: Published) -> None:
        self._pub = pub
        fixed = {
            m.id: m.fingertips_id for m in pub.indicators.values() if m.fingertips_id is not None
        }
        if len(set(fixed.values())) < len(fixed):
            fixed = {}  # two indicators claim one Fingertips id: derive them all instead
        self.indicator = ids.number_map(pub.indicators, fixed)
        self.by_number = {v: k for k, v in self.indicator.items()}
        self.area_type = ids.area_type_ids(pub.areas["area_type"].to_list())
        self.types_of: dict[int, list[str]] = {}
        for ours, (number, _, _) in self.area_type.items():
            self.types_of.setdefault(number, []).append(ours)
        for alias in ids.LA_ALIASES:
            if "la" in self.area_type:
                self.types_of.setdefault(alias, ["la"])
        self.group = {d: n for n, (d, _, _) in enumerate(pub.domains(), start=1)}

    @classmethod
    def of(cls, pub: Published) -> FingertipsIds:
        """Number everything ``pub`` publishes."""
        return cls(pub)

    @functools.cached_property
    def age(self) -> dict[str, int]:
        """Age group -> id ("All ages" is Fingertips' 1)."""
        ages = set()
        for indicator_id in self._pub.indicators:
            ages.update(self._pub.values(indicator_id)["age"].unique().to_list())
        return ids.number_map(ages, {"All ages": ids.ALL_AGES})

    @functools.cached_property
    def note(self) -> dict[str, int]:
        """Value note -> id."""
        notes = set()
        for indicator_id in self._pub.indicators:
            frame = self._pub.values(indicator_id)
            notes.update(frame["value_note"].drop_nulls().unique().to_list())
        return ids.number_map(notes)

    def indicators(self, text: str) -> list[str]:
        """Our ids of a list of Fingertips numbers (our own text ids are accepted too)."""
        out = []
        for item in ids.parse_ids("indicator_ids", text):
            if item.isdigit() and int(item) in self.by_number:
                out.append(self.by_number[int(item)])
            elif item in self.indicator:
                out.append(item)
            else:
                raise NotPublishedError(
                    f"parameter 'indicator_ids': no indicator {item!r} is published"
                )
        return out

    def types(self, name: str, number: int) -> list[str]:
        """Our area types of a Fingertips area-type id (England, 15, is always known)."""
        if number == ids.AREA_TYPES["country"][0] and number not in self.types_of:
            return ["country"]  # Fingertips' default parent: a store without England has none
        if number not in self.types_of:
            known = sorted({n for n, _, _ in self.area_type.values()})
            raise NotPublishedError(f"parameter '{name}': no area type {number}; known: {known}")
        return self.types_of[number]


async def _pub(request: Request) -> Published:  # async: no thread for a lookup
    return request.app.state.published


async def _ids(request: Request) -> FingertipsIds:
    return request.app.state.fingertips


Pub = Annotated[Published, Depends(_pub)]
Ids = Annotated[FingertipsIds, Depends(_ids)]
AreaTypeId = Annotated[int, Query(ge=0, le=10**7)]
IdList = Annotated[str, Query(min_length=1, max_length=2000, pattern=IDS)]


def _csv(frame: pl.DataFrame, name: str, vintages: list[str]) -> Response:
    return Response(
        _tables.csv_bytes(frame),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def all_data(
    pub: Published,
    fid: FingertipsIds,
    indicator_ids: list[str],
    child_area_type_id: int,
    parent_area_type_id: int,
) -> pl.DataFrame:
    """Fingertips' all-data rows of indicators for one child area type and its parents.

    Rows: the child areas, their parents of ``parent_area_type_id`` and England, as the
    Fingertips download gives them.
    """
    from healthgap.sources import write_fingertips_csv

    child_types = fid.types("child_area_type_id", child_area_type_id)
    parent_types = fid.types("parent_area_type_id", parent_area_type_id)
    parent_of = pub.parent_of(parent_types[0])
    england = pub.comparators.get("england")
    region = pub.comparators.get("region")
    shown = set(child_types) | set(parent_types) | {"country"}
    frames = [
        _with_source_judgements(pub, i).filter(pl.col("area_type").is_in(list(shown)))
        for i in indicator_ids
    ]
    judged = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
    if judged.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(_columns(parent_types[0], fid), pl.String))
    with tempfile.TemporaryDirectory(prefix="healthgap-web-") as folder:
        path = Path(folder) / "all_data.csv"
        metas = [pub.indicators[i] for i in indicator_ids]
        write_fingertips_csv(judged.drop("area_name", "area_type").to_arrow(), None, metas, path)
        base = pl.read_csv(path, infer_schema=False)
    parent_code = judged["area_code"].replace_strict(
        parent_of, default=None, return_dtype=pl.String
    )
    compared_parent = (
        judged["compared_region"]
        if parent_types[0] == "region" and region is not None
        else pl.Series([None] * judged.height, dtype=pl.String)
    )
    # the source's own judgements where it published them (its parent is the region)
    if parent_types[0] == "region":
        compared_parent = judged["source_parent"].fill_null(compared_parent)
    type_label = {t: v[1] for t, v in fid.area_type.items()}
    out = base.with_columns(
        pl.Series("Indicator ID", [str(fid.indicator[i]) for i in judged["indicator_id"]]),
        pl.Series("Parent Code", parent_code),
        pl.Series(
            "Parent Name",
            parent_code.replace_strict(pub.names, default=None, return_dtype=pl.String),
        ),
        pl.Series("Area Name", judged["area_name"]),
        pl.Series(
            "Area Type",
            judged["area_type"].replace_strict(type_label, default=None, return_dtype=pl.String),
        ),
        pl.Series("Recent Trend", judged["source_trend"].fill_null(judged["recent_trend"])),
        pl.Series(
            "Compared to England value or percentiles",
            judged["source_england"].fill_null(
                judged["compared_england"]
                if england is not None
                else pl.Series([None] * judged.height, dtype=pl.String)
            ),
        ),
        pl.Series("Compared to percentiles", compared_parent),
        pl.Series("Compared to goal", judged["source_goal"]),
    )
    return out.rename({"Compared to percentiles": _parent_column(parent_types[0], fid)})


def _with_source_judgements(pub: Published, indicator_id: str) -> pl.DataFrame:
    """An indicator's judged values with the source's own judgements (``source_...``)."""
    from healthgap.store.schema import VALUE_KEYS

    theirs = pub.source_judgements(indicator_id).select(
        *VALUE_KEYS,
        source_trend="recent_trend",
        source_england="compared_to_england",
        source_parent="compared_to_parent",
        source_goal="compared_to_goal",
    )
    return pub.judged(indicator_id).join(
        theirs, on=list(VALUE_KEYS), how="left", nulls_equal=True, maintain_order="left"
    )


def _parent_column(parent_type: str, fid: FingertipsIds) -> str:
    if parent_type == "country":  # England is already compared with in its own column
        return "Compared to percentiles"
    short = fid.area_type.get(parent_type, (0, "", parent_type))[2]
    return f"Compared to {short} value or percentiles"


def _columns(parent_type: str, fid: FingertipsIds) -> list[str]:
    from healthgap.sources.fingertips import API_COLUMNS

    parent = _parent_column(parent_type, fid)
    return [parent if c == "Compared to percentiles" else c for c in API_COLUMNS]


@router.get(
    "/all_data/csv/by_indicator_id",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Data of indicators for an area type (Fingertips CSV)",
)
def all_data_by_indicator_id(
    pub: Pub,
    fid: Ids,
    indicator_ids: IdList,
    child_area_type_id: AreaTypeId,
    parent_area_type_id: AreaTypeId = 15,
    profile_id: Annotated[int | None, Query(ge=0, le=10**7)] = None,
    include_sortable_time_periods: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """Every published value of the indicators for areas of ``child_area_type_id``."""
    wanted = fid.indicators(indicator_ids)
    frame = all_data(pub, fid, wanted, child_area_type_id, parent_area_type_id)
    return _csv(frame, "indicators-data", pub.vintage_ids)


@router.get(
    "/all_data/csv/by_profile_id",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Data of every indicator of a profile (Fingertips CSV)",
)
def all_data_by_profile_id(
    pub: Pub,
    fid: Ids,
    child_area_type_id: AreaTypeId,
    profile_id: Annotated[int, Query(ge=0, le=10**7)],
    parent_area_type_id: AreaTypeId = 15,
) -> Response:
    """Every published value of the profile's indicators for areas of one type."""
    _profile(profile_id)
    frame = all_data(pub, fid, list(pub.indicators), child_area_type_id, parent_area_type_id)
    return _csv(frame, "profile-data", pub.vintage_ids)


def _profile(profile_id: int) -> None:
    if profile_id != PROFILE_ID:
        raise NotPublishedError(
            f"parameter 'profile_id': no profile {profile_id}; known: [{PROFILE_ID}]"
        )


def metadata_frame(pub: Published, fid: FingertipsIds, indicator_ids: list[str]) -> pl.DataFrame:
    """Fingertips' indicator-metadata CSV rows."""
    rows = []
    for indicator_id in indicator_ids:
        meta = pub.indicators[indicator_id]
        row: dict[str, Any] = {}
        for column, field in METADATA_COLUMNS.items():
            if column == "Indicator ID":
                row[column] = str(fid.indicator[indicator_id])
            elif column == "Disclosure control":
                row[column] = meta.disclosure.note
            elif column == "Polarity":
                row[column] = POLARITY[meta.polarity]
            else:
                value = getattr(meta, field)
                row[column] = "" if value is None else str(value)
        rows.append(row)
    return pl.DataFrame(rows, schema=dict.fromkeys(METADATA_COLUMNS, pl.String))


@router.get(
    "/indicator_metadata/csv/by_indicator_id",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Metadata of indicators (Fingertips CSV)",
)
def metadata_by_indicator_id(pub: Pub, fid: Ids, indicator_ids: IdList) -> Response:
    """Definitions, sources and methods of the indicators."""
    return _csv(metadata_frame(pub, fid, fid.indicators(indicator_ids)), "metadata", [])


@router.get(
    "/indicator_metadata/csv/all",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Metadata of every indicator (Fingertips CSV)",
)
def metadata_all(pub: Pub, fid: Ids) -> Response:
    """Definitions, sources and methods of every published indicator."""
    return _csv(metadata_frame(pub, fid, list(pub.indicators)), "metadata", [])


@router.get(
    "/indicator_metadata/csv/by_profile_id",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Metadata of a profile's indicators (Fingertips CSV)",
)
def metadata_by_profile_id(
    pub: Pub, fid: Ids, profile_id: Annotated[int, Query(ge=0, le=10**7)]
) -> Response:
    """Definitions of every indicator of the profile."""
    _profile(profile_id)
    return _csv(metadata_frame(pub, fid, list(pub.indicators)), "metadata", [])


@router.get(
    "/indicator_metadata/csv/by_group_id",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Metadata of a domain's indicators (Fingertips CSV)",
)
def metadata_by_group_id(
    pub: Pub, fid: Ids, group_id: Annotated[int, Query(ge=0, le=10**7)]
) -> Response:
    """Definitions of every indicator of one domain (group)."""
    for domain, _, members in pub.domains():
        if fid.group[domain] == group_id:
            return _csv(metadata_frame(pub, fid, members), "metadata", [])
    raise NotPublishedError(
        f"parameter 'group_id': no group {group_id}; known: {sorted(fid.group.values())}"
    )


def _meta_json(pub: Published, fid: FingertipsIds, indicator_id: str) -> dict[str, Any]:
    meta = pub.indicators[indicator_id]
    return {
        "IID": fid.indicator[indicator_id],
        "Descriptive": {
            "Name": meta.name,
            "Definition": meta.definition,
            "Rationale": meta.rationale,
            "DataSource": meta.data_source,
            "IndicatorNumber": indicator_id,
        },
        "Unit": {"Label": meta.unit, "Value": meta.multiplier},
        "ValueType": {"Name": meta.statistic},
        "ConfidenceIntervalMethod": {"Name": meta.ci_method or meta.method},
        "Polarity": POLARITY[meta.polarity],
        "YearType": {"Name": meta.year_type},
    }


@router.get("/indicator_metadata/by_indicator_id", summary="Metadata of indicators (JSON)")
def metadata_json(pub: Pub, fid: Ids, indicator_ids: IdList) -> dict[str, dict[str, Any]]:
    """Metadata keyed by indicator number, as Fingertips' JSON gives it."""
    wanted = fid.indicators(indicator_ids)
    return {str(fid.indicator[i]): _meta_json(pub, fid, i) for i in wanted}


@router.get("/indicator_metadata/all", summary="Metadata of every indicator (JSON)")
def metadata_all_json(
    pub: Pub,
    fid: Ids,
    include_definition: Annotated[str | None, Query(max_length=8)] = None,
    include_system_content: Annotated[str | None, Query(max_length=8)] = None,
) -> dict[str, dict[str, Any]]:
    """Metadata of every published indicator keyed by number."""
    return {str(fid.indicator[i]): _meta_json(pub, fid, i) for i in pub.indicators}


@router.get("/area_types", summary="Area types")
def area_types(
    pub: Pub,
    fid: Ids,
    profile_ids: Annotated[str | None, Query(max_length=200, pattern=IDS)] = None,
) -> list[dict[str, Any]]:
    """Area types with their Fingertips ids (the profile holds them all)."""
    if profile_ids:
        for item in ids.parse_ids("profile_ids", profile_ids):
            if not item.isdigit():
                raise InputError(f"parameter 'profile_ids': {item!r} is not a number")
            _profile(int(item))
    seen, out = set(), []
    for number, name, short in fid.area_type.values():
        if number not in seen:
            seen.add(number)
            out.append({"Id": number, "Name": name, "Short": short, "CanBeDisplayedOnMap": True})
    return sorted(out, key=lambda r: r["Id"])


@router.get("/areas/by_area_type", summary="Areas of a type")
def areas_by_area_type(pub: Pub, fid: Ids, area_type_id: AreaTypeId) -> list[dict[str, Any]]:
    """Areas of one type: Code, Name, Short, AreaTypeId."""
    types = fid.types("area_type_id", area_type_id)
    rows = pub.areas.filter(pl.col("area_type").is_in(types))
    return [
        {"Code": c, "Name": n, "Short": n, "AreaTypeId": area_type_id}
        for c, n in zip(rows["area_code"], rows["area_name"], strict=True)
    ]


def _profile_json(pub: Published, fid: FingertipsIds) -> dict[str, Any]:
    return {
        "Id": PROFILE_ID,
        "Name": pub.strategy.name,
        "Key": PROFILE_KEY,
        "GroupIds": sorted(fid.group.values()),
    }


@router.get("/profiles", summary="Profiles")
def profiles(pub: Pub, fid: Ids) -> list[dict[str, Any]]:
    """The one profile: every published indicator, in the strategy's domains."""
    return [_profile_json(pub, fid)]


@router.get("/profile", summary="One profile")
def profile(
    pub: Pub, fid: Ids, profile_id: Annotated[int, Query(ge=0, le=10**7)]
) -> dict[str, Any]:
    """A profile with its domain (group) ids."""
    _profile(profile_id)
    return _profile_json(pub, fid)


@router.get("/group_metadata", summary="Domains of a profile")
def group_metadata(
    pub: Pub, fid: Ids, group_ids: Annotated[str, Query(min_length=1, max_length=200, pattern=IDS)]
) -> list[dict[str, Any]]:
    """Domain names by group id."""
    wanted = {int(g) for g in ids.parse_ids("group_ids", group_ids) if g.isdigit()}
    return [
        {"Id": fid.group[d], "Name": name, "ProfileId": PROFILE_ID}
        for d, name, _ in pub.domains()
        if fid.group[d] in wanted
    ]


@router.get("/ages", summary="Ages")
def ages(fid: Ids) -> list[dict[str, Any]]:
    """Age groups of the published values with their ids."""
    return [{"Id": n, "Name": a} for a, n in sorted(fid.age.items(), key=lambda kv: kv[1])]


@router.get("/sexes", summary="Sexes")
def sexes() -> list[dict[str, Any]]:
    """Fingertips' sexes and their ids."""
    return [{"Id": n, "Name": s} for s, n in ids.SEXES.items()]


@router.get("/value_notes", summary="Value notes")
def value_notes(fid: Ids) -> list[dict[str, Any]]:
    """Notes on published values (e.g. suppression) with their ids."""
    return [{"Id": n, "Text": t} for t, n in sorted(fid.note.items(), key=lambda kv: kv[1])]


@router.get("/available_data", summary="Which indicators exist for which area types")
def available_data(pub: Pub, fid: Ids) -> list[dict[str, Any]]:
    """IndicatorId and AreaTypeId of every published combination."""
    out = []
    for indicator_id in pub.indicators:
        types = pub.values(indicator_id)["area_type"].drop_nulls().unique().sort().to_list()
        numbers = sorted({fid.area_type[t][0] for t in types if t in fid.area_type})
        out += [{"IndicatorId": fid.indicator[indicator_id], "AreaTypeId": n} for n in numbers]
    return out
