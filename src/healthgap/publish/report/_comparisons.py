"""Fingertips-style comparisons of the latest values: with the region and the nation side by
side, rank among the areas, quintile among the nation's areas, a source's own judgement.

Comparisons use :func:`healthgap.compare.benchmark` (confidence-interval overlap at 95%, with
polarity) and :func:`healthgap.compare.quintiles` (Fingertips' quintile bounds).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

SERIES = ("indicator_id", "sex", "age")
LIMITS = ("lower95_0cl", "upper95_0cl")
#: Fingertips' own judgement against England, when a source keeps it beside the values
PUBLISHED_JUDGEMENT = "compared_to_england"
#: a peer group needs this many values for quintiles (compare.quintiles' own minimum)
MIN_QUINTILE_PEERS = 5


def judgement_columns(frame: pl.DataFrame, nation: str) -> list[pl.Expr]:
    """Download columns of a source's own judgement and our disagreement, when present."""
    if "disagreement" not in frame.columns:
        return []
    return [
        pl.col("published_comparison").alias(f"Source's comparison with {nation}"),
        pl.col("disagreement").alias("Source and healthgap disagree"),
    ]


def judgement_note(frame: pl.DataFrame, nation: str) -> str:
    """A sentence saying for how many values a source's own judgement agrees with ours.

    Empty when the rows carry no source judgement.
    """
    if "disagreement" not in frame.columns:
        return ""
    theirs = frame.filter(pl.col("published_comparison").is_not_null())
    if theirs.is_empty():
        return ""
    both = theirs.filter(
        (_word("national_comparison") != "Not compared")
        & (_word("published_comparison") != "Not compared")
    )
    differ = int(both["disagreement"].sum())
    shown = " (marked 'source: ...')" if differ else ""
    return (
        f" The source published its own comparison with {nation} for {theirs.height} of "
        f"these values; of the {both.height} judged by both, ours agrees for "
        f"{both.height - differ} and differs for {differ}{shown}."
    )


def _versus(frame: pl.DataFrame, bench: str, prefix: str) -> pl.DataFrame:
    """Fingertips' CI-overlap judgement of every row against the benchmark column ``bench``.

    Rows without a benchmark or limits are "Not compared", with the reason.
    """
    from healthgap.compare import benchmark

    judged = benchmark(
        frame.select("value", *LIMITS, bench, "polarity"),
        lower_cl=LIMITS[0],
        upper_cl=LIMITS[1],
        benchmark_value=bench,
        polarity="polarity",
        confidence=0.95,
    )
    return judged.select(
        pl.col("comparison").alias(f"{prefix}comparison"),
        pl.col("reason").alias(f"{prefix}reason"),
        pl.col("comparison_method").alias(f"{prefix}comparison_method"),
    )


def _word(column: str) -> pl.Expr:
    """A judgement's first word, "Not compared" when missing or unknown (as base_label)."""
    from healthgap.publish.report._style import ORDER

    first = pl.col(column).str.split(" ").list.first()
    return pl.when(first.is_in(list(ORDER))).then(first).otherwise(pl.lit("Not compared"))


def compare_latest(
    latest: pl.DataFrame,
    region: str,
    national: str | None,
    areas: Sequence[str],
    peers: pl.DataFrame,
) -> pl.DataFrame:
    """The latest value of every series and area, judged as Fingertips judges it.

    Adds ``region_value``, ``comparison`` (with the region: Better/Similar/Worse, or
    Higher/Lower without polarity, by CI overlap at 95%; "Not compared" and ``reason`` when
    no interval is published), ``national_value``, ``national_comparison`` (the same with the
    nation), ``rank`` and ``n_ranked`` (1 = best among ``areas``, by polarity; by value,
    highest first, without one), ``quintile`` (1 = lowest values) and ``quintile_label``
    (Fingertips' words) among the nation's areas of the same type when at least five have
    values (``quintile_among`` "nation"), else among ``areas`` ("region"), and, when the rows
    carry a source's own judgement with the nation (``compared_to_england``),
    ``published_comparison`` and ``disagreement`` (True where the source and we differ).

    ``latest`` needs the SERIES keys, period, area_code, value, the 95% limits and polarity.
    """
    from healthgap.compare import quintiles

    keys = [*SERIES, "period"]
    bench = lambda code, name: latest.filter(pl.col("area_code") == code).select(  # noqa: E731
        *keys, pl.col("value").alias(name)
    )
    out = latest.join(bench(region, "region_value"), on=keys, how="left")
    if national is not None:
        out = out.join(bench(national, "national_value"), on=keys, how="left")
    else:
        out = out.with_columns(national_value=pl.lit(None, pl.Float64))
    out = pl.concat(
        [
            out,
            _versus(out, "region_value", ""),
            _versus(out, "national_value", "national_"),
        ],
        how="horizontal",
    )
    is_region = pl.col("area_code") == region
    is_nation = pl.col("area_code").is_in([national] if national else [])
    out = out.with_columns(
        comparison=pl.when(is_region | is_nation).then(pl.lit(None)).otherwise("comparison"),
        national_comparison=pl.when(is_nation).then(pl.lit(None)).otherwise("national_comparison"),
    )
    # rank among the areas: 1 = best (by polarity), or highest value without one
    sign = pl.when(pl.col("polarity") == "low_is_good").then(1.0).otherwise(-1.0)
    ranked = (
        out.filter(pl.col("area_code").is_in(list(areas)) & pl.col("value").is_not_null())
        .with_columns(_key=pl.col("value") * sign)
        .with_columns(
            rank=pl.col("_key").rank("min").over(SERIES).cast(pl.Int64),
            n_ranked=pl.len().over(SERIES).cast(pl.Int64),
        )
        .select(*SERIES, "area_code", "rank", "n_ranked")
    )
    out = out.join(ranked, on=[*SERIES, "area_code"], how="left")
    out = out.join(_quintiles(out, peers, areas, quintiles), on=[*SERIES, "area_code"], how="left")
    if PUBLISHED_JUDGEMENT in out.columns:
        ours, theirs = _word("national_comparison"), _word(PUBLISHED_JUDGEMENT)
        judged = (ours != "Not compared") & (theirs != "Not compared")
        out = out.with_columns(
            published_comparison=pl.col(PUBLISHED_JUDGEMENT),
            disagreement=(judged & (ours != theirs)).fill_null(False),
        )
    return out


def _quintiles(
    out: pl.DataFrame, peers: pl.DataFrame, areas: Sequence[str], quintiles
) -> pl.DataFrame:
    """Quintile of each area among its nation's peers, or among the report's areas."""
    keys = [*SERIES, "area_code", "quintile", "quintile_label", "quintile_among"]
    empty = pl.DataFrame(
        schema={
            **dict.fromkeys((*SERIES, "area_code"), pl.String),
            "quintile": pl.Int64,
            "quintile_label": pl.String,
            "quintile_among": pl.String,
        }
    )
    pools = []
    polarity = out.select("indicator_id", "polarity").unique()
    counted = peers.drop_nulls("value")
    counted = counted.with_columns(_n=pl.len().over(SERIES))
    national = counted.filter(pl.col("_n") >= MIN_QUINTILE_PEERS)
    covered = national.select(SERIES).unique()
    if national.height:
        pools.append(
            national.select(*SERIES, "area_code", "value").with_columns(
                quintile_among=pl.lit("nation")
            )
        )
    local = out.filter(pl.col("area_code").is_in(list(areas))).join(
        covered, on=list(SERIES), how="anti"
    )
    if local.height:
        pools.append(
            local.select(*SERIES, "area_code", "value").with_columns(
                quintile_among=pl.lit("region")
            )
        )
    if not pools:
        return empty
    pool = pl.concat(pools).join(polarity, on="indicator_id", how="left")
    judged = quintiles(pool, group_by=[*SERIES, "quintile_among"], polarity="polarity")
    return (
        judged.filter(pl.col("area_code").is_in(list(areas)))
        .select(
            *SERIES,
            "area_code",
            "quintile",
            pl.col("comparison").alias("quintile_label"),
            "quintile_among",
        )
        .select(keys)
    )
