"""The checked-in OpenAPI document is the one the server serves."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from b2bcx.api.app import openapi_spec

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_checked_in_spec_is_current() -> None:
    checked_in = json.loads(SPEC.read_text(encoding="utf-8"))
    assert checked_in == openapi_spec(), (
        "docs/openapi.json is stale: run `python -m b2bcx.api > docs/openapi.json`"
    )


def test_served_spec_is_the_same(client: TestClient) -> None:
    assert client.get("/openapi.json").json() == openapi_spec()


def test_every_operation_documents_the_error_envelope() -> None:
    spec = openapi_spec()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path.endswith("/health"):
                continue
            for status in ("401", "403", "422"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorEnvelope"), (method, path, status)


def test_docs_name_every_endpoint() -> None:
    docs = (SPEC.parent / "api.md").read_text(encoding="utf-8")
    for path, ops in openapi_spec()["paths"].items():
        for method in ops:
            assert f"{method.upper()} {path}" in docs, f"docs/api.md lacks {method.upper()} {path}"


def test_the_spec_and_the_validator_agree_on_account_ids() -> None:
    """The account-id pattern in the spec accepts exactly what the server accepts
    (a ``\\S`` class did not: engines disagree on U+0085 and U+001C)."""
    import re

    from pydantic import ValidationError

    from b2bcx.api.schemas import TokenCreate

    spec = openapi_spec()
    pattern = re.compile(
        spec["components"]["schemas"]["TokenCreate"]["properties"]["accounts"]["anyOf"][0]["items"][
            "pattern"
        ]
    )
    for text in ["ACC-1", "é-Ω", "a b", "x\u0085", "\u001c", "\u3000", "ok\u2028", "\u00a0", "t"]:
        try:
            TokenCreate(role="viewer", accounts=[text])
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == bool(pattern.match(text)), repr(text)
