"""The ``b2bcx`` command line (Typer + Rich): thin adapters over the library."""

from b2bcx.cli import diagnose as _diagnose  # noqa: F401
from b2bcx.cli import serve as _serve  # noqa: F401
from b2bcx.cli import strategy as _strategy  # noqa: F401
from b2bcx.cli import text as _text  # noqa: F401
from b2bcx.cli.commands import app


def main() -> None:
    """Entry point of the ``b2bcx`` console script."""
    app()


__all__ = ["app", "main"]
