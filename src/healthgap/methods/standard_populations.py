"""Standard populations for direct standardisation: the 2013 European Standard Population.

``ESP2013`` holds the 19 five-year weights (0-4, 5-9, ..., 85-89, 90+), which sum to 100,000.
:func:`esp2013` takes a contiguous range of bands, e.g. the under-75s for premature mortality,
and :func:`esp2013_bands` gives the matching band labels.
"""

from __future__ import annotations

import numpy as np

from healthgap.errors import InputError

__all__ = ["ESP2013", "ESP2013_AGE_STARTS", "ESP2013_BANDS", "esp2013", "esp2013_bands"]

#: Lower age of each ESP2013 band (five-year bands, the last open: 90+).
ESP2013_AGE_STARTS: tuple[int, ...] = tuple(range(0, 95, 5))

#: Labels of the ESP2013 bands: ``'0-4'``, ``'5-9'``, ..., ``'85-89'``, ``'90+'``.
ESP2013_BANDS: tuple[str, ...] = (*(f"{a}-{a + 4}" for a in ESP2013_AGE_STARTS[:-1]), "90+")

#: 2013 European Standard Population, one weight per band of :data:`ESP2013_AGE_STARTS`
#: (Eurostat, Revision of the European Standard Population, 2013; the 19-band version closing
#: at 90+ that ONS and OHID use). The weights sum to 100,000.
ESP2013: tuple[int, ...] = (
    5000,
    5500,
    5500,
    5500,
    6000,
    6000,
    6500,
    7000,
    7000,
    7000,
    7000,
    6500,
    6000,
    5500,
    5000,
    4000,
    2500,
    1500,
    1000,
)


def _band_index(age: int, name: str) -> int:
    if isinstance(age, bool) or not isinstance(age, int | np.integer):
        raise InputError(f"argument '{name}' must be a whole age; got {age!r}")
    if int(age) not in ESP2013_AGE_STARTS:
        raise InputError(
            f"argument '{name}' must be the start of an ESP2013 band "
            f"{list(ESP2013_AGE_STARTS)}; got {age!r}"
        )
    return ESP2013_AGE_STARTS.index(int(age))


def _slice(start: int, stop: int | None) -> slice:
    first = _band_index(start, "start")
    if stop is None:
        return slice(first, len(ESP2013))
    last = _band_index(stop, "stop")
    if last <= first:
        raise InputError(f"argument 'stop' must be greater than 'start'; got {start!r}, {stop!r}")
    return slice(first, last)


def esp2013(start: int = 0, stop: int | None = None) -> np.ndarray:
    """ESP2013 weights for the bands from age ``start`` up to (not including) age ``stop``.

    Parameters
    ----------
    start : int, default 0
        Lower age of the first band wanted; one of 0, 5, ..., 90.
    stop : int or None, default None
        Lower age of the first band *not* wanted (5, 10, ..., 90), or ``None`` for all bands
        up to and including 90+. ``stop=75`` gives the under-75s.

    Returns
    -------
    numpy.ndarray
        The weights, as floats, youngest band first (a new array each call).

    References
    ----------
    .. [1] Eurostat. Revision of the European Standard Population: report of Eurostat's task
       force. Luxembourg: Publications Office of the European Union; 2013.

    Examples
    --------
    >>> esp2013(stop=75).sum()
    np.float64(91000.0)
    >>> esp2013(start=85).tolist()
    [1500.0, 1000.0]
    """
    return np.asarray(ESP2013, dtype=float)[_slice(start, stop)]


def esp2013_bands(start: int = 0, stop: int | None = None) -> list[str]:
    """Labels of the ESP2013 bands chosen by ``start`` and ``stop`` (as :func:`esp2013`).

    Parameters
    ----------
    start : int, default 0
        Lower age of the first band wanted.
    stop : int or None, default None
        Lower age of the first band not wanted, or ``None`` for all bands through 90+.

    Returns
    -------
    list of str
        Labels such as ``'0-4'`` and ``'90+'``.

    Examples
    --------
    >>> esp2013_bands(65, 80)
    ['65-69', '70-74', '75-79']
    """
    return list(ESP2013_BANDS[_slice(start, stop)])
