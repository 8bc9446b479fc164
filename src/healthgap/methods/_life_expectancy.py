"""Life expectancy by Chiang's method II, as OHID publishes it (``phe_life_expectancy``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from narwhals.typing import IntoFrameT

from healthgap import _checks, _output
from healthgap.methods import _aggregate
from healthgap.methods._expectancy import assemble, expectancies, prepare

__all__ = ["life_expectancy"]

METHOD = "Chiang II, Silcocks et al. for the open age band"


def life_expectancy(
    data: IntoFrameT,
    deaths: str,
    population: str,
    startage: str,
    *,
    group_by: str | Sequence[str] = (),
    age_contents: Sequence[Any] | str | None = None,
    le_age: Any = "all",
    type: _output.OutputType = "full",
    confidence: _checks.Confidence = 0.95,
    errors: _checks.OnError = "flag",
) -> IntoFrameT:
    r"""Life expectancy at every band start from an abridged life table, for all groups at once.

    OHID's method (PHE life expectancy calculator): with deaths :math:`D_x`, population
    :math:`P_x`, band width :math:`n_x` and :math:`a_x = 0.1` for the band starting at age 0,
    0.5 for every other band, the death rate is :math:`M_x = D_x / P_x` and

    .. math::
        q_x = \frac{n_x M_x}{1 + (1 - a_x) n_x M_x} \;(1 \text{ in the open band } \omega),
        \quad l_0 = 100\,000, \quad l_{x+n} = l_x (1 - q_x),

    :math:`L_x = n_x (l_{x+n} + a_x (l_x - l_{x+n}))`, :math:`L_\omega = l_\omega / M_\omega`,
    :math:`T_x = \sum_{j \ge x} L_j` and :math:`e_x = T_x / l_x`. Its variance (Chiang's
    delta method, with Silcocks et al.'s term for the open band) is

    .. math::
        \mathrm{Var}(e_x) = \frac{1}{l_x^2} \Big[\sum_{x \le j < \omega} l_j^2
        \big((1 - a_j) n_j + e_{j+n}\big)^2 \frac{q_j^2 (1 - q_j)}{D_j}
        + \frac{l_\omega^2}{D_\omega M_\omega^2}\Big],

    and the limits are :math:`e_x \mp z \sqrt{\mathrm{Var}(e_x)}`.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per group and age band (rows repeating a group's band are added up).
    deaths : str
        Column of deaths in the band; ``>= 0``, never missing.
    population : str
        Column of population (person-years) in the band; ``> 0`` and ``>= deaths``.
    startage : str
        Column of age bands: start ages (0, 1, 5, ..., 90) or labels such as ``"<1"``,
        ``"0"``, ``"1-4"``, ``"10 – 14"``, ``"90+"``, ``"85 and over"``, in any row order.
    group_by : str or sequence of str, default ()
        Columns defining groups (areas, sexes, periods); with none, the table is one group.
    age_contents : sequence, 'by group' or None, default None
        The layout: ``None`` takes the distinct ages found in the data; a sequence (ascending,
        starting at 0, e.g. ``[0, 1, 5, ..., 90]`` or ``["0-4", ..., "90+"]``) fixes it;
        ``'by group'`` lets each group use its own bands (groups sharing a layout are computed
        together). Any layout starting at 0 works: 20 bands (0, 1-4, ..., 85-89, 90+), 19
        bands (0-4, ..., 90+), an 85+ top band, single years. The last band is open.
    le_age : 'all', age or sequence of ages, default 'all'
        The band starts to return (numbers or labels).
    type : {'full', 'standard', 'value', 'lower', 'upper'}, default 'full'
        Columns returned (see Returns).
    confidence : float, pair of floats or None, default 0.95
        A level in 0.9-1 (or 90-100), the pair (0.95, 0.998), or ``None`` for no limits.
    errors : {'flag', 'raise'}, default 'flag'
        ``'flag'`` (OHID's behaviour) withholds groups with negative deaths, populations
        of 0 or less, deaths above population, missing values or missing age bands, with the
        reason in ``statistic`` and one :class:`~healthgap.errors.SuppressedWarning`;
        ``'raise'`` raises :class:`~healthgap.errors.InputError` for them instead.

    Returns
    -------
    Same type as ``data``
        One row per group and age band: the ``group_by`` columns, ``startage``, ``value``,
        ``lowercl``/``uppercl`` (or the four 95%/99.8% columns). ``type='full'`` adds
        ``pops_used`` and ``dths_used`` (population and deaths from that age on),
        ``confidence``, ``statistic`` ("life expectancy at 65") and ``method``, which names
        the age-band layout used. ``'value'``, ``'lower'``, ``'upper'`` keep the keys and
        that column.

    Notes
    -----
    OHID's rules, applied whatever ``errors`` says: a group whose total population is 5,000
    or less, or with no deaths in the open band (its :math:`L_\omega` would be infinite), is
    withheld; a value whose 95% interval is wider than 20 years is withheld with its limits,
    as OHID publishes it. A value above 150 years (populations far too large for the deaths)
    is implausible and withheld with its limits. Withheld rows have null values and the reason
    in ``statistic``; one aggregated :class:`~healthgap.errors.SuppressedWarning` names the
    groups. Zero deaths in a closed band are fine. :math:`a_x = 0.1` applies to the band
    starting at age 0 whatever its width, as in OHID's calculator.

    References
    ----------
    .. [1] Chiang CL. The life table and its construction. In: Introduction to Stochastic
       Processes in Biostatistics. New York: Wiley, 1968: 189-214.
    .. [2] Silcocks PBS, Jenner DA, Reza R. Life expectancy as a summary of mortality in a
       population: statistical considerations and suitability for use by health authorities.
       J Epidemiol Community Health 2001;55:38-43.
    .. [3] Public Health England. Life expectancy calculator and technical guidance
       (Fingertips supporting information, "Life expectancy calculation").
    .. [4] Toson B, Baker A. Life expectancy at birth: methodological options for small
       populations. National Statistics Methodology Series No 33. ONS, 2003.

    Examples
    --------
    The example population of PHE's life expectancy calculator (20 bands): life expectancy
    at birth 80.1696, 95% limits 79.8827 to 80.4565.

    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "age": [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90],
    ...     "pops": [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
    ...              50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936],
    ...     "deaths": [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872,
    ...                1390, 1605, 1936, 1937]})
    >>> out = life_expectancy(df, "deaths", "pops", "age", le_age=0)
    >>> out.select(pl.col("value", "lowercl", "uppercl").round(4)).row(0)
    (80.1696, 79.8827, 80.4565)
    >>> out["method"][0]
    'Chiang II, Silcocks et al. for the open age band; 20 age bands (0, 1-4, 5-9, ..., 85-89, 90+)'
    """
    frame, keys, levels = _aggregate.start(
        data, group_by=group_by, confidence=confidence, type=type, errors=errors
    )
    prep = prepare(frame, keys, deaths, population, startage, age_contents, errors)
    value, variance = expectancies(prep)
    return assemble(
        prep,
        value,
        variance,
        startage=startage,
        ages=le_age,
        age_arg="le_age",
        levels=levels,
        type=type,
        what="life expectancy",
        method=METHOD,
        wide_rule=True,
    )
