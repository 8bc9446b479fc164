"""``healthgap`` and ``python -m healthgap``: the command line, or one line naming the extra.

The command line needs the ``store`` extra (Typer, Rich, DuckDB); a core install
(``pip install healthgap``) has only the statistics, so the entry point imports the command
line lazily and turns a missing extra into one line and exit status 1.
"""

from __future__ import annotations

import sys

from healthgap._extras import require
from healthgap._warnings import one_line_warnings
from healthgap.errors import MissingDependencyError


def main() -> None:
    """Run the ``healthgap`` command line."""
    one_line_warnings()
    try:
        require("the healthgap command line", "store", "typer", "rich", "duckdb")
        from healthgap.cli import app
    except MissingDependencyError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        raise SystemExit(1) from None
    app()


if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
