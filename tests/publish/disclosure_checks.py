"""Independent checks of published values (plain Python, no shared code with disclosure.py).

Used by the disclosure and export tests: a table is safe when no published count is
suppressible under its indicator's rule, and no group (a total and its parts) has exactly
one withheld count, which subtraction from the others would reveal.
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


def recoverable_cells(original: pl.DataFrame, published: pl.DataFrame) -> list:
    """Cells whose withheld count equals a published total minus published parts."""
    key = ("indicator_id", "area_code", "period", "sex", "age", "category_type", "category")
    truth = {tuple(r[k] for k in key): r["count"] for r in original.iter_rows(named=True)}
    shown = {tuple(r[k] for k in key): r["count"] for r in published.iter_rows(named=True)}
    groups: dict[tuple, list[tuple[tuple, bool]]] = defaultdict(list)  # (cell, is_total)
    for cell in truth:
        ind, area, period, sex, age, ctype, cat = cell
        if sex in SEXES:  # Persons = Male + Female
            groups[("sex", ind, area, period, age, ctype, cat)].append((cell, sex == "Persons"))
        if ctype:  # the categories of a breakdown = the row without breakdown
            groups[("cat", ind, area, period, sex, age, ctype)].append((cell, False))
    breakdowns = [g for g in groups if g[0] == "cat"]
    for cell in truth:
        ind, area, period, sex, age, ctype, _ = cell
        if not ctype:
            for group in breakdowns:
                if group[1:6] == (ind, area, period, sex, age):
                    groups[group].append((cell, True))
    found = []
    for members in groups.values():
        totals = [is_total for _, is_total in members]
        if not any(totals) or all(totals):
            continue
        withheld = [cell for cell, _ in members if shown.get(cell) is None]
        if len(withheld) == 1 and truth[withheld[0]] is not None:
            found.append(withheld[0])
    return found


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
                        {
                            "indicator_id": indicator_id,
                            "area_code": area,
                            "period": "2021",
                            "period_start": 2021,
                            "period_years": 1,
                            "sex": sex,
                            "age": "All ages",
                            "category_type": "" if cat is None else "IMD 2019 decile",
                            "category": "" if cat is None else str(cat + 1),
                            "value": count / 1000,
                            "lower95_0cl": count / 2000,
                            "upper95_0cl": count / 500 + 0.001,
                            "lower99_8cl": None,
                            "upper99_8cl": None,
                            "count": float(count),
                            "denominator": 1000.0,
                            "value_note": None,
                        }
                    )
    frame = pl.DataFrame(
        rows,
        schema_overrides={
            "lower99_8cl": pl.Float64,
            "upper99_8cl": pl.Float64,
            "value_note": pl.String,
            "period_start": pl.Int32,
            "period_years": pl.Int16,
        },
    )
    return frame, rules


def is_rounded(published: pl.DataFrame, rules: dict[str, DisclosureRule]) -> bool:
    """Every published count is a multiple of its rule's ``round_to``."""
    for row in published.iter_rows(named=True):
        step = rules.get(row["indicator_id"], DisclosureRule()).round_to
        if step and row["count"] is not None and not math.isclose(row["count"] % step, 0):
            return False
    return True
