"""Exceptions and warnings raised by healthgap.

Every error a caller must act on is a :class:`HealthgapError`; bad arguments or data are an
:class:`InputError`, which is also a :class:`ValueError` so generic handlers still catch it.
Warnings say what happened to a valid result (groups withheld, values suppressed).
"""

from __future__ import annotations

__all__ = [
    "ColumnNotFoundError",
    "HealthgapError",
    "InputError",
    "MissingCountWarning",
    "StoreError",
    "SuppressedWarning",
]


class HealthgapError(Exception):
    """Base class of every error healthgap raises on purpose."""


class InputError(HealthgapError, ValueError):
    """An argument or the data given breaks a rule of the method."""


class ColumnNotFoundError(InputError):
    """A column named in the call is not in the data."""


class StoreError(HealthgapError):
    """The store cannot do what was asked (unknown vintage, locked file, ...)."""


class SuppressedWarning(UserWarning):
    """Some results were withheld by the method's own rules; ``statistic`` says why."""


class MissingCountWarning(UserWarning):
    """Missing counts were taken as 0 events, as the method's documented default does."""
