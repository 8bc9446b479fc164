"""Age bands: parse labels or start ages, check the layout, reshape rows to (groups, bands).

A band is known by its start age. Labels such as ``"<1"``, ``"0"``, ``"1-4"``, ``"10 – 14"``,
``"90+"``, ``"90 +"`` or ``"85 and over"`` are parsed once per distinct label (never per row)
into a start age and, when the label says so, an end age or an open top. The rows of every
group are then laid out in one ``(groups, bands)`` matrix over the union of start ages, so the
life-table cores reduce along ``axis=1`` with no Python loop over groups.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np

from healthgap import _checks, _frames
from healthgap.errors import InputError

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_NOISE = re.compile(r"\b(aged|age|ages|years?|yrs?)\b")
_NUM = r"(\d+(?:\.0+)?)"
_UNDER = re.compile(rf"^(?:<|under|less than|below)\s*{_NUM}$")
_OPEN = re.compile(rf"^{_NUM}\s*(?:\+|plus|and over|and older|or over|or older|and above)$")
_RANGE = re.compile(rf"^{_NUM}\s*(?:-|to)\s*{_NUM}$")
_SINGLE = re.compile(rf"^{_NUM}$")

#: end code of a band whose label gives no end age, and of an open ("90+") band
NO_END, OPEN = -1, -2


class Band(NamedTuple):
    """A parsed age label: start age, end age (or :data:`NO_END` / :data:`OPEN`)."""

    start: int
    end: int


def parse_label(label: Any) -> Band | None:
    """Parse one age label or number; ``None`` when it is not an age band."""
    if isinstance(label, bool) or label is None:
        return None
    if isinstance(label, int | float | np.integer | np.floating):
        value = float(label)
        if not np.isfinite(value) or value < 0 or value != np.floor(value):
            return None
        return Band(int(value), NO_END)
    text = _DASHES.sub("-", str(label).strip().lower())
    text = re.sub(r"\s+", " ", _NOISE.sub("", text)).strip()
    if m := _UNDER.match(text):
        end = int(float(m.group(1))) - 1
        return Band(0, end) if end >= 0 else None
    if m := _OPEN.match(text):
        return Band(int(float(m.group(1))), OPEN)
    if m := _RANGE.match(text):
        lo, hi = int(float(m.group(1))), int(float(m.group(2)))
        return Band(lo, hi) if hi >= lo else None
    if m := _SINGLE.match(text):
        return Band(int(float(m.group(1))), NO_END)
    return None


def parse_labels(name: str, labels: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Start and end codes of each label; raise naming every label that is not an age band."""
    parsed = [parse_label(v) for v in labels]
    bad = [v for v, p in zip(labels, parsed, strict=True) if p is None]
    if bad:
        raise InputError(
            f"column '{name}' must hold age bands as start ages (0, 1, 5, ...) or labels "
            f"such as '<1', '1-4', '90+' or '85 and over'; cannot read {len(bad):,} "
            f"value(s): {_checks._fmt(bad[:5])}"
        )
    bands = [p for p in parsed if p is not None]
    return (
        np.array([p.start for p in bands], dtype=np.int64),
        np.array([p.end for p in bands], dtype=np.int64),
    )


def describe(starts: np.ndarray) -> str:
    """``'20 age bands (0, 1-4, 5-9, ..., 85-89, 90+)'``: the layout a result used."""
    ages = [int(s) for s in starts]
    names = [str(a) if b == a + 1 else f"{a}-{b - 1}" for a, b in itertools.pairwise(ages)]
    names.append(f"{ages[-1]}+")
    shown = names if len(names) <= 6 else [*names[:3], "...", *names[-2:]]
    return f"{len(names)} age band{'s' if len(names) > 1 else ''} ({', '.join(shown)})"


def check_layout(starts: np.ndarray, ends: np.ndarray, labels: Sequence[Any], what: str) -> None:
    """A layout starts at 0, has no gaps that its labels reveal and is open only at the top."""
    if len(starts) == 0:
        raise InputError(f"{what} has no age bands")
    if starts[0] != 0:
        raise InputError(
            f"{what} must start at age 0 (life tables start at birth); first band found: "
            f"{_checks._fmt_one(labels[0])}"
        )
    for i in range(len(starts) - 1):
        if ends[i] == OPEN:
            raise InputError(
                f"{what}: open band {_checks._fmt_one(labels[i])} is not the last; "
                f"{_checks._fmt_one(labels[i + 1])} follows it"
            )
        if ends[i] >= 0 and ends[i] + 1 != starts[i + 1]:
            raise InputError(
                f"{what}: band {_checks._fmt_one(labels[i])} ends at {ends[i]} but the next "
                f"band {_checks._fmt_one(labels[i + 1])} starts at {starts[i + 1]} "
                "(a band is missing or overlaps)"
            )


class Banded(NamedTuple):
    """Rows laid out as ``(groups, bands)`` over the union layout ``starts``.

    ``present[g, k]`` says whether group ``g`` had any row for band ``k``; ``values`` holds
    each summed column as a ``(groups, bands)`` matrix (0 where absent); ``labels`` is the
    user's own value (number or text) for each band, for the output.
    """

    starts: np.ndarray
    labels: list[Any]
    present: np.ndarray
    values: dict[str, np.ndarray]
    row_band: np.ndarray
    rows: np.ndarray  # (groups, bands) number of input rows


#: ``age_contents`` value that lets each group keep its own layout
BY_GROUP = "by group"


def read_ages(
    frame: nw.DataFrame[Any], startage: str, age_contents: Sequence[Any] | str | None
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Each row's band index into the layout, the layout's start ages and its labels.

    ``age_contents=None`` takes the layout from the distinct ages in the data; a sequence
    fixes it (ascending, starting at 0) and every age in the data must belong to it;
    :data:`BY_GROUP` takes the union of ages, each group using the bands it has (the caller
    checks that every group starts at 0; gaps between labels are not checked).
    """
    _checks.columns(frame, startage)
    series = frame[startage]
    dtype = series.dtype
    if dtype.is_numeric():
        raw = series.to_numpy()
        if np.issubdtype(raw.dtype, np.floating) and np.isnan(raw).any():
            raise InputError(
                f"column '{startage}' must not be missing: {_checks.where(np.isnan(raw), raw)}"
            )
        uniq, inverse = np.unique(raw, return_inverse=True)
        uniq_labels = list(uniq.tolist())
    else:
        if series.null_count():
            mask = series.is_null().to_numpy()
            raise InputError(f"column '{startage}' must not be missing: {_checks.where(mask)}")
        raw = series.cast(nw.String).to_numpy().astype(object)
        uniq_labels, inverse = _unique_objects(raw)
    starts_u, ends_u = parse_labels(startage, uniq_labels)

    if isinstance(age_contents, str) and age_contents != BY_GROUP:
        raise InputError(
            f"argument 'age_contents' must be None, {BY_GROUP!r} or a sequence "
            f"of age bands; got {age_contents!r}"
        )
    if age_contents is not None and age_contents != BY_GROUP:
        contents = list(age_contents)
        c_starts, c_ends = parse_labels("age_contents", contents)
        if len(set(c_starts.tolist())) != len(c_starts):
            raise InputError(f"age_contents has duplicate age bands: {_checks._fmt(contents)}")
        if (np.diff(c_starts) <= 0).any():
            wrong = [contents[i + 1] for i in np.flatnonzero(np.diff(c_starts) <= 0)]
            raise InputError(
                "age_contents must be in ascending order of age; out of position: "
                f"{_checks._fmt(wrong)}"
            )
        check_layout(c_starts, c_ends, contents, "age_contents")
        unknown = ~np.isin(starts_u, c_starts)
        if unknown.any():
            raise InputError(
                f"column '{startage}' has age bands not in age_contents: "
                f"{_checks._fmt(np.array(uniq_labels, dtype=object)[unknown][:5])}"
            )
        layout, labels = c_starts, list(contents)
        # the output shows the data's own label of each band (the first seen)
        for label, start in zip(uniq_labels[::-1], starts_u[::-1], strict=True):
            labels[int(np.searchsorted(layout, start))] = label
    else:
        layout, first = np.unique(starts_u, return_index=True)
        ends = np.full(len(layout), NO_END, dtype=np.int64)
        labels = [uniq_labels[i] for i in first]
        # a start age read from two labels must agree on its end ("0-4" and "0" do not)
        pos = np.searchsorted(layout, starts_u)
        for i, (p, e) in enumerate(zip(pos, ends_u, strict=True)):
            if e == NO_END or age_contents is not None:
                continue
            if ends[p] not in (NO_END, e):
                raise InputError(
                    f"column '{startage}': labels {_checks._fmt([labels[p], uniq_labels[i]])}"
                    f" both start at age {layout[p]} but end differently"
                )
            ends[p] = e
        if age_contents is None:
            check_layout(layout, ends, labels, f"the age bands in column '{startage}'")
    row_band = np.searchsorted(layout, starts_u)[inverse]
    return row_band, layout, labels


def _unique_objects(values: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Distinct labels (sorted) and each value's index into them."""
    uniq, inverse = np.unique(values.astype(str), return_inverse=True)
    return list(uniq.tolist()), inverse


def band(
    frame: nw.DataFrame[Any],
    row_group: np.ndarray,
    n_groups: int,
    startage: str,
    columns: Sequence[str],
    age_contents: Sequence[Any] | str | None,
) -> Banded:
    """Sum ``columns`` into ``(groups, bands)`` matrices (duplicate rows of a band add up)."""
    row_band, layout, labels = read_ages(frame, startage, age_contents)
    k = len(layout)
    flat = row_group * k + row_band
    size = n_groups * k
    rows = np.bincount(flat, minlength=size).reshape(n_groups, k)
    present = rows > 0
    values = {
        name: np.bincount(flat, weights=_frames.column(frame, name), minlength=size).reshape(
            n_groups, k
        )
        for name in columns
    }
    return Banded(layout, labels, present, values, row_band, rows)
