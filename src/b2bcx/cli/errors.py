"""One place that turns b2bcx errors into CLI messages and exit codes.

Exit codes (documented in ``docs/cli.md``):

====  ==========================================================
0     success
1     user error: bad option value, missing file, unreadable data
2     usage error: unknown command or option (raised by Typer/Click)
3     data rejected: rows failed validation, nothing was committed
====  ==========================================================
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from b2bcx.errors import B2bcxError, DataRejected

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_DATA_REJECTED = 3

P = ParamSpec("P")
R = TypeVar("R")

#: Standard error for messages. Rich markup is off: an error quoting user data or a
#: path (``[/]``, ``[bold]``) prints it literally instead of failing to parse it.
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def _report(label: str, exc: BaseException) -> None:
    """One error line on stderr: a bold red label, then the message as written."""
    err_console.print(Text.assemble((label, "bold red"), " ", str(exc)))


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command; print b2bcx errors as one clear message and exit with its code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DataRejected as exc:
            _report("Rejected:", exc)
            raise typer.Exit(EXIT_DATA_REJECTED) from None
        except B2bcxError as exc:
            _report("Error:", exc)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except FileNotFoundError as exc:
            _report("Error:", exc)
            raise typer.Exit(EXIT_USER_ERROR) from None

    return wrapper
