"""Arriaga's decomposition of a gap in life expectancy by age band and cause of death."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _output
from healthgap.errors import InputError
from healthgap.methods import _ages, _aggregate, _life_table
from healthgap.methods._expectancy import output_rows, prepare

__all__ = ["decompose_gap"]

METHOD = "Arriaga (1984), Chiang II life tables"
METHOD_CAUSE = (
    "Arriaga (1984), Chiang II life tables; causes in proportion to their "
    "death-rate differences (Preston et al. 2001)"
)


def decompose_gap(
    data: IntoFrameT,
    deaths: str,
    population: str,
    startage: str,
    by: str,
    *,
    reference: Any,
    comparison: Any = None,
    cause: str | None = None,
    group_by: str | Sequence[str] = (),
    age_contents: Sequence[Any] | None = None,
    age: Any = 0,
    type: str = "full",
    errors: _checks.OnError = "flag",
) -> IntoFrameT:
    r"""Split the gap in life expectancy between two populations by age band (and cause).

    Both populations get the life table of :func:`~healthgap.methods.life_expectancy`
    (Chiang II). With population 1 the ``comparison`` and population 2 the ``reference``,
    the gap at age :math:`a` is :math:`e^2_a - e^1_a` and band :math:`x` (width :math:`n`)
    contributes (Arriaga 1984; Preston, Heuveline & Guillot 2001, eq 3.11)

    .. math::
        {}_n\Delta_x = \frac{l^1_x}{l^1_a}\Big(\frac{{}_nL^2_x}{l^2_x}
        - \frac{{}_nL^1_x}{l^1_x}\Big) + \frac{T^2_{x+n}}{l^1_a}
        \Big(\frac{l^1_x}{l^2_x} - \frac{l^1_{x+n}}{l^2_{x+n}}\Big),
        \qquad \Delta_\omega = \frac{l^1_\omega}{l^1_a}\Big(\frac{T^2_\omega}{l^2_\omega}
        - \frac{T^1_\omega}{l^1_\omega}\Big)

    for the open band :math:`\omega`: the direct effect of the band's own mortality and the
    indirect effect of the survivors it adds to later bands. The contributions add up to the
    gap exactly. With deaths by cause, each band's contribution is shared among causes in
    proportion to their death-rate differences (Arriaga 1989; Preston et al. eq 3.12):

    .. math:: {}_n\Delta^i_x = {}_n\Delta_x \,
        \frac{{}_nm^{i,2}_x - {}_nm^{i,1}_x}{{}_nm^2_x - {}_nm^1_x}

    so causes also add up to their band's contribution (a band whose all-cause rates are
    equal contributes nothing; its zero is shared equally).

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per population, age band (and cause) for each pair.
    deaths, population, startage : str
        As in :func:`~healthgap.methods.life_expectancy`. With ``cause``, ``deaths`` are
        deaths from that cause and ``population`` repeats the band's population on every
        cause row; the causes must cover all deaths (include an "other causes" row), one
        row per population, band and cause.
    by : str
        Column naming the two populations (e.g. deprivation quintile, area code).
    reference : scalar
        The value of ``by`` for the reference population (e.g. least deprived, England).
    comparison : scalar, optional
        The value of ``by`` for the compared population; default: the only other value.
    cause : str, optional
        Column of causes of death; gives one row per band and cause.
    group_by : str or sequence of str, default ()
        Columns defining pairs (e.g. borough, sex, period): one decomposition per pair.
    age_contents : sequence or None, default None
        The age-band layout (as in ``life_expectancy``; one layout for every pair).
    age : age band, default 0
        Start of the band at which life expectancy is compared (0: at birth).
    type : {'full', 'standard', 'value'}, default 'full'
        ``'value'``: keys and ``value``; ``'standard'`` adds ``le_reference``,
        ``le_comparison``, ``gap`` and ``share`` (``value / gap``); ``'full'`` adds
        ``confidence`` (null), ``statistic`` and ``method``.
    errors : {'flag', 'raise'}, default 'flag'
        As in ``life_expectancy``: bad input withholds the pair (or raises).

    Returns
    -------
    Same type as ``data``
        One row per pair and age band from ``age`` on (and cause): the ``group_by``
        columns, ``startage`` (and ``cause``), ``value`` (years contributed to
        :math:`e^{ref} - e^{comp}`; positive where the comparison population's mortality is
        higher), then the columns ``type`` asks for.

    Notes
    -----
    A pair is withheld (null values, reason in ``statistic``, one aggregated
    :class:`~healthgap.errors.SuppressedWarning`) when either population breaks OHID's life
    expectancy rules (total population 5,000 or less, no deaths in the open band, bad input)
    or is missing from the data.

    References
    ----------
    .. [1] Arriaga EE. Measuring and explaining the change in life expectancies.
       Demography 1984;21:83-96.
    .. [2] Arriaga EE. Changing trends in mortality decline during the last decades. In:
       Ruzicka L, Wunsch G, Kane P (eds). Differential Mortality. Oxford: Clarendon, 1989.
    .. [3] Preston SH, Heuveline P, Guillot M. Demography: measuring and modeling population
       processes. Oxford: Blackwell, 2001, section 3.9 and box 3.4.
    .. [4] Public Health England. Segment Tool: technical document (life expectancy gap by
       cause and age).

    Examples
    --------
    Most against least deprived, twice the death rate below age 85: 5.662 of the 7.369
    years' gap come from ages 45-84.

    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "q": ["least"] * 4 + ["most"] * 4, "age": ["0", "1-44", "45-84", "85+"] * 2,
    ...     "pop": [1000, 40000, 30000, 2000] * 2,
    ...     "deaths": [3, 20, 300, 400, 6, 40, 600, 450]})
    >>> out = decompose_gap(df, "deaths", "pop", "age", "q", reference="least")
    >>> out.select("age", pl.col("value", "gap").round(3)).rows()
    [('0', 0.239, 7.369), ('1-44', 1.242, 7.369), ('45-84', 5.662, 7.369), ('85+', 0.226, 7.369)]
    """
    frame = _frames.to_frame(data)
    keys = _frames.as_names(group_by)
    _checks.one_of("type", type, ("value", "standard", "full"))
    _checks.one_of("errors", errors, ("raise", "flag"))
    if age_contents == _ages.BY_GROUP:
        raise InputError(
            "decompose_gap needs one age-band layout for both populations; "
            "age_contents='by group' is not allowed"
        )
    _checks.columns(frame, *keys, by, cause)
    comparison = _comparison_value(frame, by, reference, comparison)
    frame = frame.filter(nw.col(by).is_in([reference, comparison]))
    if len(frame) == 0:
        raise InputError("argument 'data' has no rows")

    prep = prepare(frame, (*keys, by), deaths, population, startage, age_contents, errors)
    g = prep.g
    p_matrix = prep.population
    reasons = prep.reasons
    if cause is not None:
        p_matrix, cause_deaths, cause_labels, band_reasons = _by_cause(
            frame, prep, deaths, population, cause, errors
        )
        reasons = _life_table.merge(
            reasons,
            band_reasons,
            _life_table.withheld_reasons(prep.deaths, p_matrix, prep.banded.present),
        )

    # pairs: the group_by keys of each (keys + by) group, and which side it is
    assert g.keys is not None  # grouped by at least ``by``
    pair_of, pair_keys = _frames.group_ids(g.keys, keys)
    n_pairs = 1 if pair_keys is None else len(pair_keys)
    pairs = _aggregate.Groups(pair_of, n_pairs, pair_keys)
    is_ref = (g.keys[by] == reference).to_numpy()
    ref_idx = np.full(n_pairs, -1)
    cmp_idx = np.full(n_pairs, -1)
    ref_idx[pair_of[is_ref]] = np.flatnonzero(is_ref)
    cmp_idx[pair_of[~is_ref]] = np.flatnonzero(~is_ref)
    pair_reasons = np.full(n_pairs, None, dtype=object)
    lone = (ref_idx < 0) | (cmp_idx < 0)
    if lone.any() and errors == "raise":
        raise InputError(
            f"each pair needs both populations ({by} = {reference!r} and "
            f"{comparison!r}); {int(lone.sum()):,} of {n_pairs:,} pairs lack one "
            f"(first: {_aggregate.describe_group(pairs, int(np.argmax(lone)))})"
        )
    pair_reasons[lone] = "one of the two populations is missing"
    if reasons is not None:
        for side in (ref_idx, cmp_idx):
            side_reason = np.where(side >= 0, reasons[np.maximum(side, 0)], np.array(None))
            merged = _life_table.merge(pair_reasons, side_reason)
            assert merged is not None
            pair_reasons = merged
    withheld = _life_table.is_withheld(pair_reasons, n_pairs)
    ref_idx, cmp_idx = np.maximum(ref_idx, 0), np.maximum(cmp_idx, 0)

    # one vectorised life table for every population (withheld ones get harmless rows)
    bad_group = _life_table.is_withheld(reasons, g.count)
    d = np.where(bad_group[:, None], 1.0, prep.deaths)
    p = np.where(bad_group[:, None], 2.0, p_matrix)
    table = _life_table.chiang(d, p, prep.banded.starts)
    t_ref = _life_table.LifeTable(*(f[ref_idx] if f.ndim == 2 else f for f in table))
    t_cmp = _life_table.LifeTable(*(f[cmp_idx] if f.ndim == 2 else f for f in table))

    _gi, ki = output_rows(prep, age, "age")
    first = int(ki[0])
    if not (age == "all" or np.ndim(age) == 0):
        raise InputError(f"argument 'age' must be one age band; got {age!r}")
    contrib = _life_table.arriaga(t_cmp, t_ref, first)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_ref = t_ref.T[:, first] / t_ref.l[:, first]
        e_cmp = t_cmp.T[:, first] / t_cmp.l[:, first]
    gap = e_ref - e_cmp

    k = len(prep.banded.starts)
    bands = np.arange(first, k)
    rp, rk = np.repeat(np.arange(n_pairs), len(bands)), np.tile(bands, n_pairs)
    values = contrib[rp, rk]
    label_of = np.array(prep.banded.labels, dtype=object)
    extra_cols: dict[str, np.ndarray] = {}
    if cause is not None:
        n_causes = len(cause_labels)
        m_ref = cause_deaths[ref_idx] / p_matrix[ref_idx][..., None]
        m_cmp = cause_deaths[cmp_idx] / p_matrix[cmp_idx][..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            diff = m_cmp - m_ref
            total = diff.sum(axis=2, keepdims=True)
            share = np.where(total != 0, diff / total, 1.0 / n_causes)
        by_cause = contrib[..., None] * share
        rp, rk = np.repeat(rp, n_causes), np.repeat(rk, n_causes)
        rc = np.tile(np.arange(n_causes), len(values))
        values = by_cause[rp, rk, rc]
        extra_cols[cause] = np.asarray(cause_labels, dtype=object)[rc]

    keys_frame = _life_table.row_keys(
        pairs, frame, rp, startage, label_of[rk], frame.schema[startage]
    )
    if cause is not None:
        keys_frame = _output.with_arrays(keys_frame, {cause: extra_cols[cause]})
        keys_frame = keys_frame.with_columns(nw.col(cause).cast(frame.schema[cause]))
    row_withheld = withheld[rp]
    standard: dict[str, np.ndarray] = {}
    if type in ("standard", "full"):
        with np.errstate(divide="ignore", invalid="ignore"):
            standard = {
                "le_reference": e_ref[rp],
                "le_comparison": e_cmp[rp],
                "gap": gap[rp],
                "share": values / gap[rp],
            }
        standard = {c: np.where(row_withheld, np.nan, v) for c, v in standard.items()}
    age_label = label_of[first]
    age_text = age_label if isinstance(age_label, str) else _checks._fmt_one(age_label)
    base = np.full(
        len(values), f"contribution to the gap in life expectancy at {age_text}", dtype=object
    )
    stat = _life_table.statistic(base, pair_reasons if withheld.any() else None, rp)
    method = (
        METHOD_CAUSE if cause is not None else METHOD
    ) + f"; {_ages.describe(prep.banded.starts)}"
    out = _output.assemble(
        keys_frame,
        value=values,
        limits={},
        levels=(),
        statistic=stat,
        method=method,
        type=type,
        extra=standard,
        withheld=row_withheld if row_withheld.any() else None,
    )
    _life_table.warn_withheld("life expectancy gap decomposition", pair_reasons, pairs)
    return _frames.to_native(out)


def _comparison_value(frame: nw.DataFrame[Any], by: str, reference: Any, comparison: Any) -> Any:
    """Return the compared population's value of ``by`` (the only other one if not given)."""
    found = frame[by].unique().to_list()
    if reference not in found:
        raise InputError(
            f"reference {reference!r} not found in column '{by}'; "
            f"values: {_checks._fmt(sorted(found, key=str)[:10])}"
        )
    if comparison is None:
        others = [v for v in found if v != reference]
        if len(others) != 1:
            raise InputError(
                f"column '{by}' has {len(found)} values; name the compared population "
                f"with comparison= (values: {_checks._fmt(sorted(found, key=str)[:10])})"
            )
        return others[0]
    if comparison not in found:
        raise InputError(f"comparison {comparison!r} not found in column '{by}'")
    if comparison == reference:
        raise InputError("reference and comparison must differ")
    return comparison


def _by_cause(
    frame: nw.DataFrame[Any], prep: Any, deaths: str, population: str, cause: str, errors: str
) -> tuple[np.ndarray, np.ndarray, list[Any], np.ndarray | None]:
    """Band populations (repeated on cause rows), deaths by cause ``(groups, bands, causes)``."""
    g, banded = prep.g, prep.banded
    k = len(banded.starts)
    if frame[cause].null_count():
        raise InputError(
            f"column '{cause}' must not be missing: "
            f"{_checks.where(frame[cause].is_null().to_numpy())}"
        )
    labels, cause_id = np.unique(frame[cause].to_numpy(), return_inverse=True)
    n_causes = len(labels)
    cell = g.ids * k + banded.row_band
    flat = cell * n_causes + cause_id
    if np.bincount(flat).max() > 1:
        raise InputError(
            f"with cause='{cause}', each population, age band and cause must "
            "have one row; some repeat"
        )
    pops = _frames.column(frame, population)
    size = g.count * k
    hi = np.full(size, -np.inf)
    lo = np.full(size, np.inf)
    np.maximum.at(hi, cell, pops)
    np.minimum.at(lo, cell, pops)
    unequal = (hi != lo) & np.isfinite(hi)
    if unequal.any():
        raise InputError(
            f"column '{population}' must repeat the band's population on every cause row; "
            f"{int(unequal.sum()):,} population-band cells differ between causes"
        )
    p_matrix = np.where(np.isfinite(hi), hi, 0.0).reshape(g.count, k)
    cause_deaths = np.bincount(
        flat, weights=_frames.column(frame, deaths), minlength=size * n_causes
    ).reshape(g.count, k, n_causes)
    over = (cause_deaths.sum(axis=2) > p_matrix).any(axis=1)
    reasons = None
    if over.any():
        rule = f"deaths from all causes must not exceed column '{population}'"
        if errors == "raise":
            raise InputError(
                f"{rule}: {int(over.sum()):,} of {g.count:,} groups fail "
                f"(first: {_aggregate.describe_group(g, int(np.argmax(over)))})"
            )
        reasons = np.where(over, rule, np.array(None))
    return p_matrix, cause_deaths, list(labels.tolist()), reasons
