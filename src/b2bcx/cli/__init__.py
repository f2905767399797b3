"""The ``b2bcx`` command line (Typer + Rich): thin adapters over the library.

:mod:`b2bcx.cli.app` holds the shared plumbing (the Typer ``app``, consoles,
options, opening a workspace, printing); each module below registers its
commands on it, in the order ``b2bcx --help`` lists them. Nothing heavy is
imported until a command runs, so ``b2bcx --help`` and ``b2bcx --version``
start fast.
"""

from b2bcx.cli import data as _data
from b2bcx.cli import demo as _demo  # noqa: F401
from b2bcx.cli import measure as _measure  # noqa: F401
from b2bcx.cli.app import app

app.command()(_data.version)  # listed after the measures, as it always was

from b2bcx.cli import diagnose as _diagnose  # noqa: E402, F401
from b2bcx.cli import readiness as _readiness  # noqa: E402, F401
from b2bcx.cli import serve as _serve  # noqa: E402, F401
from b2bcx.cli import strategy as _strategy  # noqa: E402, F401
from b2bcx.cli import text as _text  # noqa: E402, F401
from b2bcx.cli import users as _users  # noqa: E402, F401

# isort: split
from b2bcx.cli import cases as _cases  # noqa: E402, F401  (listed after text)


def main() -> None:
    """Entry point of the ``b2bcx`` console script."""
    app()


__all__ = ["app", "main"]
