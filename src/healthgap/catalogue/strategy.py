"""A strategy as data: aims, objectives, commitments with measures and targets, world cities.

A strategy is a folder holding ``strategy.yaml`` (and optionally ``world_cities.csv`` and an
``indicators/`` catalogue); nothing here knows which place it describes. The London Health
Inequalities Strategy ships in :mod:`healthgap.london` (``healthgap.london.STRATEGY_DIR``).
Loading validates every field and names the file and field of any mistake.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from healthgap.errors import InputError

STRATEGY_FILE = "strategy.yaml"
WORLD_CITIES_FILE = "world_cities.csv"
Direction = Literal["at_least", "at_most", "milestones"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Model):
    """What a commitment aims for: a level of its measure by a year, or milestones."""

    direction: Direction
    value: float | None = None
    year: int | None = None
    milestones: tuple[str, ...] = ()
    baseline: float | None = None
    baseline_year: int | None = None

    @model_validator(mode="after")
    def _complete(self) -> Target:
        if self.direction == "milestones":
            if not self.milestones:
                raise ValueError("a milestones target needs at least one milestone")
        elif self.value is None or self.year is None:
            raise ValueError(f"a target '{self.direction}' needs both value and year")
        return self


class Published(_Model):
    """A published figure for a measure, with its date and source."""

    value: float
    as_of: str
    source: str


class Measure(_Model):
    """How progress on a commitment is measured."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    unit: str = ""
    source: str = ""
    data: str | None = Field(None, description="demo/engine series that gives the measure")
    geography: Literal["london", "borough"] = "london"
    aggregate: Literal["sum", "mean", "population_weighted_mean"] = "sum"
    target: Target
    published: tuple[Published, ...] = ()


class Commitment(_Model):
    """One of the implementation plan's key commitments."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    aim: str
    description: str
    measures: tuple[Measure, ...] = Field(min_length=1)


class Aim(_Model):
    """An aim of the 2018-28 Strategy and the headline indicators that monitor it."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    description: str
    indicators: tuple[str, ...] = ()


class Strategy(_Model):
    """A health-inequalities strategy: aims, earlier objectives, commitments, indicators."""

    id: str
    name: str
    publisher: str
    period: str
    url: str = ""
    aims: tuple[Aim, ...]
    objectives_2010: tuple[str, ...] = ()
    overarching_indicators: tuple[str, ...] = ()
    commitments: tuple[Commitment, ...]

    @model_validator(mode="after")
    def _aims_known(self) -> Strategy:
        aims = {a.id for a in self.aims}
        unknown = [c.id for c in self.commitments if c.aim not in aims]
        if unknown:
            raise ValueError(f"commitments {unknown} name an aim not in {sorted(aims)}")
        return self

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        """Every indicator the strategy monitors, overarching first, in aim order."""
        ids = list(self.overarching_indicators)
        for aim in self.aims:
            ids += [i for i in aim.indicators if i not in ids]
        return tuple(ids)


class WorldCity(_Model):
    """A published figure for a world city (or the nearest area published), with its year."""

    city: str
    area: str
    measure: Literal["life_expectancy", "infant_mortality"]
    sex: Literal["Male", "Female", "Persons"]
    value: float
    period: str
    year: int
    unit: str
    source: str


def _in_folder(path: Path | str, name: str) -> Path:
    """``path`` itself when it is a file, else the file ``name`` in the folder ``path``."""
    path = Path(path)
    return path / name if path.is_dir() else path


def load_strategy(path: Path | str) -> Strategy:
    """Read and validate a strategy; errors name the file and the field.

    Parameters
    ----------
    path : str or Path
        A strategy folder (its ``strategy.yaml`` is read) or the YAML file itself.

    Raises
    ------
    InputError
        The file is missing, is not valid YAML or breaks the model (file and field named).
    """
    path = _in_folder(path, STRATEGY_FILE)
    if not path.is_file():
        raise InputError(f"{path}: no such strategy file (expected a folder with {STRATEGY_FILE})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Strategy.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: {_describe(exc)}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None


def load_world_cities(path: Path | str) -> list[WorldCity]:
    """Read and validate a world-cities table; errors name the file, line and field.

    Parameters
    ----------
    path : str or Path
        A strategy folder (its ``world_cities.csv`` is read) or the CSV file itself.
    """
    path = _in_folder(path, WORLD_CITIES_FILE)
    if not path.is_file():
        raise InputError(f"{path}: no such world-cities file")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out, problems = [], []
    for line, row in enumerate(rows, start=2):  # small reference table: one model per row
        try:
            out.append(WorldCity.model_validate(row))
        except ValidationError as exc:
            problems.append(f"line {line}: {_describe(exc)}")
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems))
    return out


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = repr(err.get("input"))
        got = got if len(got) <= 60 else got[:57] + "..."
        parts.append(f"field '{where}': {err['msg']} (got {got})")
    return "; ".join(parts)
