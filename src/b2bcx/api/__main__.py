"""``python -m b2bcx.api``: print the OpenAPI document (the checked-in
``docs/openapi.json`` is this output; a test keeps it current)."""

from __future__ import annotations

import json
import sys

from b2bcx.api.app import openapi_spec


def main() -> None:
    """Write the spec as indented JSON to stdout."""
    sys.stdout.write(json.dumps(openapi_spec(), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
