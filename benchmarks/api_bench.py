"""API and dashboard benchmark: latency and throughput under concurrent load.

Starts ``b2bcx serve`` on a loopback port in a child process over a workspace
(e.g. the 10 M-interaction demo world), waits until its cached analyses are
computed, then — from this second process — drives the main API endpoints and
the dashboard pages with ``--concurrency`` threads for ``--seconds`` (bounded
in time), and reports p50/p95/p99 latency per endpoint and the throughput. A
final sequential pass times each dashboard page on its own (the p95 < 500 ms
target of the issue is per page).

Usage::

    python benchmarks/api_bench.py --workspace /tmp/world-10m.duckdb --seconds 60 \\
        --concurrency 8 --out benchmarks/results/api.json

The workspace must not be open elsewhere (DuckDB locks the file). An admin token
is made for the run (and left listed as ``api bench``).

The warm-up is watched from the server's start: when the first portfolio page
answered, when it first answered complete (no ``Refresh``), when the portfolio's
results and every warm result were computed, when the portfolio's "at high risk
then" diagnosis (``earlier:3``) was there, and the server's CPU seconds and peak
resident memory at those points (CPU is less sensitive to a busy machine than
wall time). ``--serve-arg`` passes
options to ``b2bcx serve`` (e.g. ``--serve-arg=--warm-earlier-up-to=0``);
``--key`` stores the figures under that key of the ``--out`` file (the others
kept) and ``--compare`` prints them beside those stored under another key::

    python benchmarks/api_bench.py --workspace /tmp/w1m.duckdb --seconds 20 \
        --out benchmarks/results/api.json --key warmup_1m_busy --compare warmup_1m_idle
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _summary(times: list[float]) -> dict[str, float]:
    ms = [t * 1000 for t in times]
    return {
        "n": len(ms),
        "p50_ms": round(_percentile(ms, 0.50), 1),
        "p95_ms": round(_percentile(ms, 0.95), 1),
        "p99_ms": round(_percentile(ms, 0.99), 1),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else float("nan"),
    }


def _token(workspace: str) -> tuple[str, list[str]]:
    import b2bcx
    from b2bcx.api.tokens import create_token

    with b2bcx.open_workspace(workspace) as ws:
        token = create_token(ws.backend, role="admin", name="api bench").token
        rows = ws.backend.execute("SELECT account_id FROM accounts ORDER BY account_id")
    return token, [str(r[0]) for r in rows]


def _endpoints(accounts: list[str]) -> list[tuple[str, str]]:
    """(name, path template) of the main endpoints; ``{a}`` is an account id."""
    return [
        ("accounts", "/api/v1/accounts?limit=50"),
        ("account", "/api/v1/accounts/{a}"),
        ("account people", "/api/v1/accounts/{a}/people"),
        ("account findings", "/api/v1/accounts/{a}/findings"),
        ("account comments", "/api/v1/accounts/{a}/comments?limit=20"),
        ("interactions (account)", "/api/v1/interactions?account_id={a}&limit=50"),
        ("interactions (all)", "/api/v1/interactions?limit=50"),
        ("findings", "/api/v1/findings?limit=50"),
        ("measures units", "/api/v1/measures/units?by=account"),
        ("map", "/api/v1/measures/map"),
        ("partners scorecards", "/api/v1/partners/scorecards"),
        ("strategy plan", "/api/v1/strategy/plan"),
    ]


PAGES = [
    ("page portfolio", "/"),
    ("page account", "/accounts/{a}"),
    ("page touchpoints", "/touchpoints"),
    ("page text", "/text"),
    ("page strategy", "/strategy"),
]


def _sign_in(client: httpx.Client, token: str) -> None:
    form = client.get("/signin")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if not found:
        raise RuntimeError("no sign-in form")
    r = client.post("/signin", data={"token": token, "csrf_token": found.group(1)})
    if r.status_code >= 400:
        raise RuntimeError(f"sign-in failed: {r.status_code}")


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


def _peak_rss_mb(pid: int) -> float | None:
    """The peak resident memory (MB) process ``pid`` has held so far (Linux ``VmHWM``)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(found.group(1)) / 1024, 1) if found else None


def _watch_warmup(
    client: httpx.Client, token: str, launched: float, limit: float, pid: int | None = None
) -> dict[str, Any]:
    """From the server's start: when the portfolio page's results and then every
    warm result were computed (``GET /api/v1/results``), when the portfolio's
    "then" figure (``earlier:3``, computed on demand on a large workspace) was
    there, the server's CPU seconds at each, and how long the portfolio page took
    to answer while the server was warming (a second, signed-in client asks for
    it every two seconds; ``complete``: without ``Refresh``)."""
    from b2bcx.server.computations import PORTFOLIO_KEYS, WARM_KEYS

    headers = {"Authorization": f"Bearer {token}"}
    portfolio_at = everything_at = then_at = others_at = None
    others = [k for k in WARM_KEYS if k != "earlier:3"]  # all but the "then" figure
    cpu: dict[str, float | None] = {}
    rss: dict[str, float | None] = {}
    pages: list[dict[str, Any]] = []
    stop = threading.Event()

    def ask_pages() -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=600) as c:
            _sign_in(c, token)
            while not stop.is_set():
                t0 = time.perf_counter()
                r = c.get("/")
                pages.append({"at": round(t0 - launched, 1),
                              "seconds": round(time.perf_counter() - t0, 2),
                              "status": r.status_code,
                              "complete": "Refresh" not in r.headers})  # fmt: skip
                stop.wait(2.0)

    asker = threading.Thread(target=ask_pages, daemon=True)
    asker.start()
    computed: dict[str, Any] = {}
    try:
        while time.perf_counter() - launched < limit:
            body = client.get("/api/v1/results", headers=headers).json()
            computed = body["computed"]
            now = time.perf_counter() - launched
            if portfolio_at is None and all(k in computed for k in PORTFOLIO_KEYS):
                portfolio_at = now
                cpu["portfolio_results"] = _cpu_seconds(pid) if pid else None
                rss["portfolio_results"] = _peak_rss_mb(pid) if pid else None
            if others_at is None and all(k in computed for k in others):
                others_at = now
                cpu["all_but_then"] = _cpu_seconds(pid) if pid else None
                rss["all_but_then"] = _peak_rss_mb(pid) if pid else None
            if everything_at is None and not body["waiting"]:
                everything_at = now
                cpu["all_results"] = _cpu_seconds(pid) if pid else None
                rss["all_results"] = _peak_rss_mb(pid) if pid else None
            if then_at is None and "earlier:3" in computed:
                then_at = now
                cpu["then_figure"] = _cpu_seconds(pid) if pid else None
                rss["then_figure"] = _peak_rss_mb(pid) if pid else None
            if everything_at is not None and then_at is not None:
                break
            time.sleep(0.5)
    finally:
        stop.set()
        asker.join(timeout=600)
    answered = [p["seconds"] for p in pages]
    complete = [p for p in pages if p["complete"] and p["status"] == 200]
    return {
        "portfolio_results_seconds": None if portfolio_at is None else round(portfolio_at, 1),
        "all_results_seconds": None if everything_at is None else round(everything_at, 1),
        "then_figure_seconds": None if then_at is None else round(then_at, 1),
        "all_but_then_seconds": None if others_at is None else round(others_at, 1),
        "server_cpu_seconds": cpu,
        "server_peak_rss_mb": rss,
        "seconds_per_result": {k: v["seconds"] for k, v in computed.items()},
        "portfolio_page_while_warming": {
            "n": len(answered),
            "p50_s": round(_percentile(answered, 0.5), 2) if answered else None,
            "max_s": max(answered) if answered else None,
            "first_answer_at_s": pages[0]["at"] + pages[0]["seconds"] if pages else None,
            "first_complete_at_s": (
                round(complete[0]["at"] + complete[0]["seconds"], 1) if complete else None
            ),
        },
    }


def _side_by_side(now: dict[str, Any], before: dict[str, Any]) -> str:
    """The warm-up and the p95 under load of two runs, and their ratio."""

    def row(name: str, a: Any, b: Any) -> str:
        ratio = f"{a / b:6.2f}" if isinstance(a, int | float) and b else "     -"
        return f"{name:<40} {b!s:>10} {a!s:>10} {ratio}"

    lines = [f"{'':<40} {'before':>10} {'now':>10}  ratio"]
    lines.append(row("server up (s)", now.get("up_seconds"), before.get("up_seconds")))
    wn, wb = now.get("warmup", {}), before.get("warmup", {})
    pn, pb = (w.get("portfolio_page_while_warming", {}) for w in (wn, wb))
    lines.append(row("first portfolio page (s)", pn.get("first_answer_at_s"),
                     pb.get("first_answer_at_s")))  # fmt: skip
    for key in ("portfolio_results_seconds", "all_but_then_seconds", "all_results_seconds",
                "then_figure_seconds"):  # fmt: skip
        lines.append(row(key, wn.get(key), wb.get(key)))
    for name in sorted(set(now.get("under_load", {})) & set(before.get("under_load", {}))):
        lines.append(row(f"p95 ms under load: {name}", now["under_load"][name]["p95_ms"],
                         before["under_load"][name]["p95_ms"]))  # fmt: skip
    lines.append(row("throughput (req/s)", now.get("throughput_rps"),
                     before.get("throughput_rps")))  # fmt: skip
    lines.append(f"load average before/after: {before.get('load_average')} / "
                 f"{now.get('load_average')}")  # fmt: skip
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server, load it, and return the figures."""
    token, accounts = _token(args.workspace)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "B2BCX_SECRET": secrets.token_urlsafe(48)}
    b2bcx_cli = str(Path(sys.executable).with_name("b2bcx"))
    launched = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    server = subprocess.Popen(
        [b2bcx_cli, "serve", "-w", args.workspace, "--port", str(port), *args.serve_arg],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=600) as client:
            deadline = time.time() + 120
            while True:
                try:
                    if client.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
            up_seconds = time.perf_counter() - launched
            warmup = _watch_warmup(client, token, launched, args.warm_limit, server.pid)
            if args.seconds <= 0:  # the warm-up only
                return {"workspace": args.workspace, "accounts": len(accounts),
                        "serve_args": args.serve_arg, "up_seconds": round(up_seconds, 1),
                        "warmup": warmup, "cpus": os.cpu_count(),
                        "load_average": [load_before,
                                         [round(x, 2) for x in os.getloadavg()]]}  # fmt: skip
            started = time.perf_counter()
            # warm: each endpoint and page once (waits for the cached analyses)
            _sign_in(client, token)
            for _, path in [*_endpoints(accounts), *PAGES]:
                client.get(path.format(a=accounts[0]), headers=headers)
            warm_seconds = time.perf_counter() - started
        times: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        stop = time.time() + args.seconds
        targets = [*_endpoints(accounts), *PAGES]

        def worker(seed: int) -> None:
            import random

            rng = random.Random(seed)
            with httpx.Client(base_url=base, timeout=60) as c:
                _sign_in(c, token)
                while time.time() < stop:
                    name, path = rng.choice(targets)
                    url = path.format(a=rng.choice(accounts))
                    t0 = time.perf_counter()
                    r = c.get(url, headers=headers if url.startswith("/api") else None)
                    took = time.perf_counter() - t0
                    with lock:
                        times[name].append(took)
                        if r.status_code >= 500:
                            errors[name] += 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        total = sum(len(v) for v in times.values())
        # pages alone, one at a time
        alone: dict[str, list[float]] = defaultdict(list)
        with httpx.Client(base_url=base, timeout=60) as c:
            _sign_in(c, token)
            for i in range(args.page_repeats):
                for name, path in PAGES:
                    t1 = time.perf_counter()
                    c.get(path.format(a=accounts[(i * 37) % len(accounts)]))
                    alone[name].append(time.perf_counter() - t1)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return {
        "workspace": args.workspace,
        "accounts": len(accounts),
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 1),
        "up_seconds": round(up_seconds, 1),
        "warmup": warmup,
        "warm_seconds": round(warm_seconds, 1),
        "requests": total,
        "throughput_rps": round(total / elapsed, 1),
        "server_errors": dict(errors),
        "under_load": {k: _summary(v) for k, v in sorted(times.items())},
        "pages_alone": {k: _summary(v) for k, v in sorted(alone.items())},
        "cpus": os.cpu_count(),
        "serve_args": args.serve_arg,
        "load_average": [load_before, [round(x, 2) for x in os.getloadavg()]],
    }


def main() -> None:
    """Parse options, run, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", required=True, help="the workspace to serve")
    parser.add_argument("--seconds", type=float, default=30.0, help="load duration")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--page-repeats", type=int, default=20, help="sequential page passes")
    parser.add_argument(
        "--warm-limit",
        type=float,
        default=600.0,
        help="give up watching the warm-up after this many seconds",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument(
        "--key", default=None, help="store the figures under this key of --out (others kept)"
    )
    parser.add_argument(
        "--compare", default=None, help="print the figures beside those under this key of --out"
    )
    parser.add_argument(
        "--serve-arg", action="append", default=[], help="an option for `b2bcx serve` (repeat)"
    )
    args = parser.parse_args()
    figures = run(args)
    text = json.dumps(figures, indent=2)
    print(text)
    stored: dict[str, Any] = {}
    if args.out and args.out.exists():
        stored = json.loads(args.out.read_text(encoding="utf-8"))
    if args.compare and args.compare in stored:
        print(_side_by_side(figures, stored[args.compare]))
    if args.out:
        if args.key:
            stored[args.key] = figures
            text = json.dumps(stored, indent=2)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
