"""Many clients at once against ``nam serve`` on loopback: do cheap questions stay quick while
heavy ones run?

    python -m bench.load [--stores memory,neo4j] [--seconds 180] [--idle-seconds 30]
                         [--cheap 20] [--heavy 4] [--think 0.5] [--json]

For each store it builds Bến Tre (the real 2023 list and the generated roster, as ``make demo``
does, in a temporary directory), starts ``nam serve --demo`` on a free loopback port (Neo4j:
the bench's own server, see :mod:`bench.neo4j_server`, filled with ``nam export neo4j``), and
runs two phases with one asyncio client process:

``idle``
    the cheap clients alone, for ``--idle-seconds``;
``loaded``
    the same cheap clients beside ``--heavy`` clients of heavy requests, for ``--seconds``.

A cheap client asks, in turn, ``unit`` (a commune with its children), ``chain`` (above a
household group) and ``coverage`` of a district, waiting ``--think`` seconds between requests.
A heavy client asks, back to back, 30 aliased province questions: ``coverage``, ``whatIf`` and
``violations`` on ten different dates each. A heavy request answered ``BUSY`` (with
``Retry-After``) is handled, not an error; its client waits as told. An error is a non-200
answer, a GraphQL error other than ``BUSY``, or a failed connection.

It prints, per store: the cheap questions' p50 and p99 in each phase and the ratio of the
loaded p99 to the idle p99; the heavy requests answered and refused; the errors; and the server's
resident memory at the start and end of the loaded phase. It asserts nothing about speed. The
clients and the server share the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.neo4j_server import BenchNeo4j, missing_tools

ROOT = Path(__file__).resolve().parents[1]
NAM = [str(Path(sys.executable).with_name("nam"))]
ADMIN = ROOT / "data" / "admin" / "vn-admin-2023-05-07.csv"
ON = "2023-05-01"

CHEAP = [
    f'{{ unit(code: "28801") {{ code name children(asOf: "{ON}") {{ code name }} }} }}',
    f'{{ chain(unit: "28801.01.01", asOf: "{ON}") {{ level covered unit {{ code }} }} }}',
    f'{{ coverage(unit: "831", asOf: "{ON}") {{ householdsReached ratio }} }}',
]


def heavy_query(cadres: list[str]) -> str:
    """30 aliased province questions on ten dates: nothing for a cache to share."""
    dates = [f"2023-0{m}-1{d}" for m in (1, 2, 3, 4, 5) for d in (0, 5)]
    ids = ", ".join(f'"{c}"' for c in cadres)
    fields = []
    for i, day in enumerate(dates):
        fields.append(f'c{i}: coverage(unit: "83", asOf: "{day}") {{ householdsReached }}')
        fields.append(
            f'w{i}: whatIf(cadres: [{ids}], on: "{day}") {{ after {{ householdsReached }} }}'
        )
        fields.append(f'v{i}: violations(unit: "83", asOf: "{day}", first: 5) {{ totalCount }}')
    return "{ " + " ".join(fields) + " }"


@dataclass
class Phase:
    cheap_ms: list[float] = field(default_factory=list)
    heavy_answered: int = 0
    heavy_busy: int = 0
    heavy_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "cheap_requests": len(self.cheap_ms),
            "cheap_p50_ms": round(pct(self.cheap_ms, 50), 1),
            "cheap_p99_ms": round(pct(self.cheap_ms, 99), 1),
            "heavy_answered": self.heavy_answered,
            "heavy_busy": self.heavy_busy,
            "heavy_p50_s": round(pct(self.heavy_ms, 50) / 1000, 2),
            "errors": len(self.errors),
            "first_errors": self.errors[:5],
        }


def pct(values: list[float], p: int) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) // 1024


def nam(env: dict[str, str], *args: str) -> None:
    subprocess.run([*NAM, *args], env=env, check=True, capture_output=True, cwd=ROOT)


def build(data: Path, env: dict[str, str]) -> None:
    nam(env, "--data", str(data), "init")
    nam(env, "--data", str(data), "load", "admin", str(ADMIN), "--province", "83")
    nam(env, "--data", str(data), "generate", "--province", "83", "--seed", "1")


async def ask(client: httpx.AsyncClient, query: str) -> tuple[float, str | None, float]:
    """Milliseconds, the error (None: answered; "BUSY": refused for now) and Retry-After."""
    started = time.perf_counter()
    try:
        response = await client.post("/graphql", json={"query": query})
    except httpx.HTTPError as exc:
        return (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}", 0
    ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        return ms, f"HTTP {response.status_code}: {response.text[:200]}", 0
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    if codes and all(code == "BUSY" for code in codes):
        return ms, "BUSY", float(response.headers.get("retry-after", "1"))
    if codes:
        return ms, f"GraphQL {codes}: {body['errors'][0].get('message', '')[:200]}", 0
    return ms, None, 0


async def run_phase(
    base: str, seconds: float, cheap: int, heavy: int, think: float, heavy_text: str
) -> Phase:
    phase = Phase()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=cheap + heavy + 4)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def cheap_client(n: int) -> None:
            i = n
            while time.monotonic() < deadline:
                ms, error, _ = await ask(client, CHEAP[i % len(CHEAP)])
                i += 1
                if error is None:
                    phase.cheap_ms.append(ms)
                else:
                    phase.errors.append(f"cheap: {error}")
                await asyncio.sleep(think)

        async def heavy_client() -> None:
            while time.monotonic() < deadline:
                ms, error, retry = await ask(client, heavy_text)
                if error is None:
                    phase.heavy_answered += 1
                    phase.heavy_ms.append(ms)
                elif error == "BUSY":
                    phase.heavy_busy += 1
                    await asyncio.sleep(min(retry, max(0.0, deadline - time.monotonic())))
                else:
                    phase.errors.append(f"heavy: {error}")

        await asyncio.gather(
            *(cheap_client(n) for n in range(cheap)), *(heavy_client() for _ in range(heavy))
        )
    return phase


def serve(data: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [*NAM, "--data", str(data), "serve", "--demo", "--port", str(port)],
        env={**env, "NAM_RATE_PER_MINUTE": "1000000"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("nam serve did not become ready in 120 s")


def some_cadres(base: str) -> list[str]:
    body = httpx.post(
        base + "/graphql",
        json={"query": f'{{ workload(unit: "83", asOf: "{ON}", first: 3) {{ cadre {{ id }} }} }}'},
        timeout=60,
    ).json()
    return [row["cadre"]["id"] for row in body["data"]["workload"]]


def one_store(kind: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NAM_STORE": "memory"}
    data = work / kind
    build(data, env)
    neo4j: BenchNeo4j | None = None
    if kind == "neo4j":
        neo4j = BenchNeo4j()
        neo4j.start()
        env.update(NEO4J_URI=neo4j.uri, NEO4J_PASSWORD=neo4j.password, NEO4J_USER=neo4j.user)
        nam(env, "--data", str(data), "export", "neo4j", "--replace")
        env["NAM_STORE"] = "neo4j"
    server, base = serve(data, env)
    try:
        heavy_text = heavy_query(some_cadres(base))
        for query in CHEAP:  # warm up
            asyncio.run(ask(httpx.AsyncClient(base_url=base, timeout=120), query))
        idle = asyncio.run(
            run_phase(base, args.idle_seconds, args.cheap, 0, args.think, heavy_text)
        )
        rss_start = rss_mib(server.pid)
        loaded = asyncio.run(
            run_phase(base, args.seconds, args.cheap, args.heavy, args.think, heavy_text)
        )
        rss_end = rss_mib(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if neo4j is not None:
            neo4j.stop()
            neo4j.remove_data()
    i, lo = idle.summary(), loaded.summary()
    return {
        "store": kind,
        "idle": i,
        "loaded": lo,
        "p99_ratio": round(lo["cheap_p99_ms"] / i["cheap_p99_ms"], 2)
        if i["cheap_p99_ms"]
        else None,
        "rss_mib_start": rss_start,
        "rss_mib_end": rss_end,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="memory,neo4j")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--cheap", type=int, default=20)
    parser.add_argument("--heavy", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    work = Path(tempfile.mkdtemp(prefix="nam-load-"))
    try:
        for kind in args.stores.split(","):
            if kind == "neo4j" and missing_tools():
                print(f"neo4j: skipped ({', '.join(missing_tools())} not found)")
                continue
            results.append(one_store(kind, args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"Load: {args.cheap} cheap clients (think {args.think:g} s) beside {args.heavy} heavy "
        f"ones for {args.seconds:g} s, after {args.idle_seconds:g} s of cheap ones alone; "
        "clients and server share the machine."
    )
    print(
        "store   idle p50/p99 ms   loaded p50/p99 ms   p99 ratio   heavy ok/BUSY   errors   RSS MiB"
    )
    for r in results:
        i, lo = r["idle"], r["loaded"]
        print(
            f"{r['store']:<7} {i['cheap_p50_ms']:>7}/{i['cheap_p99_ms']:<8} "
            f"{lo['cheap_p50_ms']:>8}/{lo['cheap_p99_ms']:<9} {r['p99_ratio']!s:>9}   "
            f"{lo['heavy_answered']:>5}/{lo['heavy_busy']:<6}   "
            f"{i['errors'] + lo['errors']:>6}   {r['rss_mib_start']}->{r['rss_mib_end']}"
        )
        for error in i["first_errors"] + lo["first_errors"]:
            print("   error:", error)


if __name__ == "__main__":
    main()
