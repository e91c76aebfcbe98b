"""What every ``baton`` command shares: one error root and its exit codes, output for
people (tables, progress on stderr) and for pipelines (``--json``).

Exit codes (README, "The CLI"):

* 0 — done, nothing to report.
* 1 — the work found problems: a diagram with errors (or warnings, with
  ``--warnings-as-errors``), the API refused the request (its problem's detail is
  printed), an input file that cannot be read, no cases found.
* 2 — usage: an unknown option, a missing argument, a path that does not exist, a
  malformed ``--var``.
* 3 — a service is unreachable: the API (``BATON_API_URL``) or Temporal.
* 70 — a bug in Baton: one line naming the exception; ``BATON_DEBUG=1`` shows the
  traceback.

Every error is one line on stderr, ``baton: <what went wrong>``; nothing prints a
traceback unless ``BATON_DEBUG=1``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer._click.core import Context
from typer.core import TyperGroup
from typer.exceptions import TyperException

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_BUG = 70


class CliError(Exception):
    """An error the user can act on: printed as one line, ``baton: <message>``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class UsageError(CliError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


def error_line(message: str) -> None:
    typer.echo(f"baton: {message}", err=True)


class BatonGroup(TyperGroup):
    """The error root: every command runs inside ``invoke``, so whatever a command
    raises ends here and leaves as one line and an exit code."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):
            raise
        except CliError as err:
            error_line(err.message)
            raise typer.Exit(err.exit_code) from None
        except Exception as err:  # a bug: say so on one line, unless asked for more
            if os.environ.get("BATON_DEBUG") == "1":
                raise
            error_line(
                f"unexpected error: {type(err).__name__}: {err} (BATON_DEBUG=1 shows the traceback)"
            )
            raise typer.Exit(EXIT_BUG) from None


# ------------------------------------------------------------------------- output


def stdout_console() -> Console:
    """Tables on stdout; piped output gets wide lines rather than wrapped ids."""
    console = Console(soft_wrap=False, highlight=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, highlight=False, width=240, color_system=None)
    return console


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def print_table(columns: list[str], rows: list[list[Any]], *, empty: str) -> None:
    """A table for people; ``empty`` is said when there are no rows."""
    if not rows:
        typer.echo(empty)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, no_wrap=True, overflow="ignore")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    stdout_console().print(table)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Progress]:
    """A progress bar on stderr for long runs, drawn only on a terminal (pipelines and
    logs get the plain lines). ``total=None`` draws a spinner."""
    console = stderr_console()
    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    bar = Progress(*columns, console=console, transient=True, disable=not console.is_terminal)
    with bar:
        bar.add_task(description, total=total)
        yield bar


def advance(bar: Progress, step: int = 1) -> None:
    for task in bar.tasks:
        bar.advance(task.id, step)
