"""The roll-up equals a plain Polars group-by on every summation path.

:func:`healthgap.engine.rollup.rollup` sums packed integer keys by ``numpy.bincount`` when
they are few (``_DENSE_FACTOR``, ``_DENSE_MIN``), by a group-by on the packed key when they
are many, and by a group-by on the key columns when they do not pack into 62 bits
(``_PACK_LIMIT``); the final sort is a counting sort, an argsort or a sort by the codes on
the same conditions. Small test data only ever takes the first path, so each property is
checked with the thresholds forced each way against a reference written as plainly as
possible: join the lookup, repeat the rows for every level, breakdown, sex and period, and
group by the keys.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthgap.catalogue.indicator import (
    Breakdown,
    Denominator,
    Geography,
    Indicator,
    Numerator,
    Periods,
)
from healthgap.engine import rollup as rollup_module
from healthgap.engine.rollup import GROUP, KEYS, rollup
from healthgap.errors import InputError

AREAS = [f"E0100000{i}" for i in range(1, 7)]
ENGLAND = "E92000001"
GEO = Geography(
    area="lsoa_code",
    levels={"lsoa": "lsoa_code", "borough": "borough_code"},
    national={"england": ENGLAND},
    breakdowns={
        "decile": Breakdown(
            source="area", column="decile", category_type="Decile", labels={"1": "most"}
        ),
        "ethnicity": Breakdown(source="record", column="ethnicity", category_type="Ethnic group"),
    },
)
#: The three paths, forced: bincount always, a group-by on packed keys always, no packing.
PATHS = {
    "dense": {"_DENSE_MIN": 1 << 40},
    "packed group-by": {"_DENSE_MIN": 0, "_DENSE_FACTOR": 0},
    "unpacked group-by": {"_PACK_LIMIT": 1},
}


def _lookup(boroughs: list[str | None], deciles: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"lsoa_code": AREAS, "borough_code": boroughs, "decile": deciles},
        schema={"lsoa_code": pl.String, "borough_code": pl.String, "decile": pl.String},
    )


def _indicator(**fields) -> Indicator:
    """A proportion of events in a population (the method does not matter to the roll-up)."""
    return Indicator(
        id="t",
        name="T",
        method="proportion",
        numerator=Numerator(table="events"),
        denominator=Denominator(table="population", value="population"),
        **fields,
    )


@st.composite
def cases(draw):
    """A lookup, an indicator and its two sides' counts (keys may repeat within a side)."""
    boroughs = draw(
        st.lists(st.sampled_from(["E09000001", "E09000002", None]), min_size=6, max_size=6)
    )
    deciles = draw(st.lists(st.sampled_from(["1", "2", "10", None]), min_size=6, max_size=6))
    banded = draw(st.booleans())
    record = draw(st.booleans())
    breakdowns = tuple(
        b for b, on in (("decile", draw(st.booleans())), ("ethnicity", record)) if on
    )
    indicator = _indicator(
        geographies=tuple(
            draw(
                st.lists(
                    st.sampled_from(["lsoa", "borough", "england"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
        ),
        breakdowns=breakdowns,
        periods=Periods(
            pooled=tuple(sorted(draw(st.sets(st.sampled_from([1, 2, 3]), min_size=1))))
        ),
        sex=tuple(
            draw(st.sampled_from([("Persons",), ("Male", "Female"), ("Persons", "Male", "Female")]))
        ),
    )
    years = st.integers(2015, 2020)

    def side(min_size: int) -> pl.DataFrame:
        rows = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(AREAS),
                    years,
                    st.sampled_from(["Male", "Female"]),
                    st.sampled_from([0, 1, 5, 90]),
                    st.sampled_from(["A", "B", None]),
                    st.one_of(st.none(), st.integers(0, 1000).map(float)),
                ),
                min_size=min_size,
                max_size=40,
            )
        )
        frame = pl.DataFrame(
            rows,
            schema={
                "area_code": pl.String,
                "year": pl.Int32,
                "sex": pl.String,
                "age_start": pl.Int16,
                "rb_ethnicity": pl.String,
                "n": pl.Float64,
            },
            orient="row",
        )
        return frame.drop(
            *(["age_start"] if not banded else []), *(["rb_ethnicity"] if not record else [])
        )

    sides = {"x": side(0), "n": side(1)}
    kept = draw(st.none() | st.lists(years, max_size=3))  # periods ending in these years
    return _lookup(boroughs, deciles), indicator, sides, banded, kept


def _reference(
    lookup: pl.DataFrame,
    ind: Indicator,
    sides: dict[str, pl.DataFrame],
    banded: bool,
    kept: list[int] | None,
) -> pl.DataFrame:
    """The roll-up's definition, as a plain group-by over repeated rows."""
    seen = set(sides["n"]["year"].to_list())
    rows = pl.concat(
        [
            frame.filter(pl.col("year").is_in(sorted(seen))).with_columns(
                pl.lit(name).alias("_side")
            )
            for name, frame in sides.items()
        ],
        how="diagonal",
    ).join(lookup, left_on="area_code", right_on=GEO.area, how="inner")
    by_split = []
    for level in ind.geographies:
        column = {GEO.area: "area_code"}.get(GEO.levels.get(level, ""), GEO.levels.get(level))
        code = pl.col(column) if column else pl.lit(GEO.national[level])
        splits = [(pl.lit(""), pl.lit(""))]
        for b in ind.breakdowns:
            spec = GEO.breakdowns[b]
            column = pl.col(spec.column if spec.source == "area" else f"rb_{spec.column}")
            splits.append((pl.lit(spec.category_type), column.replace(spec.labels)))
        for ctype, category in splits:
            by_split.append(
                rows.select(
                    code.alias("area_code"),
                    "year",
                    "sex",
                    ctype.alias("category_type"),
                    category.alias("category"),
                    *(["age_start"] if banded else []),
                    "_side",
                    "n",
                ).filter(pl.col("area_code").is_not_null() & pl.col("category").is_not_null())
            )
    split = pl.concat(by_split)
    sexes = [split.filter(pl.col("sex").is_in([s for s in ind.sex if s != "Persons"]))]
    if "Persons" in ind.sex:
        sexes.append(split.with_columns(pl.lit("Persons").alias("sex")))
    sexed = pl.concat(sexes)
    periods = []
    for length in ind.periods.pooled:
        ends = [y for y in sorted(seen) if all(y - k in seen for k in range(length))]
        ends = [y for y in ends if kept is None or y in kept]
        for end in ends:
            periods.append(
                sexed.filter(pl.col("year").is_between(end - length + 1, end)).with_columns(
                    pl.lit(end - length + 1, pl.Int32).alias("period_start"),
                    pl.lit(length, pl.Int16).alias("period_years"),
                )
            )
    keys = [*KEYS, *(["age_start"] if banded else [])]
    if not periods:
        return pl.DataFrame(schema=dict.fromkeys(keys, pl.Int32))
    summed = pl.concat(periods).group_by(*keys, "_side").agg(pl.col("n").sum())
    wide = summed.pivot(on="_side", index=keys, values="n")
    for name in sides:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(0.0).alias(name))
    return wide.select(*keys, *[pl.col(s).fill_null(0.0) for s in sides]).sort(keys)


def _check_groups(out: pl.DataFrame) -> None:
    """``GROUP`` is the same within a group's keys and grows from one group to the next."""
    if out[GROUP].null_count() == len(out):
        return
    assert out[GROUP].null_count() == 0
    firsts = out.with_columns(pl.struct(KEYS).rle_id().alias("_k"))
    per_group = firsts.group_by("_k").agg(
        pl.col(GROUP).n_unique().alias("u"), pl.col(GROUP).first()
    )
    assert (per_group["u"] == 1).all()
    assert np.all(np.diff(per_group.sort("_k")[GROUP].to_numpy()) > 0)


@pytest.mark.parametrize("path", list(PATHS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_rollup_equals_a_plain_group_by(path, case):
    lookup, ind, sides, banded, kept = case
    with mock.patch.multiple(rollup_module, **PATHS[path]):
        out = rollup(ind, GEO, sides, lookup, banded=banded, years=kept)
    keys = [*KEYS, *(["age_start"] if banded else [])]
    expected = _reference(lookup, ind, sides, banded, kept)
    assert out.equals(out.sort(keys, maintain_order=True)), "rows are sorted by their keys"
    assert out.select(keys).is_unique().all()
    got = out.select(*keys, *sides)
    assert len(got) == len(expected)
    if len(expected):
        assert got.select(keys).equals(expected.select(keys).cast(got.select(keys).schema))
        for name in sides:
            np.testing.assert_allclose(got[name].to_numpy(), expected[name].to_numpy(), rtol=1e-12)
    _check_groups(out)


@pytest.mark.parametrize("path", list(PATHS))
def test_paths_agree_on_the_engine_test_data(path, catalogue, data_dir):
    """Every indicator of the test catalogue: the same counts on each forced path."""
    from healthgap.engine import compute_counts

    default = compute_counts(catalogue, data_dir)
    with mock.patch.multiple(rollup_module, **PATHS[path]):
        forced = compute_counts(catalogue, data_dir)
    assert forced.keys() == default.keys()
    for indicator_id, frame in default.items():
        got = forced[indicator_id]
        if path == "unpacked group-by" and GROUP in got.columns:  # no packing: no group numbers
            assert got[GROUP].null_count() == len(got)
            frame, got = frame.drop(GROUP), got.drop(GROUP)
        assert got.equals(frame), indicator_id


def test_area_codes_not_in_the_lookup_are_named():
    ind = _indicator()
    side = pl.DataFrame(
        {
            "area_code": ["E01000001", "W01000009"],
            "year": [2020, 2020],
            "sex": ["Male"] * 2,
            "n": [1.0, 2.0],
        }
    )
    lookup = _lookup([None] * 6, [None] * 6)
    with pytest.raises(InputError, match=r"1 area codes are not in the lookup .*'W01000009'"):
        rollup(ind, GEO, {"x": side, "n": side}, lookup, banded=False)
