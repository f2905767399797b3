"""Property-based checks of the whole API against its OpenAPI document (in-process,
through ASGI): no 500s, and every response matches the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from api_world import SECRET, World, build_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings

pytestmark = pytest.mark.slow

#: Examples per operation (each operation is its own Hypothesis run).
EXAMPLES = 15


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A world of its own: generated cases may import bundles."""
    return build_world(tmp_path_factory.mktemp("fuzz-world"))


def test_api_conforms_to_its_spec(fuzz_world: World) -> None:
    app = create_app(
        load_server_settings(workspace=str(fuzz_world.path), secret=SECRET, warm=False)
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {fuzz_world.admin}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "DELETE":
            continue  # revoking the fuzzing token would end the run

        @given(case=operation.as_strategy(), data=st.data())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case, data: st.DataObject) -> None:
            # an upload's bytes are checked after the schema (415 for a non-zip bundle
            # or answers that are not YAML/CSV, 422 for answers outside the scale: right)
            uploads = ("/imports", "/strategy/answers")
            skip = [positive_data_acceptance] if case.path.endswith(uploads) else []
            # the first call of an operation may compute analyses: allow it time
            case.call_and_validate(headers=headers, excluded_checks=skip, timeout=120)

        run()
        checked.append(operation.label)
    assert len(checked) > 30
