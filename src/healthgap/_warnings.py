"""Warnings as the command line shows them: one line each, no file name or source line.

A command-line user is told what a warning says (``healthgap: warning: 5 suppressed counts
...``), never where in healthgap's code it was raised; library callers keep Python's own
formatting unless they call :func:`one_line_warnings`.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from typing import Any, TextIO

__all__ = ["one_line_warnings"]


def _show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    text = " ".join(str(message).split())
    stream: Any = file if file is not None else sys.stderr
    with contextlib.suppress(OSError):  # no stderr left (a closed pipe): nothing to tell
        stream.write(f"healthgap: warning: {text}\n")


def one_line_warnings() -> None:
    """Show every warning of this process as one ``healthgap: warning: ...`` line."""
    warnings.showwarning = _show
