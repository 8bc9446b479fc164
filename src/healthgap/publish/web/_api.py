"""API v1: indicators, areas, values, comparisons, trends, inequalities and vintages.

Every response names the published vintage set it was read from, in the
``X-Healthgap-Vintages`` header and in the payload (``vintages``), so two requests never mix
vintages unknowingly. Values are always the published ones (disclosure control applied).
Lists are paginated (``limit``, ``offset``) in JSON; ``format=csv`` streams every matching row
as CSV instead.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from healthgap.errors import SuppressedWarning
from healthgap.publish.web import _tables
from healthgap.publish.web._published import (
    VALUE_COLUMNS,
    NotPublishedError,
    Published,
    computed_once,
)

__all__ = ["router"]


class Problem(BaseModel):
    """Why a request failed, in one line naming the parameter or value."""

    detail: str


#: Errors every route may give (422, a parameter of the wrong form, is FastAPI's own).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A parameter's value cannot be served"},
    404: {"model": Problem, "description": "Not published: indicator, area or vintage"},
    414: {"model": Problem, "description": "Query string too long"},
}
router = APIRouter(prefix="/api/v1", tags=["API v1"], responses=ERRORS)

ID_PATTERN = r"^[A-Za-z0-9_.-]+$"
LIST_PATTERN = r"^[^,\x00-\x1f]+(,[^,\x00-\x1f]+)*$"  # a, or a,b,...
OPTIONAL_LIST = r"^[^,\x00-\x1f]*(,[^,\x00-\x1f]*)*$"  # may hold '' (no breakdown)
TEXT = 2000  # longest text a list parameter may hold
INLINE_ROWS = 5000  # larger responses are built in a thread, not on the event loop
INLINE_INDICATORS = 4  # so are responses of more indicators
Format = Literal["json", "csv"]


async def published(request: Request) -> Published:
    """The app's published vintage set (async: FastAPI calls it on the event loop, not in a
    thread of its own)."""
    return request.app.state.published


Pub = Annotated[Published, Depends(published)]
Limit = Annotated[int, Query(ge=1, le=_tables.MAX_LIMIT, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="rows to skip")]
Fmt = Annotated[Format, Query(description="json (paginated) or csv (every row)")]


def _listed(description: str) -> Any:
    return Query(max_length=TEXT, pattern=LIST_PATTERN, description=description)


class Page(BaseModel):
    """A page of rows and the vintages they come from."""

    vintages: list[str]
    total: int
    limit: int
    offset: int
    rows: list[dict[str, Any]]


class Item(BaseModel):
    """One object and the vintages it comes from."""

    vintages: list[str]
    item: dict[str, Any]


class VintageSet(BaseModel):
    """The published vintage set and every vintage of the store."""

    vintages: list[str]
    published: list[dict[str, Any]]
    all: list[dict[str, Any]]


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in record.items()}


def respond(
    pub: Published,
    frame: pl.DataFrame,
    fmt: str,
    limit: int,
    offset: int,
    name: str,
    vintages: list[str] | None = None,
) -> Any:
    """A page of JSON rows, or every row as a CSV download named ``name``."""
    ids = vintages if vintages is not None else pub.vintage_ids
    if fmt == "csv":
        disposition = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
        if frame.height > _tables.CSV_CHUNK:  # large: streamed, never whole in memory twice
            return StreamingResponse(
                _tables.csv_chunks(frame), media_type="text/csv; charset=utf-8", headers=disposition
            )
        return Response(
            _tables.csv_bytes(frame), media_type="text/csv; charset=utf-8", headers=disposition
        )
    rows = _tables.page(frame, limit, offset)
    # written by Polars and sent as is: FastAPI would otherwise validate every row against Page
    head = {"vintages": ids, "total": frame.height, "limit": limit, "offset": offset}
    return Response(_tables.json_body(head, rows), media_type="application/json")


def meta_record(pub: Published, indicator_id: str) -> dict[str, Any]:
    """An indicator's metadata, domain and vintage as a JSON-safe dict."""
    meta = pub.indicator(indicator_id).model_dump(mode="json")
    domain = pub.domain_of().get(indicator_id, "other")
    return {**meta, "domain": domain, "vintage": pub.vintage_of[indicator_id]}


@router.get("/vintages", response_model=VintageSet, summary="The published vintage set")
def vintages(pub: Pub) -> VintageSet:
    """The vintages every response is read from (the latest holding each indicator)."""
    return VintageSet(
        vintages=pub.vintage_ids,
        published=[_jsonable({k: v for k, v in r.items() if k != "inputs"}) for r in pub.vintages],
        all=[_jsonable(r) for r in pub.all_vintages],
    )


@router.get(
    "/vintages/diff",
    response_model=Page,
    responses=CSV_RESPONSE,
    summary="What changed between two vintages (published values only)",
)
def vintage_diff(
    pub: Pub,
    old: Annotated[str, Query(min_length=4, max_length=64, pattern=r"^[0-9a-f]+$")],
    new: Annotated[str, Query(min_length=4, max_length=64, pattern=r"^[0-9a-f]+$")],
    indicator: Annotated[str | None, _listed("indicator ids, comma-separated")] = None,
    format: Fmt = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    """Added, removed and revised published values between vintages ``old`` and ``new``."""
    from healthgap.publish.web._diff import published_diff

    wanted = _tables.split("indicator", indicator)
    frame, ids = published_diff(pub, old, new, wanted)
    return respond(pub, frame, format, limit, offset, f"diff-{ids[0]}-{ids[1]}", ids)


@router.get("/indicators", response_model=Page, responses=CSV_RESPONSE, summary="Indicators")
def indicators(
    pub: Pub,
    domain: Annotated[str | None, _listed("domain ids, comma-separated")] = None,
    format: Fmt = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    """Every published indicator with its metadata, domain and vintage."""
    rows = [meta_record(pub, i) for i in pub.indicators]
    wanted = _tables.split("domain", domain)
    if wanted is not None:
        rows = [r for r in rows if r["domain"] in wanted]
    frame = pl.DataFrame(
        [{k: (str(v) if isinstance(v, list | dict) else v) for k, v in r.items()} for r in rows]
    )
    if format == "json":
        page = rows[offset : offset + limit]
        return Page(
            vintages=pub.vintage_ids, total=len(rows), limit=limit, offset=offset, rows=page
        )
    return respond(pub, frame, format, limit, offset, "indicators")


@router.get("/indicators/{indicator_id}", response_model=Item, summary="One indicator")
def indicator(
    pub: Pub,
    indicator_id: Annotated[str, Path(max_length=200, pattern=ID_PATTERN)],
) -> Item:
    """One indicator's metadata (definition, method, polarity, disclosure rule, source)."""
    return Item(vintages=pub.vintage_ids, item=meta_record(pub, indicator_id))


@router.get("/domains", response_model=Page, summary="Domains (the strategy's aims)")
def domains(pub: Pub) -> Page:
    """Domains and the indicators in each, in the strategy's order."""
    rows = [{"id": d, "name": n, "indicator_ids": ids} for d, n, ids in pub.domains()]
    return Page(vintages=pub.vintage_ids, total=len(rows), limit=len(rows), offset=0, rows=rows)


@router.get("/area_types", response_model=Page, summary="Area types")
def area_types(pub: Pub) -> Page:
    """Area types and how many areas of each the store holds."""
    counts = pub.areas.group_by("area_type").len().sort("area_type")
    rows = [{"area_type": t, "n_areas": n} for t, n in counts.rows()]
    return Page(vintages=pub.vintage_ids, total=len(rows), limit=len(rows), offset=0, rows=rows)


@router.get("/areas", response_model=Page, responses=CSV_RESPONSE, summary="Areas")
def areas(
    pub: Pub,
    area_type: Annotated[str | None, _listed("area types, comma-separated")] = None,
    parent: Annotated[str | None, _listed("parent area codes, comma-separated")] = None,
    format: Fmt = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    """Areas, optionally of some types or children of some parents."""
    frame = _tables.keep(pub.areas, "area_type", _tables.split("area_type", area_type))
    parents = _tables.split("parent", parent)
    if parents is not None:
        children = pub.links.filter(pl.col("parent_code").is_in(parents))["child_code"]
        frame = frame.filter(pl.col("area_code").is_in(children.implode()))
    return respond(pub, frame, format, limit, offset, "areas")


@router.get("/areas/{area_code}", response_model=Item, summary="One area and its parents")
def area(
    pub: Pub,
    area_code: Annotated[str, Path(max_length=64, pattern=ID_PATTERN)],
) -> Item:
    """An area's name, type and parents (nearest first)."""
    found = pub.area(area_code)
    parents = pl.from_arrow(pub.store().parents(area_code))
    item = {**found, "parents": _tables.records(parents)}
    return Item(vintages=pub.vintage_ids, item=item)


@router.get("/hierarchy", response_model=Page, responses=CSV_RESPONSE, summary="Hierarchy")
def hierarchy(
    pub: Pub,
    parent: Annotated[str | None, _listed("parent codes, comma-separated")] = None,
    child: Annotated[str | None, _listed("child codes, comma-separated")] = None,
    format: Fmt = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    """Parent-child links between areas (child_code, parent_code, parent_type)."""
    frame = _tables.keep(pub.links, "parent_code", _tables.split("parent", parent))
    frame = _tables.keep(frame, "child_code", _tables.split("child", child))
    return respond(pub, frame, format, limit, offset, "hierarchy")


class Filters:
    """The value filters shared by values, comparisons and trends (from :func:`filters`)."""

    def __init__(
        self,
        indicator: str,
        area: str | None = None,
        area_type: str | None = None,
        parent: str | None = None,
        period: str | None = None,
        sex: str | None = None,
        age: str | None = None,
        category_type: str | None = None,
        category: str | None = None,
    ) -> None:
        self.indicator = _tables.split("indicator", indicator) or []
        self.area = _tables.split("area", area)
        self.area_type = _tables.split("area_type", area_type)
        self.parent = _tables.split("parent", parent)
        self.period = _tables.split("period", period)
        self.sex = _tables.split("sex", sex)
        self.age = _tables.split("age", age)
        self.category_type = None if category_type is None else category_type.split(",")
        self.category = _tables.split("category", category)

    def apply(self, pub: Published, judged: bool) -> pl.DataFrame:
        """The matching rows of every requested indicator (one filtering pass each)."""
        latest = self.period == ["latest"]
        wanted = self._wanted(pub, with_period=not latest)
        parts = []
        for indicator_id in self.indicator:
            # one query on the indicator's frame (kept in memory): filter, then the columns
            query = pub.judged(indicator_id).lazy().filter(*wanted or [pl.lit(True)])
            frame = (query if judged else query.select(VALUE_COLUMNS)).collect()
            if latest:
                frame = frame.filter(pl.col("period") == pub.latest_period(frame))
            parts.append(frame)
        return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()

    def _wanted(self, pub: Published, with_period: bool) -> list[pl.Expr]:
        """One condition per filter set (a parent's children and the parent itself)."""
        chosen: dict[str, list[str] | None] = {
            "area_code": self.area,
            "area_type": self.area_type,
            "period": self.period if with_period else None,
            "sex": self.sex,
            "age": self.age,
            "category_type": self.category_type,
            "category": self.category,
        }
        out = [_one_of(column, values) for column, values in chosen.items() if values is not None]
        if self.parent is not None:
            out.append(_one_of("area_code", _family(pub, tuple(self.parent))))
        return out


@computed_once(1024)
def _family(pub: Published, parents: tuple[str, ...]) -> list[str]:
    """The parents' child areas and the parents themselves (the hierarchy never changes)."""
    children = pub.links.filter(pl.col("parent_code").is_in(parents))["child_code"].to_list()
    return [*children, *parents]


def _one_of(column: str, values: list[str]) -> pl.Expr:
    return pl.col(column) == values[0] if len(values) == 1 else pl.col(column).is_in(values)


async def filters(
    indicator: Annotated[
        str, Query(min_length=1, max_length=TEXT, pattern=LIST_PATTERN, description="ids")
    ],
    area: Annotated[str | None, _listed("area codes")] = None,
    area_type: Annotated[str | None, _listed("area types")] = None,
    parent: Annotated[str | None, _listed("parent area codes")] = None,
    period: Annotated[str | None, _listed("periods, or 'latest'")] = None,
    sex: Annotated[str | None, _listed("Persons, Male, Female")] = None,
    age: Annotated[str | None, _listed("age groups")] = None,
    category_type: Annotated[
        str | None,
        Query(max_length=TEXT, pattern=OPTIONAL_LIST, description="breakdowns; '' for totals"),
    ] = None,
    category: Annotated[str | None, _listed("breakdown categories")] = None,
) -> Filters:
    """The value filters of a request (async: parsed on the event loop, not in a thread)."""
    return Filters(indicator, area, area_type, parent, period, sex, age, category_type, category)


async def _rows(pub: Published, chosen: Filters, judged: bool) -> pl.DataFrame:
    """The filters applied: on the event loop when a few indicators' values are in memory
    (about a millisecond each), in a thread otherwise (reading from the store takes seconds
    at national size, and the loop answers every cached request meanwhile)."""
    ready = all(pub.in_memory(i) for i in chosen.indicator if i in pub.indicators)
    if ready and len(chosen.indicator) <= INLINE_INDICATORS:
        return chosen.apply(pub, judged)
    return await run_in_threadpool(chosen.apply, pub, judged)


async def _respond(pub: Published, frame: pl.DataFrame, *args: Any) -> Any:
    """:func:`respond`, in a thread when the frame is large (a long CSV)."""
    if frame.height > INLINE_ROWS:
        return await run_in_threadpool(respond, pub, frame, *args)
    return respond(pub, frame, *args)


ValueFilters = Annotated[Filters, Depends(filters)]


@router.get("/values", response_model=Page, responses=CSV_RESPONSE, summary="Values")
async def values(
    pub: Pub,
    chosen: ValueFilters,
    format: Fmt = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    """Published values (disclosure control applied), filtered; CSV gives every row."""
    frame = await _rows(pub, chosen, judged=False)
    return await _respond(pub, frame, format, limit, offset, "values")


@router.get("/comparisons", response_model=Page, responses=CSV_RESPONSE, summary="Comparisons")
async def comparisons(
    pub: Pub,
    chosen: ValueFilters,
    format: Fmt = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    """Values judged against England and the region (95% intervals), with recent trends."""
    frame = await _rows(pub, chosen, judged=True)
    return await _respond(pub, frame, format, limit, offset, "comparisons")


@router.get("/trends", response_model=Page, responses=CSV_RESPONSE, summary="Recent trends")
def trends(
    pub: Pub,
    chosen: ValueFilters,
    format: Fmt = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    """The recent trend of each series (Fingertips' test on the last 5 single years)."""
    frame = chosen.apply(pub, judged=True)
    keys = ["indicator_id", "area_code", "area_name", "sex", "age", "category_type", "category"]
    if frame.height:
        frame = (
            frame.sort("period_start")
            .group_by(keys, maintain_order=True)
            .agg(pl.col("period").last().alias("latest_period"), pl.col("recent_trend").last())
            .sort(keys)
        )
    return respond(pub, frame, format, limit, offset, "trends")


@router.get(
    "/inequalities", response_model=Page, responses=CSV_RESPONSE, summary="Inequality measures"
)
def inequalities(
    pub: Pub,
    indicator: Annotated[str, Query(min_length=1, max_length=200, pattern=ID_PATTERN)],
    breakdown: Annotated[str, Query(min_length=1, max_length=200, pattern=LIST_PATTERN)],
    area: Annotated[str | None, _listed("area codes")] = None,
    period: Annotated[str | None, _listed("periods")] = None,
    measure: Annotated[str | None, _listed("WHO HEAT measures: d, r, sii, rii, ...")] = None,
    format: Fmt = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    """WHO HEAT summary measures (SII, RII, D, R, ...) across one breakdown's categories."""
    from healthgap.publish.web._inequality import measures_by_breakdown

    frame = pub.values(indicator)
    frame = _tables.keep(frame, "area_code", _tables.split("area", area))
    frame = _tables.keep(frame, "period", _tables.split("period", period))
    frame = frame.filter(pl.col("category_type") == breakdown)
    if frame.is_empty():
        known = sorted(set(pub.values(indicator)["category_type"].to_list()) - {""})
        raise NotPublishedError(
            f"parameter 'breakdown': indicator {indicator!r} has no values for {breakdown!r} "
            f"with these filters; its breakdowns: {known}"
        )
    wanted = _tables.split("measure", measure)
    polarity = pub.indicator(indicator).polarity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuppressedWarning)
        out = measures_by_breakdown(frame, polarity, wanted)
    return respond(pub, out, format, limit, offset, f"inequalities-{indicator}")
