"""WHO Health Equity Assessment Toolkit (HEAT) summary measures of health inequality."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import narwhals as nw
import numpy as np
from narwhals.typing import IntoFrameT

from healthgap import _checks, _frames, _limits, _output
from healthgap.errors import InputError, SuppressedWarning
from healthgap.methods import _heat, _simulation

__all__ = ["inequality_measures"]

#: Measures for ordered dimensions (e.g. deprivation, income quintile) - WHO HEAT.
ORDERED = ("d", "r", "aci", "rci", "sii", "rii", "paf", "par")
#: Measures for non-ordered dimensions (e.g. ethnicity, region) - WHO HEAT.
NON_ORDERED = (
    "d",
    "r",
    "bgv",
    "bgsd",
    "cov",
    "mdbu",
    "mdbw",
    "mdmu",
    "mdmw",
    "mdru",
    "mdrw",
    "idisu",
    "idisw",
    "ti",
    "mld",
    "paf",
    "par",
)
ALL_MEASURES = tuple(dict.fromkeys(ORDERED + NON_ORDERED))
#: Measures whose confidence limits have a closed form in WHO's technical notes.
ANALYTIC = frozenset({"d", "r", "aci", "rci", "sii", "rii", "bgv"})
#: WHO HEAT's display scales: TI and MLD x 1000; PAF, COV and IDIS as percentages.
DEFAULT_SCALE: Mapping[str, float] = {
    "ti": 1000,
    "mld": 1000,
    "paf": 100,
    "cov": 100,
    "idisu": 100,
    "idisw": 100,
}
#: Fewest simulation draws accepted for the simulated limits.
MIN_REPETITIONS = 100
#: Most simulation draws accepted (far past any gain in precision; bounds memory and time).
MAX_REPETITIONS = 10_000_000
#: ``statistic`` of a setting withheld for a subgroup without a value or standard error.
WITHHELD = "withheld: missing value or standard error"

#: Names of the measures (``statistic`` adds the display scale).
MEASURE_NAMES = {
    "d": "difference (D)",
    "r": "ratio (R)",
    "aci": "absolute concentration index (ACI)",
    "rci": "relative concentration index (RCI)",
    "sii": "slope index of inequality (SII, logistic)",
    "rii": "relative index of inequality (RII, logistic)",
    "bgv": "between-group variance (BGV)",
    "bgsd": "between-group standard deviation (BGSD)",
    "cov": "coefficient of variation (COV)",
    "mdbu": "mean difference from best performing subgroup, unweighted (MDBU)",
    "mdbw": "mean difference from best performing subgroup, weighted (MDBW)",
    "mdmu": "mean difference from mean, unweighted (MDMU)",
    "mdmw": "mean difference from mean, weighted (MDMW)",
    "mdru": "mean difference from reference subgroup, unweighted (MDRU)",
    "mdrw": "mean difference from reference subgroup, weighted (MDRW)",
    "idisu": "index of disparity, unweighted (IDISU)",
    "idisw": "index of disparity, weighted (IDISW)",
    "ti": "Theil index (TI)",
    "mld": "mean log deviation (MLD)",
    "paf": "population attributable fraction (PAF)",
    "par": "population attributable risk (PAR)",
}


def _scale_of(scale: Mapping[str, float] | None) -> dict[str, float]:
    if scale is None:
        return {}
    bad = sorted(set(scale) - set(ALL_MEASURES))
    if bad:
        raise InputError(
            f"argument 'scale' names unknown measures {bad}; known: {list(ALL_MEASURES)}"
        )
    return {k: _checks.number(f"scale['{k}']", v, low=0, low_open=True) for k, v in scale.items()}


def _indicator_scale(y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """WHO's inference of an indicator's scale from its largest value: 1, 100, 1000, ..."""
    top = np.max(np.where(mask, y, -np.inf), axis=1)
    return np.where(top <= 1, 1.0, 10.0 ** np.maximum(2, np.ceil(np.log10(np.maximum(top, 1)))))


def inequality_measures(
    data: IntoFrameT,
    value: str,
    population: str | None = None,
    *,
    dimension_type: str = "ordered",
    order: str | None = None,
    reference: str | None = None,
    favourable: bool = True,
    measures: Sequence[str] | None = None,
    group_by: str | Sequence[str] = (),
    confidence: _checks.Confidence = 0.95,
    se: str | None = None,
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    scale: Mapping[str, float] | None = DEFAULT_SCALE,
    indicator_scale: float | None = None,
    repetitions: int = 1000,
    seed: int | np.random.SeedSequence | None = None,
    errors: _checks.OnError = "raise",
) -> IntoFrameT:
    r"""WHO HEAT summary measures of inequality between subgroups, for every setting at once.

    Each group (setting: area, year, indicator, ...) holds subgroups :math:`j = 1..J` with
    value :math:`y_j`, standard error :math:`s_j` and population share :math:`p_j`
    (equal shares when ``population`` is not given). With the setting average
    :math:`\mu = \sum_j p_j y_j`, the best subgroup value :math:`y_B` (highest if
    ``favourable``, else lowest) and the reference :math:`y_R`:

    - D :math:`= y_a - y_b`, R :math:`= y_a / y_b`: ordered, most advantaged (:math:`a`,
      last in ``order``) vs most disadvantaged (:math:`b`, first); non-ordered, highest vs
      lowest value.
    - ACI :math:`= \sum_j p_j (2X_j - 1) y_j` with relative rank
      :math:`X_j = \sum_{k<j} p_k + p_j/2`; RCI = ACI / :math:`\mu`.
    - SII, RII (WHO's form): logistic regression of :math:`y_j/\text{scale}` on :math:`X_j`
      with the subgroup populations as binomial trials; SII = :math:`\hat y(1) - \hat y(0)`,
      RII = :math:`\hat y(1)/\hat y(0)`.
    - BGV :math:`= \sum_j p_j (y_j - \mu)^2`, BGSD = :math:`\sqrt{BGV}`,
      COV = BGSD / :math:`\mu`.
    - MDMU/MDMW :math:`= \frac{1}{J}\sum_j |y_j - \mu|` / :math:`\sum_j p_j |y_j - \mu|`;
      MDBU/MDBW and MDRU/MDRW likewise with :math:`y_B` and :math:`y_R` for :math:`\mu`;
      IDISU/IDISW = MDMU/:math:`\mu`, MDMW/:math:`\mu`.
    - TI :math:`= \sum_j p_j \frac{y_j}{\mu}\ln\frac{y_j}{\mu}`,
      MLD :math:`= \sum_j p_j (-\ln\frac{y_j}{\mu})`.
    - PAR :math:`= y_R - \mu` (reference: the ``reference`` subgroup, else the most advantaged
      for ordered and the best for non-ordered dimensions), set to 0 when the reference is
      worse than the average; PAF = PAR / :math:`\mu`.

    Confidence limits: analytic for D (:math:`\pm z\sqrt{s_a^2 + s_b^2}`), R (on the log
    scale, :math:`s_{\ln R}^2 = s_a^2/y_a^2 + s_b^2/y_b^2`), ACI and RCI (standard error of
    the convenient regression), SII and RII (delta method, HC1 sandwich covariance; RII on
    the log scale) and BGV (:math:`\sqrt{\sum_j 4p_j^2(y_j-\mu)^2 s_j^2}`), as in WHO's
    technical notes; by simulation for the others (``repetitions`` normal draws of every
    subgroup value, the measure recomputed on each; se = their standard deviation, limits =
    their :math:`\alpha/2` and :math:`1-\alpha/2` quantiles).

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and subgroup.
    value : str
        Column of subgroup estimates, ``>= 0`` (rates, percentages, ...).
    population : str, optional
        Column of subgroup populations, ``> 0``; without it every subgroup weighs the same.
    dimension_type : {'ordered', 'non-ordered'}, default 'ordered'
        Ordered dimensions (deprivation, education) need ``order``.
    order : str, optional
        Column ranking the subgroups, 1 = most disadvantaged (ordered dimensions).
    reference : str, optional
        Boolean (or 0/1) column flagging at most one reference subgroup per group; used by
        MDRU/MDRW and as the PAR/PAF reference.
    favourable : bool, default True
        True when higher values are better (coverage), False when worse (mortality).
    measures : sequence of str, optional
        Measures to compute (lower-case codes above); default all those that apply to the
        dimension type (MDRU/MDRW only with ``reference``; SII/RII need values on a 0-1,
        0-100, ... scale).
    group_by : str or sequence of str, default ()
        Columns defining groups (settings); output rows are in sorted key order.
    confidence : float or pair of floats, default 0.95
        A level in 0.9-1 (or 90-100) or the pair (0.95, 0.998).
    se : str, optional
        Column of the subgroup standard errors, ``>= 0``.
    lower_cl, upper_cl : str, optional
        Columns of 95% limits, used when ``se`` is not given: :math:`s = (U - L)/(2 \times
        1.96)`.
    scale : mapping of measure to float, optional
        Display scale per measure, applied to the value, its standard error and its limits
        together (WHO's healthequal scales TI and MLD by 1000 and PAF by 100 without scaling
        their standard errors; here all three move together so that ``value +/- z * se``
        stays consistent). Default: TI and MLD x 1000; PAF, COV, IDISU and IDISW x 100.
        ``None`` returns every measure unscaled.
    indicator_scale : float, optional
        Scale of ``value`` for the logistic SII/RII (100 for percentages); default inferred
        per group from the largest value (1, 100, 1000, ...), as WHO's code does.
    repetitions : int, default 1000
        Draws for the simulated limits, at least 100.
    seed : int, numpy.random.SeedSequence or None, default None
        Seed of the simulation, for reproducible limits.
    errors : {'raise', 'flag'}, default 'raise'
        ``'flag'`` withholds the groups with bad rows (negative values or standard errors,
        populations of 0 or less, limits in the wrong order, missing order), with one
        :class:`~healthgap.errors.SuppressedWarning` naming the rules, instead of raising.

    Returns
    -------
    Same type as ``data``
        Long format, one row per group and measure: the ``group_by`` columns, ``measure``,
        ``value``, ``se``, ``lowercl``/``uppercl`` (or the 95%/99.8% pair), ``confidence``,
        ``statistic`` (the measure's name and scale) and ``method`` (analytic or simulation).
        For R and RII, ``se`` is the delta-method standard error of the ratio
        (:math:`R \cdot s_{\ln R}`); their limits are taken on the log scale.

    Notes
    -----
    Groups with a missing value or standard error are withheld (null results) with one
    :class:`~healthgap.errors.SuppressedWarning`. Standard errors of ACI, RCI, SII and RII
    need at least three subgroups (null otherwise). Draws below zero make TI and MLD
    undefined; such draws are ignored in the simulated limits. Simulated limits are
    percentile limits, so for measures bounded at zero (BGSD, MDM, TI, ...) they need not
    contain a near-zero estimate.

    Conventions, where WHO's texts leave a choice: unweighted mean differences average over
    all :math:`J` subgroups (the best or reference subgroup contributes 0); the logistic
    SII/RII treat each subgroup's population as its binomial trials (WHO's healthequal code
    passes the population both as trials and as prior weights, which weights subgroups by
    the square of their size); ``method`` says which measures have analytic and which
    simulated limits.

    References
    ----------
    .. [1] World Health Organization. Health Equity Assessment Toolkit (HEAT): technical
       notes. Geneva: WHO; 2021 (updated 2024).
    .. [2] Schlotheuber A, Hosseinpoor AR. Summary measures of health inequality: a review
       of existing measures and their application. Int J Environ Res Public Health
       2022;19:3697. doi:10.3390/ijerph19063697
    .. [3] O'Donnell O, van Doorslaer E, Wagstaff A, Lindelow M. Analyzing health equity
       using household survey data. Washington DC: World Bank; 2008, ch. 8.

    Examples
    --------
    Coverage (%) in three wealth groups, poorest first, with equal populations:

    >>> import polars as pl
    >>> d = pl.DataFrame({"q": [1, 2, 3], "v": [60.0, 70.0, 80.0], "pop": [100, 100, 100],
    ...                   "se": [2.0, 2.0, 2.0]})
    >>> out = inequality_measures(d, "v", "pop", order="q", se="se", measures=["d", "r", "aci"])
    >>> out.select("measure", pl.col("value").round(4)).rows()
    [('d', 20.0), ('r', 1.3333), ('aci', 4.4444)]
    """
    frame = _frames.to_frame(data)
    keys = _frames.as_names(group_by)
    levels = _checks.confidence(confidence)
    _checks.one_of("dimension_type", dimension_type, ("ordered", "non-ordered"))
    ordered = dimension_type == "ordered"
    if not isinstance(favourable, bool):
        raise InputError(f"argument 'favourable' must be True or False; got {favourable!r}")
    applicable = ORDERED if ordered else NON_ORDERED
    if measures is None:
        wanted = [m for m in applicable if reference is not None or m not in ("mdru", "mdrw")]
    else:
        wanted = list(dict.fromkeys(measures))
        unknown = [m for m in wanted if m not in ALL_MEASURES]
        if unknown:
            raise InputError(f"unknown measures {unknown}; known: {list(ALL_MEASURES)}")
        wrong = [m for m in wanted if m not in applicable]
        if wrong:
            raise InputError(
                f"measures {wrong} do not apply to {dimension_type} dimensions; "
                f"those that do: {list(applicable)}"
            )
        if reference is None and {"mdru", "mdrw"} & set(wanted):
            raise InputError("measures 'mdru' and 'mdrw' need a 'reference' column")
    if not wanted:
        raise InputError("argument 'measures' is empty")
    if ordered and order is None:
        raise InputError("ordered dimensions need the 'order' column (1 = most disadvantaged)")
    if (lower_cl is None) != (upper_cl is None):
        raise InputError("give both 'lower_cl' and 'upper_cl', or neither")
    if levels and se is None and lower_cl is None:
        raise InputError(
            "confidence limits need 'se', or 'lower_cl' and 'upper_cl' (or pass confidence=None)"
        )
    repetitions = _checks.repetitions(repetitions, MIN_REPETITIONS, MAX_REPETITIONS)
    _checks.one_of("errors", errors, ("raise", "flag"))
    scales = _scale_of(scale)
    if indicator_scale is not None:
        indicator_scale = _checks.number("indicator_scale", indicator_scale, low=0, low_open=True)
    _checks.numeric(frame, value, population, order, se, lower_cl, upper_cl)
    _checks.columns(frame, reference, *keys)
    if len(frame) == 0:
        raise InputError("argument 'data' has no rows")

    # 1. validate rows
    gid, key_frame = _frames.group_ids(frame, keys)
    n_groups = 1 if key_frame is None else len(key_frame)
    y_row = _frames.column(frame, value)
    checks = _checks.RowChecks(len(frame), gid)
    checks.rule(np.isfinite(y_row) & (y_row < 0), f"column '{value}' must be >= 0", y_row)
    pop_row = np.ones(len(frame))
    if population is not None:
        pop_row = _frames.column(frame, population)
        checks.positive_column(population, pop_row)
    if se is not None:
        se_row = _frames.column(frame, se)
        checks.rule(se_row < 0, f"column '{se}' must be >= 0", se_row)
    elif lower_cl is not None and upper_cl is not None:
        lo, hi = _frames.column(frame, lower_cl), _frames.column(frame, upper_cl)
        checks.rule(lo > hi, f"column '{lower_cl}' must be <= column '{upper_cl}'", lo)
        se_row = (hi - lo) / (2 * _limits.z_value(0.95))
    else:
        se_row = np.zeros(len(frame))
    order_row = _frames.column(frame, order) if order is not None else np.zeros(len(frame))
    if order is not None:
        checks.rule(~np.isfinite(order_row), f"column '{order}' must not be missing", order_row)
    ref_row = np.zeros(len(frame), bool)
    if reference is not None:
        raw = frame[reference]
        if not (raw.dtype == nw.Boolean or raw.dtype.is_numeric()):
            raise InputError(f"column '{reference}' must be boolean or 0/1; got {raw.dtype}")
        ref_vals = raw.cast(nw.Float64).to_numpy()
        checks.rule(
            ~np.isin(ref_vals, (0.0, 1.0)),
            f"column '{reference}' must hold only true/false or 1/0",
            ref_vals,
        )
        ref_row = ref_vals == 1
    row_reasons = checks.resolve(errors)
    flagged = (
        np.zeros(n_groups, bool)
        if row_reasons is None
        else np.not_equal(row_reasons, np.array(None))
    )
    if flagged.any():
        order_row = np.where(np.isfinite(order_row), order_row, 0.0)

    # 2. groups x subgroups, padded
    sort = np.lexsort((order_row, gid))
    gid_s = gid[sort]
    n_sub = np.bincount(gid_s, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(n_sub)[:-1]])
    pos = np.arange(len(sort)) - starts[gid_s]
    if ordered:
        o_s = order_row[sort]
        dup = np.zeros(len(sort), bool)
        dup[1:] = (gid_s[1:] == gid_s[:-1]) & (o_s[1:] == o_s[:-1])
        if dup.any():
            raise InputError(
                f"each '{order}' value must appear once per group: "
                f"{int(dup.sum()):,} repeated (first row {int(sort[dup][0])})"
            )
    width = int(n_sub.max())

    def pad(arr: np.ndarray, fill: float = 0.0) -> np.ndarray:
        out = np.full((n_groups, width), fill, dtype=float)
        out[gid_s, pos] = arr[sort]
        return out

    mask = np.zeros((n_groups, width), bool)
    mask[gid_s, pos] = True
    y, se_g, pop = pad(y_row), pad(se_row), pad(pop_row)
    refs = np.zeros((n_groups, width), bool)
    refs[gid_s, pos] = ref_row[sort]
    n_refs = refs.sum(axis=1)
    if (n_refs > 1).any():
        raise InputError(
            f"column '{reference}' must flag at most one subgroup per group; "
            f"{int((n_refs > 1).sum()):,} groups flag more"
        )
    ref_idx = np.where(n_refs == 1, np.argmax(refs, axis=1), -1)
    if ordered:  # the PAR/PAF reference defaults to the most advantaged subgroup
        ref_idx = np.where(ref_idx >= 0, ref_idx, n_sub - 1)
    bad = (~np.isfinite(np.where(mask, y, 0.0)) | ~np.isfinite(np.where(mask, se_g, 0.0))).any(
        axis=1
    ) | flagged
    y = np.where(bad[:, None] & mask, 1.0, y)
    se_g = np.where(bad[:, None] & mask, 0.0, se_g)
    pop = np.where(flagged[:, None] & mask, 1.0, pop)
    p = pop / pop.sum(axis=1, keepdims=True)
    rank = np.cumsum(p, axis=1) - p / 2
    setting = _heat.Setting(y, se_g, pop, p, mask, n_sub.astype(float), rank, ref_idx)

    # 3. cores
    with np.errstate(divide="ignore", invalid="ignore"):
        results = _analytic(setting, wanted, ordered, indicator_scale)
        simulated = [m for m in wanted if m not in ANALYTIC]
        point = _heat.simulated(y[:, :, None], setting, favourable, set(simulated))
    for m in simulated:
        results[m] = _heat.Analytic(point[m][:, 0], np.full(n_groups, np.nan))
    limits: dict[str, dict[float, tuple[np.ndarray, np.ndarray]]] = {}
    for m in wanted:
        if m in ANALYTIC:
            limits[m] = {lv: _analytic_limits(results[m], lv) for lv in levels}
    if simulated and levels:
        sim_se, sim_limits = _simulate(
            setting, favourable, simulated, levels, int(repetitions), seed
        )
        for m in simulated:
            results[m] = _heat.Analytic(results[m].value, sim_se[m])
            limits[m] = sim_limits[m]

    # 4. output, long format: group-major, measures in the order asked
    n_m = len(wanted)
    rows = np.repeat(np.arange(n_groups), n_m)
    measure_col = np.tile(np.array(wanted, dtype=object), n_groups)

    def stack(f: Any) -> np.ndarray:
        return np.stack([f(m) for m in wanted], axis=1).reshape(-1)

    factor = {m: scales.get(m, 1.0) for m in wanted}
    withheld = np.repeat(bad, n_m)
    arrays: dict[str, Any] = {
        "measure": measure_col,
        "value": stack(lambda m: results[m].value * factor[m]),
    }
    se_out = stack(
        lambda m: (
            (results[m].value * results[m].se if results[m].log_scale else results[m].se)
            * factor[m]
        )
    )
    arrays["se"] = np.abs(se_out)
    for level, (lo_name, hi_name) in zip(levels, _output.limit_names(levels), strict=True):
        arrays[lo_name] = stack(lambda m, lv=level: limits[m][lv][0] * factor[m])
        arrays[hi_name] = stack(lambda m, lv=level: limits[m][lv][1] * factor[m])
    numeric_cols = [c for c in arrays if c != "measure"]
    for c in numeric_cols:
        arrays[c] = np.where(withheld | ~np.isfinite(arrays[c]), np.nan, arrays[c])
    arrays["confidence"] = _output.level_label(levels)
    labels = {m: MEASURE_NAMES[m] + (f" x {factor[m]:g}" if factor[m] != 1 else "") for m in wanted}
    statistic = np.tile(np.array([labels[m] for m in wanted], dtype=object), n_groups)
    statistic[withheld] = WITHHELD
    arrays["statistic"] = statistic
    methods = {
        m: (
            "WHO HEAT; analytic limits"
            if m in ANALYTIC
            else f"WHO HEAT; limits by simulation, {int(repetitions):,} draws"
        )
        for m in wanted
    }
    arrays["method"] = np.tile(np.array([methods[m] for m in wanted], dtype=object), n_groups)
    if key_frame is not None:
        base = key_frame[rows.tolist()] if len(rows) else key_frame
    else:
        base = frame.select(nw.len().alias("__one__"))[[0] * n_m].drop("__one__")
    out = _output.with_arrays(base, arrays)
    out = out.with_columns(nw.col(c).fill_nan(None) for c in numeric_cols)
    if bad.any():  # one warning for the call, naming both reasons
        first = int(np.flatnonzero(bad)[0])
        where = f" (first: {key_frame.row(first)})" if key_frame is not None else ""
        why = []
        if (bad & ~flagged).any():
            why.append("a missing value or standard error")
        if row_reasons is not None and flagged.any():
            why.append(f"invalid rows: {'; '.join(sorted(set(row_reasons[flagged])))}")
        warnings.warn(
            f"inequality measures withheld for {int(bad.sum()):,} of {n_groups:,} "
            f"groups with {' or '.join(why)}{where}",
            SuppressedWarning,
            stacklevel=2,
        )
    return _frames.to_native(out)


def _analytic(
    s: _heat.Setting, wanted: Sequence[str], ordered: bool, indicator_scale: float | None
) -> dict[str, _heat.Analytic]:
    """Compute the measures with closed-form standard errors (WHO HEAT technical notes)."""
    out: dict[str, _heat.Analytic] = {}
    if {"d", "r"} & set(wanted):
        out.update(_heat.difference_ratio(s, ordered))
    if {"aci", "rci"} & set(wanted):
        out.update(_heat.concentration(s))
    if {"sii", "rii"} & set(wanted):
        scale = (
            np.full(len(s.y), indicator_scale)
            if indicator_scale is not None
            else _indicator_scale(s.y, s.mask)
        )
        out.update(_heat.logistic(s, scale))
    if "bgv" in wanted:
        out["bgv"] = _heat.between_group_variance(s)
    return out


def _analytic_limits(est: _heat.Analytic, level: float) -> tuple[np.ndarray, np.ndarray]:
    z = _limits.z_value(level)
    if est.log_scale:  # a huge standard error gives an infinite upper limit
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            centre = np.log(est.value)
            return np.exp(centre - z * est.se), np.exp(centre + z * est.se)
    return est.value - z * est.se, est.value + z * est.se


def _simulate(
    s: _heat.Setting,
    favourable: bool,
    names: Sequence[str],
    levels: Sequence[float],
    reps: int,
    seed: _simulation.Seed,
) -> tuple[dict[str, np.ndarray], dict[str, dict[float, tuple[np.ndarray, np.ndarray]]]]:
    """Simulate each measure: standard deviation and percentile limits over normal draws."""
    n_groups, width = s.y.shape
    se_out = {m: np.empty(n_groups) for m in names}
    quantiles = [q for lv in levels for q in ((1 - lv) / 2, (1 + lv) / 2)]
    lim_out = {m: np.empty((len(quantiles), n_groups)) for m in names}
    wanted = set(names)

    def block(g0: int, g1: int, rng: np.random.Generator, scratch: _simulation.Scratch) -> None:
        sub = _heat.Setting(*(f[g0:g1] for f in s))
        # single precision: rounding (6e-8 relative) is far below the simulation error
        draws = rng.standard_normal((g1 - g0, width, reps), dtype=np.float32)
        draws *= sub.se[:, :, None].astype(np.float32)
        draws += sub.y[:, :, None].astype(np.float32)
        sub = sub._replace(p=sub.p.astype(np.float32))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            found = _heat.simulated(draws, sub, favourable, wanted)
            for m in names:
                se_out[m][g0:g1], lim_out[m][:, g0:g1] = _simulation.row_summary(
                    found[m], quantiles
                )

    _simulation.run_blocks(n_groups, width * reps * 4, _simulation.seed_sequence(seed), block)
    limits = {
        m: {lv: (lim_out[m][2 * i], lim_out[m][2 * i + 1]) for i, lv in enumerate(levels)}
        for m in names
    }
    return se_out, limits
