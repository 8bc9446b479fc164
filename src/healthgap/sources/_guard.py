"""Every importer's failures as one :class:`~healthgap.errors.InputError` line naming the file.

Importers validate what they read and raise :class:`ImportValidationError`; the libraries
they call (Polars, Arrow, calamine, json, pyshp, zipfile) raise their own exceptions for files
they cannot parse at all: an empty file, a text file given as a workbook, truncated JSON.
:func:`reads` turns exactly those library exceptions (never a bare ``Exception``: a bug in
healthgap keeps its traceback) into one line that says which file, as which kind, and why.
"""

from __future__ import annotations

import functools
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa
import shapefile
from python_calamine import CalamineError, PasswordError, XmlError, ZipError

from healthgap.errors import InputError

__all__ = ["FileReadError", "reads"]

F = TypeVar("F", bound=Callable[..., Any])

#: Exceptions libraries raise for a file they cannot parse (not for our bugs).
LIBRARY_ERRORS: tuple[type[BaseException], ...] = (
    pl.exceptions.PolarsError,
    pa.ArrowException,
    CalamineError,
    PasswordError,
    XmlError,
    ZipError,
    json.JSONDecodeError,
    UnicodeError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    shapefile.ShapefileException,
    struct.error,
    OSError,
)


class FileReadError(InputError):
    """A file cannot be parsed as the kind it was given as."""


def one_line(text: str) -> str:
    """The first non-empty line of a library's message, at most 200 characters."""
    first = next((t.strip() for t in str(text).splitlines() if t.strip()), "")
    return first[:200] + ("..." if len(first) > 200 else "")


def reads(kind: str, expected: str) -> Callable[[F], F]:
    """Decorate an importer ``function(path, ...)``: library errors -> one-line InputError.

    Parameters
    ----------
    kind : str
        The importer's kind name, as ``healthgap import <kind>`` takes it.
    expected : str
        What a file of this kind is, for the message (e.g. "a Fingertips CSV export").
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(path: str | Path, *args: Any, **kwargs: Any) -> Any:
            try:
                return function(path, *args, **kwargs)
            except LIBRARY_ERRORS as exc:
                what = (
                    exc.strerror or type(exc).__name__
                    if isinstance(exc, OSError)
                    else one_line(str(exc)) or type(exc).__name__
                )
                raise FileReadError(
                    f"{path}: cannot read this file as {kind} ({expected}): {what}"
                ) from None
            except MemoryError:
                raise FileReadError(
                    f"{path}: cannot read this file as {kind} ({expected}): it needs more "
                    "memory than this machine has (a damaged or hostile file?)"
                ) from None

        return wrapper  # type: ignore[return-value]

    return decorate
