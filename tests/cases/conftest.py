"""Fixtures of the closed-loop tests: a generated world, its workspace, a webhook receiver."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from casehelpers import Receiver

import b2bcx

WORLD_SIZE = 2500
WORLD_SEED = 5


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bundle (CSV), once per session."""
    from b2bcx.demo import generate_world

    out = tmp_path_factory.mktemp("cases-world") / "bundle"
    generate_world(out, size=WORLD_SIZE, seed=WORLD_SEED)
    return out


@pytest.fixture(scope="session")
def world_end(world: Path) -> dt.datetime:
    """The last interaction time of the world (naive UTC)."""
    frame = pd.read_csv(world / "interactions.csv", usecols=["occurred_at"])
    stamp = pd.to_datetime(frame.occurred_at, utc=True).max().tz_localize(None)
    return stamp.to_pydatetime().replace(microsecond=0) + dt.timedelta(seconds=1)


@pytest.fixture
def cws(world: Path) -> Iterator[b2bcx.Workspace]:
    """A fresh in-memory workspace holding the world."""
    ws = b2bcx.open_workspace(":memory:")
    ws.import_bundle(world)
    yield ws
    ws.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server that records every POST (status 204 when up, 503 when down)."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            rec = state["r"]
            if not rec.up:
                self.send_response(503)
                self.end_headers()
                return
            rec.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["r"]
    server.shutdown()
    server.server_close()
