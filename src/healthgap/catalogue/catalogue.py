"""A catalogue: the geography and the indicators read from a folder of YAML files.

Each ``*.yaml`` / ``*.yml`` file holds one indicator (a mapping with ``id``), or a set::

    geography:            # at most once in a catalogue
      lookup: lsoa_lookup
      levels: {lsoa: lsoa_code, borough: borough_code}
      national: {england: E92000001}
      breakdowns:
        imd_decile_national: {column: imd_decile_national,
                              category_type: "IMD 2019 decile (national)"}
    indicators:
      - id: suicide
        name: Suicide rate
        method: dsr
        ...

Mistakes become one :class:`~healthgap.errors.InputError` per file naming the file, the field
and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from healthgap.catalogue.indicator import Geography, Indicator
from healthgap.catalogue.metadata import IndicatorMeta
from healthgap.catalogue.method_table import METHODS
from healthgap.errors import InputError

__all__ = ["Catalogue", "load_catalogue"]

#: A table is a file or folder directly in the data folder: a name without a path, so a
#: catalogue can never read outside ``--data`` (no ``/``, ``\\``, ``..`` or drive).
TABLE_NAME = re.compile(r"\w[\w.-]*")


class Catalogue(BaseModel):
    """A geography and the indicators computed on it; ids are unique."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    geography: Geography = Field(default_factory=Geography)
    indicators: tuple[Indicator, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        ids = [ind.id for ind in self.indicators]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"indicator ids must be unique; repeated: {repeated}")
        _check_table_name("geography.lookup", self.geography.lookup)
        for ind in self.indicators:
            _check_table_names(ind)
            _check_against_geography(ind, self.geography)
            if ind.ratio is not None or ind.summary is not None:
                _check_sources(ind, self.indicators)
        return self

    def __iter__(self) -> Iterator[Indicator]:  # type: ignore[override]
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def __getitem__(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def metas(self) -> list[IndicatorMeta]:
        """Return the indicators' metadata, as the store keeps it."""
        return [ind.meta() for ind in self.indicators]


def _check_table_names(ind: Indicator) -> None:
    parts: dict[str, Any] = {
        "numerator": ind.numerator,
        "denominator": ind.denominator,
        "exposure": ind.exposure,
    }
    if ind.prevalence is not None:
        parts["prevalence.numerator"] = ind.prevalence.numerator
        parts["prevalence.denominator"] = ind.prevalence.denominator
    for field, part in parts.items():
        if part is not None:
            _check_table_name(f"indicator {ind.id!r}: {field}.table", part.table)


def _check_table_name(where: str, table: str) -> None:
    if not TABLE_NAME.fullmatch(table):
        raise ValueError(
            f"{where}: {table!r} is not a table name; a table is a file <name>.parquet, "
            "<name>.csv or a folder <name>/ directly in the data folder, named with letters, "
            "digits, '_', '-' and '.' (no path)"
        )


def _check_against_geography(ind: Indicator, geo: Geography) -> None:
    for level in ind.geographies:
        if level not in geo.level_names:
            raise ValueError(
                f"indicator {ind.id!r}: geographies: {level!r} is not a level of "
                f"the catalogue's geography; allowed: {list(geo.level_names)}"
            )
    if ind.decomposition is not None:
        unknown = sorted(set(ind.decomposition.by_level) - set(ind.geographies))
        if unknown:
            raise ValueError(
                f"indicator {ind.id!r}: decomposition.by_level: {unknown} are "
                f"not geographies of the indicator {list(ind.geographies)}"
            )
    if ind.exposure is not None and ind.exposure.level not in geo.levels:
        raise ValueError(
            f"indicator {ind.id!r}: exposure.level: {ind.exposure.level!r} is not "
            f"a level of the lookup; allowed: {list(geo.levels)}"
        )
    if ind.reference is not None and ind.reference not in ind.geographies:
        raise ValueError(
            f"indicator {ind.id!r}: reference: {ind.reference!r} must be one of "
            f"its geographies {list(ind.geographies)}"
        )
    for name in ind.breakdowns:
        if name not in geo.breakdowns:
            raise ValueError(
                f"indicator {ind.id!r}: breakdowns: {name!r} is not defined in "
                f"geography.breakdowns; allowed: {sorted(geo.breakdowns)}"
            )
        spec = geo.breakdowns[name]
        if spec.source != "age":
            continue
        row = METHODS[ind.method]
        if row.age_groups == "none":
            raise ValueError(
                f"indicator {ind.id!r}: breakdowns: {name!r} groups ages, which "
                f"method {ind.method!r} cannot be broken down by"
            )
        if row.age_groups == "five_year" and not spec.aligned(5):
            raise ValueError(
                f"indicator {ind.id!r}: breakdowns: {name!r}: method "
                f"{ind.method!r} standardises over five-year bands, so each age "
                f"group must run from a multiple of 5 to one below a multiple "
                f"of 5; got {dict(spec.bands)}"
            )
        parts = [ind.numerator, ind.denominator]
        if any(part is not None and part.age is None for part in parts):
            raise ValueError(
                f"indicator {ind.id!r}: breakdowns: {name!r} groups ages, so "
                "numerator and denominator need an age column"
            )


def _check_sources(ind: Indicator, indicators: Sequence[Indicator]) -> None:
    """Check that the indicators a ratio or summary is computed from exist, from records."""
    by_id = {other.id: other for other in indicators}
    fields = (
        [("ratio.numerator", ind.ratio.numerator), ("ratio.denominator", ind.ratio.denominator)]
        if ind.ratio is not None
        else []
    )
    if ind.summary is not None:
        fields.append(("summary.of", ind.summary.of))
    for field, ref in fields:
        if ref not in by_id:
            raise ValueError(
                f"indicator {ind.id!r}: {field}: {ref!r} is not an indicator of the catalogue"
            )
        if by_id[ref].ratio is not None or by_id[ref].summary is not None:
            raise ValueError(
                f"indicator {ind.id!r}: {field}: {ref!r} is itself a "
                f"{by_id[ref].method}; a {ind.method} is computed from "
                "indicators computed from records"
            )
    if ind.summary is not None and ind.summary.breakdown not in by_id[ind.summary.of].breakdowns:
        raise ValueError(
            f"indicator {ind.id!r}: summary.breakdown: {ind.summary.breakdown!r} "
            f"is not a breakdown of {ind.summary.of!r}"
        )


def _location(loc: Sequence[Any], data: Any) -> str:
    """Write a pydantic error location as ``numerator.filter.where[0].op``."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and "id" in node:
                    label += f" (id {node['id']!r})"
            parts.append(label)
            continue
        parts.append(f".{item}" if parts else str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _describe(exc: ValidationError, data: Any) -> str:
    lines = []
    for err in exc.errors():
        loc = [part for part in err["loc"] if not (isinstance(part, str) and "[" in part)]
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "literal_error":
            message = f"{message}; got {err.get('input')!r}"
        elif err["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        lines.append(f"field {_location(loc, data)}: {message}")
    return "; ".join(lines)


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"catalogue file {path}: not valid YAML: {exc}") from None


def _parse_file(path: Path, data: Any) -> tuple[dict[str, Any] | None, list[Indicator]]:
    """Return a file's geography mapping (unvalidated here) and its indicators."""
    if not isinstance(data, dict):
        raise InputError(
            f"catalogue file {path}: expected a mapping with 'indicators' "
            f"(and optionally 'geography') or one indicator with 'id'"
        )
    if "id" in data:
        body: dict[str, Any] = {"indicators": [data]}
    else:
        unknown = sorted(set(data) - {"geography", "indicators"})
        if unknown:
            raise InputError(
                f"catalogue file {path}: unknown top-level fields {unknown}; "
                "allowed: ['geography', 'indicators'] or one indicator with 'id'"
            )
        body = data
    items = body.get("indicators") or []
    if not isinstance(items, list):
        raise InputError(f"catalogue file {path}: field indicators: expected a list")
    indicators = []
    for i, item in enumerate(items):
        try:
            indicators.append(Indicator.model_validate(item))
        except ValidationError as exc:
            ident = item.get("id") if isinstance(item, dict) else None
            where = f"indicator {ident!r}" if "id" in data else f"indicators[{i}] (id {ident!r})"
            raise InputError(f"catalogue file {path}: {where}: {_describe(exc, item)}") from None
    return body.get("geography"), indicators


def load_catalogue(path: str | Path) -> Catalogue:
    """Read a catalogue from one YAML file or every ``*.yaml``/``*.yml`` file of a folder.

    Parameters
    ----------
    path : str or Path
        A YAML file, or a folder whose YAML files (sorted by name) are read together; a
        strategy's folder (``strategy.yaml`` beside an ``indicators`` folder, as
        ``catalogue/london``) stands for its ``indicators`` folder.

    Returns
    -------
    Catalogue
        The geography (defined at most once) and all indicators, validated.

    Raises
    ------
    InputError
        Naming the file, the field and what is allowed, for the first file with a mistake.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "lbw.yaml").write_text('''
    ... id: lbw
    ... name: Low birth weight of term babies
    ... method: proportion
    ... multiplier: 100
    ... numerator:
    ...   table: births
    ...   age: null
    ...   filter: {where: [{column: birth_weight_g, op: "<", value: 2500}]}
    ... denominator: {table: births, age: null}
    ... ''')
    >>> catalogue = load_catalogue(folder)
    >>> [ind.id for ind in catalogue], catalogue["lbw"].numerator.filter.where[0].op
    (['lbw'], '<')
    """
    root = Path(path)
    if (root / "strategy.yaml").is_file() and (root / "indicators").is_dir():
        root = root / "indicators"
    if root.is_dir():
        files = sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
        if not files:
            raise InputError(f"catalogue folder {root} has no *.yaml or *.yml files")
    elif root.is_file():
        files = [root]
    else:
        raise InputError(f"catalogue {root} not found (expected a YAML file or a folder)")

    geography: tuple[Path, dict[str, Any]] | None = None
    indicators: list[tuple[Path, Indicator]] = []
    for file in files:
        geo, found = _parse_file(file, _read(file))
        if geo is not None:
            if geography is not None:
                raise InputError(
                    f"catalogue file {file}: field geography: defined again "
                    f"(already in {geography[0]}); define it once"
                )
            geography = (file, geo)
        indicators.extend((file, ind) for ind in found)

    geo_model = Geography()
    if geography is not None:
        try:
            geo_model = Geography.model_validate(geography[1])
            _check_table_name("geography.lookup", geo_model.lookup)
        except ValidationError as exc:
            message = _describe(exc, geography[1])
            raise InputError(f"catalogue file {geography[0]}: geography: {message}") from None
        except ValueError as exc:
            raise InputError(f"catalogue file {geography[0]}: {exc}") from None

    seen: dict[str, Path] = {}
    for file, ind in indicators:
        if ind.id in seen:
            raise InputError(
                f"catalogue file {file}: field id: indicator {ind.id!r} is already "
                f"defined in {seen[ind.id]}; ids must be unique"
            )
        seen[ind.id] = file
        try:
            _check_table_names(ind)
            _check_against_geography(ind, geo_model)
            if ind.ratio is not None or ind.summary is not None:
                _check_sources(ind, [other for _, other in indicators])
        except ValueError as exc:
            raise InputError(f"catalogue file {file}: {exc}") from None
    return Catalogue(geography=geo_model, indicators=tuple(ind for _, ind in indicators))
