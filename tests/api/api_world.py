"""A small demo world with a token per role, shared by the API, web and report tests."""

from __future__ import annotations

import atexit
import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.server.tokens import create_token

SECRET = "test-secret-" + "x" * 40


@dataclass(frozen=True)
class World:
    """The test workspace and a token per role."""

    path: Path
    bundle: Path
    admin: str
    analyst: str
    viewer: str
    restricted: str  # a viewer limited to one account
    restricted_analyst: str  # an analyst limited to the same account
    own_account: str
    other_account: str


#: Worlds built in this test session, by (size, seed): each is built once and
#: copied for every fixture that asks (the API, web and report tests each get a
#: copy of their own, so one's writes never reach another).
_BUILT: dict[tuple[int, int], World] = {}


def build_world(root: Path, *, size: int = 8000, seed: int = 11) -> World:
    """A demo world of about ``size`` interactions in ``root`` (its bundle and a
    DuckDB workspace), copied from the one built for (size, seed) in this session."""
    key = (size, seed)
    if key not in _BUILT:
        template = Path(tempfile.mkdtemp(prefix="b2bcx-world-"))
        atexit.register(shutil.rmtree, template, ignore_errors=True)
        _BUILT[key] = _generate(template, size=size, seed=seed)
    made = _BUILT[key]
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(made.bundle, root / "bundle", dirs_exist_ok=True)
    shutil.copy2(made.path, root / made.path.name)
    return dataclasses.replace(made, path=root / made.path.name, bundle=root / "bundle")


def _generate(root: Path, *, size: int, seed: int) -> World:
    """Generate a demo bundle of about ``size`` interactions and import it into a file."""
    bundle = root / "bundle"
    generate_world(bundle, size=size, seed=seed)
    path = root / "ws.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(bundle)
        accounts = sorted(r[0] for r in ws.backend.execute("SELECT account_id FROM accounts"))
        tokens = {
            role: create_token(ws.backend, role=role, name=f"test {role}").token
            for role in ("admin", "analyst", "viewer")
        }
        restricted = create_token(ws.backend, role="viewer", accounts=[accounts[0]]).token
        restricted_analyst = create_token(ws.backend, role="analyst", accounts=[accounts[0]]).token
    return World(
        path,
        bundle,
        tokens["admin"],
        tokens["analyst"],
        tokens["viewer"],
        restricted,
        restricted_analyst,
        accounts[0],
        accounts[1],
    )


def auth(token: str) -> dict[str, str]:
    """The header that sends ``token``."""
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: Any, token: str, next_path: str = "/") -> Any:
    """Sign ``client`` (a TestClient of the web app) in with ``token`` through the
    form, as a person would; returns the client."""
    client.cookies.clear()
    form = client.get(f"/signin?next={next_path}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    r = client.post(
        "/signin",
        data={"token": token, "csrf_token": csrf.group(1), "next": next_path},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client
