"""The ``healthgap`` command line: thin wrappers that parse, call the public API and print.

Results go to stdout; progress and messages to stderr. Exit 0 on success, 1 on a
:class:`~healthgap.errors.HealthgapError` (one line, no traceback), 2 on usage errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from healthgap import __version__
from healthgap.errors import HealthgapError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="healthgap",
    help="Measure, monitor and publish health inequalities (OHID indicator methods).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console()
stderr = Console(stderr=True)


def reports_errors(command: F) -> F:
    """Turn a HealthgapError into one ``Error: ...`` line on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except HealthgapError as exc:
            stderr.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        stdout.print(f"healthgap {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Measure, monitor and publish health inequalities (OHID indicator methods)."""


@app.command("methods")
def list_methods() -> None:
    """List the statistical methods in healthgap.methods.

    Example: healthgap methods
    """
    from healthgap import methods

    for name in methods.__all__:
        stdout.print(name, highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
