"""A throwaway PostgreSQL cluster on 127.0.0.1, for tests and benchmarks.

``initdb`` refuses to run as root, so when the tests run as root the cluster is
created and started as the ``postgres`` system user (``runuser``), in a
temporary folder that user owns. The server listens on 127.0.0.1 only, on a
free port, trusts local connections, and is stopped (and its folder removed)
by :meth:`PgCluster.stop`.

Binaries are looked up on ``PATH``, then in ``B2BCX_PG_BIN``, then in Debian's
``/usr/lib/postgresql/<version>/bin``. When none are found the caller gets a
:class:`RuntimeError` that says how to install them: the PostgreSQL suite
fails, it never skips.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH, in "
    "B2BCX_PG_BIN or in /usr/lib/postgresql/*/bin. Install them (Debian: "
    "apt-get install postgresql; scripts/system-deps.sh does this) to run the "
    "PostgreSQL suite."
)


def find_pg_bin(debian_root: Path = Path("/usr/lib/postgresql")) -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``; a clear error when missing."""
    candidates: list[Path] = []
    if os.environ.get("B2BCX_PG_BIN"):
        candidates.append(Path(os.environ["B2BCX_PG_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    debian = sorted(
        debian_root.glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(debian)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise RuntimeError(_INSTALL_HINT)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class PgCluster:
    """A running throwaway cluster; ``url(db)`` gives a b2bcx workspace URL."""

    bin: Path
    root: Path
    port: int
    user: str
    _as_postgres: bool

    @property
    def data(self) -> Path:
        """The cluster's data folder."""
        return self.root / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        """``postgresql://user@127.0.0.1:port/database``."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database and return its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        """initdb, then start the server listening on 127.0.0.1:port."""
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", opts, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(*, user: str = "b2bcx") -> PgCluster:
    """Create and start a throwaway cluster (see the module docstring)."""
    pg_bin = find_pg_bin()
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="b2bcx-pg-"))
    if as_postgres:
        shutil.chown(root, user="postgres", group="postgres")
    cluster = PgCluster(pg_bin, root, free_port(), user, as_postgres)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        log = cluster.root / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        cluster.stop()
        raise RuntimeError(
            f"could not start a throwaway PostgreSQL cluster: {exc.stderr or exc}\n{detail}"
        ) from exc
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # pg_ctl -w waited; double-check TCP
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", cluster.port), timeout=1),
        ):
            break
        time.sleep(0.2)
    return cluster


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PgCluster]:
    """A running cluster for the ``with`` block; stopped and removed afterwards."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
