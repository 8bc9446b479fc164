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
    "MissingDependencyError",
    "OutputPathError",
    "StoreError",
    "SuppressedWarning",
    "os_error_message",
]


class HealthgapError(Exception):
    """Base class of every error healthgap raises on purpose."""


class InputError(HealthgapError, ValueError):
    """An argument or the data given breaks a rule of the method."""


class ColumnNotFoundError(InputError):
    """A column named in the call is not in the data."""


class OutputPathError(InputError):
    """An output path would overwrite or delete what healthgap did not write, or the store."""


class MissingDependencyError(HealthgapError, ImportError):
    """An optional package a feature needs is not installed; the message names the extra."""


class StoreError(HealthgapError):
    """The store cannot do what was asked (unknown vintage, locked file, ...)."""


class SuppressedWarning(UserWarning):
    """Some results were withheld by the method's own rules; ``statistic`` says why."""


class MissingCountWarning(UserWarning):
    """Missing counts were taken as 0 events, as the method's documented default does."""


def os_error_message(exc: OSError) -> str:
    """Describe an OSError on one line: the system's reason and the path(s) involved.

    >>> import errno
    >>> os_error_message(OSError(errno.ENOSPC, "No space left on device", "out.csv"))
    "No space left on device: 'out.csv'"
    """
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{reason}: {' -> '.join(repr(p) for p in paths)}" if paths else reason
