"""Independent checks of published values (plain Python, no shared code with disclosure.py).

Used by the disclosure and export tests: a table is safe when no published count is
suppressible under its indicator's rule, and no suppressed count can be worked out from the
published ones through the relations among them (sexes, categories, parent areas, pooled
periods, age bands), by subtraction, chains of subtractions or any linear combination.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import polars as pl
from hypothesis import strategies as st

from healthgap.catalogue.metadata import DisclosureRule

SEXES = ("Persons", "Male", "Female")


def suppressible_counts(published: pl.DataFrame, rules: dict[str, DisclosureRule]) -> list:
    """Published counts that the indicator's rule says must not be published."""
    bad = []
    for row in published.iter_rows(named=True):
        rule = rules.get(row["indicator_id"], DisclosureRule())
        count = row["count"]
        if count is None:
            continue
        if 0 < count < rule.suppress_below or (rule.suppress_zero and count == 0):
            bad.append(row)
    return bad


KEY = ("indicator_id", "area_code", "period", "sex", "age", "category_type", "category")
SECONDARY = "withheld so that a small count elsewhere"  # part of the secondary note
# age bands the generated tables use, as [low, high) in years
AGES = {"All ages": (0, 999), "<75 yrs": (0, 75), "75+ yrs": (75, 999)}


def relations(table: pl.DataFrame, links: list[tuple[str, str]] = ()) -> list[list]:
    """Every "parent = sum of children" an attacker can read off the table's keys.

    Each relation is ``[parent, child, child, ...]`` of row keys; a relation is used only
    when every member has a row (as in the generated tables). Sexes, categories, parent
    areas (``links`` of child, parent), pooled periods and age bands.
    """
    rows = {tuple(r[k] for k in KEY): r for r in table.iter_rows(named=True)}
    out = []

    def add(parent, children):
        if parent in rows and children and all(c in rows for c in children):
            out.append([parent, *children])

    categories = defaultdict(set)
    for ind, _, _, _, _, ctype, cat in rows:
        if ctype:
            categories[(ind, ctype)].add(cat)
    children_of = defaultdict(list)
    for child, parent in links:
        children_of[parent].append(child)
    singles = {
        (r["indicator_id"], r["period_start"]): r["period"]
        for r in rows.values()
        if r.get("period_years") == 1
    }
    for key, row in rows.items():
        ind, area, period, sex, age, ctype, cat = key
        if sex == "Persons":
            add(key, [(ind, area, period, s, age, ctype, cat) for s in ("Male", "Female")])
        if not ctype:
            for (i, t), cats in categories.items():
                if i == ind:
                    add(key, [(ind, area, period, sex, age, t, c) for c in sorted(cats)])
        if area in children_of:
            add(key, [(ind, a, period, sex, age, ctype, cat) for a in children_of[area]])
        if (row.get("period_years") or 1) > 1:
            years = range(row["period_start"], row["period_start"] + row["period_years"])
            labels = [singles.get((ind, y)) for y in years]
            if None not in labels:
                add(key, [(ind, area, p, sex, age, ctype, cat) for p in labels])
        if age in AGES:
            low, high = AGES[age]
            parts = sorted(
                (AGES[a], a) for a in AGES if a != age and low <= AGES[a][0] and AGES[a][1] <= high
            )
            # a partition of [low, high) by bands seen in the table
            chain, at = [], low
            for (lo, hi), label in parts:
                if lo == at:
                    chain.append(label)
                    at = hi
            if at == high and len(chain) > 1:
                add(key, [(ind, area, period, sex, a, ctype, cat) for a in chain])
    return out


def subtracted(known: dict, unknown: set, rels: list[list]) -> dict:
    """Unknowns worked out by subtraction along one relation, and chains of subtractions.

    A relation with exactly one unknown member gives it; that member is then known and may
    complete another relation; repeated until nothing more falls.
    """
    values = dict(known)
    found = {}
    progress = True
    while progress:
        progress = False
        for parent, *children in rels:
            members = [parent, *children]
            missing = [m for m in members if m in unknown and m not in found]
            if len(missing) != 1:
                continue
            cell = missing[0]
            total = values.get(parent) if parent != cell else None
            parts = sum(values[c] for c in children if c != cell)
            found[cell] = parts if cell == parent else total - parts
            values[cell] = found[cell]
            progress = True
    return found


def solved(known: dict, unknown: set, rels: list[list]) -> dict:
    """Unknowns fixed by the relations and the known counts, with their values.

    Exact Gaussian elimination over the rationals (fractions.Fraction): after reduction a
    row with a single unknown fixes it. This finds every subtraction, chain of
    subtractions and combination of relations an attacker could use.
    """
    from fractions import Fraction

    equations = []
    for parent, *children in rels:
        row, constant = {}, Fraction(0)
        for cell, sign in [(parent, 1), *((c, -1) for c in children)]:
            if cell in unknown:
                row[cell] = row.get(cell, 0) + sign
            else:
                constant -= sign * Fraction(known[cell]).limit_denominator(10**9)
        row = {k: Fraction(v) for k, v in row.items() if v}
        if row:
            equations.append((row, constant))
    pivots = []  # (variable, row, constant), fully reduced
    for row, constant in equations:
        row = dict(row)
        for var, prow, pconst in pivots:
            if var in row:
                factor = row.pop(var)
                for k, v in prow.items():
                    if k != var:
                        row[k] = row.get(k, 0) - factor * v
                        if row[k] == 0:
                            del row[k]
                constant -= factor * pconst
        if not row:
            continue
        var = min(row, key=str)
        scale = row[var]
        row = {k: v / scale for k, v in row.items()}
        constant /= scale
        reduced = []
        for pvar, prow, pconst in pivots:
            if var in prow:
                factor = prow[var]
                prow = {k: prow.get(k, 0) - factor * row.get(k, 0) for k in set(prow) | set(row)}
                prow = {k: v for k, v in prow.items() if v}
                pconst -= factor * constant
            reduced.append((pvar, prow, pconst))
        pivots = [*reduced, (var, row, constant)]
    return {var: const for var, row, const in pivots if len(row) == 1}


def recoverable_cells(
    original: pl.DataFrame,
    published: pl.DataFrame,
    rules: dict[str, DisclosureRule] | None = None,
    links: list[tuple[str, str]] = (),
    *,
    exact: bool = False,
) -> list:
    """Suppressed counts an attacker works out exactly from the published counts.

    A cell is suppressed when its published count is missing though it had one, and it is
    small under its indicator's rule (with ``rules``) or, without rules, its value note is
    not the secondary note. Counts withheld only to protect others may be recoverable. The
    attack is subtraction and chains of subtractions (:func:`subtracted`); with ``exact``,
    any linear combination of relations (:func:`solved`).
    """
    truth = {tuple(r[k] for k in KEY): r["count"] for r in original.iter_rows(named=True)}
    shown = {tuple(r[k] for k in KEY): r for r in published.iter_rows(named=True)}
    secret = set()
    for cell, count in truth.items():
        row = shown.get(cell)
        if count is None or row is None or row["count"] is not None:
            continue
        if rules is not None:
            rule = rules.get(cell[0], DisclosureRule())
            small = 0 < count < rule.suppress_below or (rule.suppress_zero and count == 0)
        else:
            small = SECONDARY not in (row.get("value_note") or "")
        if small:
            secret.add(cell)
    known = {c: r["count"] for c, r in shown.items() if r["count"] is not None}
    unknown = set(truth) - set(known)
    attack = solved if exact else subtracted
    found = attack(known, unknown, relations(original, links))
    return sorted(cell for cell in found if cell in secret)


def _row(count: int, **keys) -> dict:
    """One consistent value row: value, limits and denominator follow from the count."""
    defaults = {"period": "2021", "period_start": 2021, "period_years": 1, "age": "All ages"}
    keys = defaults | keys
    order = ("indicator_id", "area_code", "period", "period_start", "period_years", "sex")
    return {
        **{k: keys[k] for k in order},
        "age": keys["age"],
        "category_type": keys["category_type"],
        "category": keys["category"],
        "value": count / 1000,
        "lower95_0cl": count / 2000,
        "upper95_0cl": count / 500 + 0.001,
        "lower99_8cl": None,
        "upper99_8cl": None,
        "count": float(count),
        "denominator": 1000.0,
        "value_note": None,
    }


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema_overrides={
            "lower99_8cl": pl.Float64,
            "upper99_8cl": pl.Float64,
            "value_note": pl.String,
            "period_start": pl.Int32,
            "period_years": pl.Int16,
        },
    )


@st.composite
def count_tables(draw, max_categories: int = 4) -> tuple[pl.DataFrame, dict[str, DisclosureRule]]:
    """Consistent tables: Persons = Male + Female and categories add up to the total row."""
    rows = []
    rules = {}
    for ind in range(draw(st.integers(1, 2))):
        indicator_id = f"ind{ind}"
        rules[indicator_id] = DisclosureRule(
            suppress_below=draw(st.integers(1, 10)),
            suppress_zero=draw(st.booleans()),
            round_to=draw(st.sampled_from([None, None, 5, 10])),
        )
        n_cat = draw(st.integers(0, max_categories))
        for area in ("E09000001", "E09000002")[: draw(st.integers(1, 2))]:
            parts = {
                (sex, cat): draw(st.integers(0, 25))
                for sex, cat in itertools.product(("Male", "Female"), range(n_cat or 1))
            }
            for sex in SEXES:
                for cat in [*range(n_cat), None] if n_cat else [None]:
                    sexes = ("Male", "Female") if sex == "Persons" else (sex,)
                    cats = range(n_cat or 1) if cat is None else (cat,)
                    count = sum(parts[(s, c)] for s in sexes for c in cats)
                    rows.append(
                        _row(
                            count,
                            indicator_id=indicator_id,
                            area_code=area,
                            sex=sex,
                            category_type="" if cat is None else "IMD 2019 decile",
                            category="" if cat is None else str(cat + 1),
                        )
                    )
    return _frame(rows), rules


def is_rounded(published: pl.DataFrame, rules: dict[str, DisclosureRule]) -> bool:
    """Every published count is a multiple of its rule's ``round_to``."""
    for row in published.iter_rows(named=True):
        step = rules.get(row["indicator_id"], DisclosureRule()).round_to
        if step and row["count"] is not None and not math.isclose(row["count"] % step, 0):
            return False
    return True


LONDON, BOROUGHS = "E12000007", ("E09000001", "E09000002", "E09000003")


@st.composite
def linked_tables(draw):
    """Consistent small-count tables linked every way healthgap publishes.

    Boroughs and London (London = the sum of its boroughs), single years and their 3-year
    pooled period, Persons = Male + Female, categories adding up to the total row and,
    sometimes, "All ages" = "<75 yrs" + "75+ yrs". Counts are drawn for the finest cells
    (borough, year, sex, category, age band), from 0 to 12, so many are suppressed.

    Returns ``(table, rules, links)`` with ``links`` the (child, parent) area pairs.
    """
    boroughs = BOROUGHS[: draw(st.integers(2, 3))]
    years = (2019, 2020, 2021)
    n_cat = draw(st.integers(0, 2))
    banded = draw(st.booleans())
    pooled = draw(st.booleans())
    bands = ("<75 yrs", "75+ yrs") if banded else ("All ages",)
    cats = [str(c + 1) for c in range(n_cat)] or [""]
    rules = {}
    rows = []
    for indicator in ("ind0", "ind1")[: draw(st.integers(1, 2))]:
        rules[indicator] = DisclosureRule(
            suppress_below=draw(st.integers(2, 10)),
            suppress_zero=draw(st.booleans()),
            round_to=draw(st.sampled_from([None, None, None, 5])),
        )
        atom = {
            key: draw(st.integers(0, 12))
            for key in itertools.product(boroughs, years, ("Male", "Female"), cats, bands)
        }
        areas = {b: (b,) for b in boroughs} | {LONDON: boroughs}
        periods = {str(y): ((y,), y, 1) for y in years}
        if pooled:
            periods["2019 - 21"] = (years, 2019, 3)
        sexes = {"Persons": ("Male", "Female"), "Male": ("Male",), "Female": ("Female",)}
        ages = {b: (b,) for b in bands} | ({"All ages": bands} if banded else {})
        categories = [("", "", tuple(cats))] + (
            [("IMD decile", c, (c,)) for c in cats] if n_cat else []
        )
        for area, period, sex, age, (ctype, cat, in_cat) in itertools.product(
            areas, periods, sexes, ages, categories
        ):
            in_years, start, n_years = periods[period]
            count = sum(
                atom[(b, y, s, c, a)]
                for b in areas[area]
                for y in in_years
                for s in sexes[sex]
                for c in in_cat
                for a in ages[age]
            )
            rows.append(
                _row(
                    count,
                    indicator_id=indicator,
                    area_code=area,
                    period=period,
                    period_start=start,
                    period_years=n_years,
                    sex=sex,
                    age=age,
                    category_type=ctype,
                    category=cat,
                )
            )
    frame = _frame(rows)
    links = [(b, LONDON) for b in boroughs]
    return frame, rules, links
