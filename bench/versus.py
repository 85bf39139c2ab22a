"""namgraph against the generic alternative, question by question, on the same Neo4j.

    python -m bench.versus [--quick] [--ha-noi] [--repeat N] [--seconds S] [--clients N]
                           [--uri URI --password PW]

What a team would otherwise run (:mod:`bench.peer`: @neo4j/graphql with ``@cypher`` fields)
and namgraph are both served over HTTP in processes of their own (namgraph as ``nam serve``
runs it, with no answers kept between requests, since the library keeps none), over one Neo4j
holding the demo province (Bến Tre, made as ``make demo-data`` makes it, copied in with
``nam export neo4j``). For each question both get the same GraphQL text; the answers must be
equal before anything is timed. Then the two are asked in turns (``--repeat`` times each: median
and p99), and each is asked by ``--clients`` clients at once for ``--seconds`` seconds
(requests a second). A last row times namgraph with answers kept (its default): the
dashboard reloaded without a write in between.

A second table gives the API's own share, on both stores: each question over HTTP beside the
statement namgraph's Neo4j store runs (sent alone with the driver) and the store method, and
over the embedded store (``nam serve`` on the same data directory) beside its store method.

``--quick`` (``make bench-quick``) gives every ratio of both tables in a few minutes: Bến Tre
only, 20 timed calls a question, 1 s of clients at once.

Without Java and Maven (``--uri`` names another Neo4j) or without Node.js the run says what was
skipped and why. It prints figures and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.http_api import CHAIN, COVERAGE, DASHBOARD, TYPENAME, GraphQLFailed
from bench.neo4j_load import raw_query
from bench.neo4j_server import BenchNeo4j, missing_tools
from bench.peer import PeerServer, cypher_params, missing
from graph.stores import neo4j_cypher
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore

__all__ = ["HA_NOI", "QUESTIONS", "main"]

ROOT = Path(__file__).resolve().parent.parent
NAM = ROOT / ".venv" / "bin" / "nam"
ADMIN = ROOT / "data" / "admin" / "vn-admin-2023-05-07.csv"
ON = date(2023, 5, 1)

CHILDREN = """query($unit: ID!, $asOf: Date) {
  unit(code: $unit) { code name children(asOf: $asOf) { code name } } }"""
COMMUNES = """query($unit: ID!, $asOf: Date) {
  unit(code: $unit) { code children(asOf: $asOf) { code name
    children(asOf: $asOf) { code name supporters(asOf: $asOf) { since cadre { id name } } } } } }"""
CADRE = """query($id: ID!, $asOf: Date) {
  cadre(id: $id) { id name level assignments(asOf: $asOf) { role since unit { code name } } } }"""

#: (name, query, variables): the questions of the issue that asked for this comparison.
QUESTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("empty request { __typename }", TYPENAME, {}),
    ("unit 831 with its children", CHILDREN, {"unit": "831"}),
    ("chain above household group 28801.01.01", CHAIN, {"unit": "28801.01.01"}),
    ("coverage of district 831", COVERAGE, {"unit": "831"}),
    ("coverage of province 83", COVERAGE, {"unit": "83"}),
    ("province 83 -> districts -> communes with supporters", COMMUNES, {"unit": "83"}),
    ("dashboard of province 83", DASHBOARD, {"province": "83"}),
    ("cadre 83-0002 and the units supported", CADRE, {"id": "83-0002"}),
]
#: The questions about the largest province, asked with ``--ha-noi`` (its 172,854 generated
#: records take about 3 minutes more to make and copy in).
HA_NOI: list[tuple[str, str, dict[str, Any]]] = [
    ("coverage of Hà Nội (01)", COVERAGE, {"unit": "01"}),
    ("dashboard of Hà Nội (01)", DASHBOARD, {"province": "01"}),
]


@dataclass
class Figures:
    median_ms: float
    p99_ms: float
    per_second: float | None = None


class Client:
    """POST /graphql (or the peer's /) with one keep-alive connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=600)

    def post(self, query: str, variables: dict[str, Any]) -> Any:
        response = self.http.post(self.url, json={"query": query, "variables": variables})
        if response.status_code != 200:
            raise GraphQLFailed(f"{self.url}: HTTP {response.status_code}: {response.text[:500]}")
        body = response.json()
        if body.get("errors"):
            raise GraphQLFailed(f"{self.url}: {body['errors']}"[:1000])
        return body["data"]

    def close(self) -> None:
        self.http.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_data(folder: Path, env: dict[str, str], provinces: Sequence[str] = ("83",)) -> None:
    """The demo province (and others), as ``make demo-data`` makes it but without the
    generated activity, which no question here reads and the reference does not model (it
    made the copy into Neo4j eight times longer), copied into Neo4j."""
    steps = [["init"]]
    for province in provinces:
        steps += [
            ["load", "admin", str(ADMIN), "--province", province],
            ["generate", "--province", province, "--seed", "1", "--no-activity"],
        ]
    steps.append(["export", "neo4j", "--replace"])
    for step in steps:
        subprocess.run(
            [str(NAM), "--data", str(folder), *step], env=env, check=True, capture_output=True
        )


class Namgraph:
    """``nam serve`` over the Neo4j, in a process of its own."""

    def __init__(self, folder: Path, env: dict[str, str], kept: bool, store: str = "neo4j") -> None:
        self.port = free_port()
        self.env = {
            **env,
            "NAM_STORE": store,
            "NAM_RATE_PER_MINUTE": "100000000",
            "NAM_ANSWER_CACHE": "512" if kept else "0",
            "NAM_QUERY_TIMEOUT": "600",
        }
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Namgraph:
        self.process = subprocess.Popen(
            [
                str(NAM),
                "--data",
                str(self.folder),
                "serve",
                "--demo",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("nam serve did not start")

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


def timed(ask: Callable[..., Any], *args: Any) -> float:
    began = time.perf_counter()
    ask(*args)
    return (time.perf_counter() - began) * 1000


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.99 * len(ordered)) - 1)]


def throughput(
    url: str, query: str, variables: dict[str, Any], clients: int, seconds: float
) -> float:
    """Requests answered a second by ``clients`` threads asking at once for ``seconds``."""
    stop = time.monotonic() + seconds
    counts = [0] * clients
    failures: list[BaseException] = []

    def work(index: int) -> None:
        client = Client(url)
        try:
            while time.monotonic() < stop:
                client.post(query, variables)
                counts[index] += 1
        except BaseException as exc:  # reported after the run
            failures.append(exc)
        finally:
            client.close()

    began = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return sum(counts) / (time.monotonic() - began)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.versus", description=__doc__)
    parser.add_argument("--repeat", type=int, default=100, help="timed calls per question")
    parser.add_argument("--seconds", type=float, default=5.0, help="throughput run length")
    parser.add_argument("--clients", type=int, default=8, help="clients at once")
    parser.add_argument("--uri", help="an existing Neo4j to use (its data is replaced)")
    parser.add_argument("--password", default="namgraph-bench")
    parser.add_argument(
        "--heavy-repeat", type=int, default=10, help="timed calls per question about Hà Nội"
    )
    parser.add_argument(
        "--ha-noi",
        action="store_true",
        help="also make Hà Nội (01) and ask about it (how the time grows with the subtree)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            "every headline ratio in a few minutes: Bến Tre only, 20 timed calls a question, "
            "1 s of clients at once (make bench-quick)"
        ),
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.seconds, args.ha_noi = min(args.repeat, 20), min(args.seconds, 1.0), False

    started = time.perf_counter()
    print("## namgraph against @neo4j/graphql on the same Neo4j (bench/versus.py)")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; commit {_commit()}; {date.today().isoformat()}"
    )
    why = missing()
    if why is not None:
        print(f"skipped: {why}")
        return 0
    with ExitStack() as stack:
        if args.uri:
            uri, password = args.uri, args.password
        else:
            lacking = missing_tools()
            if lacking:
                print(f"skipped: {', '.join(lacking)} not found, so no Neo4j to ask")
                return 0
            server = BenchNeo4j(heap="2g", pagecache="1g")
            server.remove_data()
            print(server.start())
            stack.callback(server.remove_data)
            stack.callback(server.stop)
            uri, password = server.uri, server.password
        env = {**os.environ, "NEO4J_URI": uri, "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": password}
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="namgraph-versus-")))
        began = time.perf_counter()
        provinces = ("83", "01") if args.ha_noi else ("83",)
        demo_data(folder, env, provinces)
        print(
            f"provinces {', '.join(provinces)} made and copied into Neo4j in "
            f"{time.perf_counter() - began:.0f} s"
        )
        driver = Neo4jStore.connect(uri, "neo4j", password)
        stack.callback(driver.close)
        store = Neo4jStore.open(driver)
        policy = store.policy_on(ON)
        params = cypher_params(store._policy_params(policy), policy, ON.isoformat())
        peer = stack.enter_context(PeerServer(uri, password, params))
        ours = stack.enter_context(Namgraph(folder, env, kept=False))
        questions = QUESTIONS + (HA_NOI if args.ha_noi else [])
        rows = compare(Client(ours.url), Client(f"http://127.0.0.1:{peer.port}/"), args, questions)
        kept = stack.enter_context(Namgraph(folder, env, kept=True))
        name, query, variables = QUESTIONS[6]
        variables = {**variables, "asOf": ON.isoformat()}
        client = Client(kept.url)
        client.post(query, variables)
        times = [timed(client.post, query, variables) for _ in range(args.repeat)]
        rate = throughput(kept.url, query, variables, args.clients, args.seconds)
        rows.append(
            (f"{name}, answers kept", Figures(statistics.median(times), p99(times), rate), None)
        )
        embedded = stack.enter_context(Namgraph(folder, env, kept=False, store="memory"))
        overhead = overheads(
            Client(ours.url), Client(embedded.url), store, MemoryStore.open(folder), args.repeat
        )
    print_rows(rows, args.clients)
    print_overheads(overhead)
    print(f"\nthe whole run: {time.perf_counter() - started:.0f} s")
    return 0


def compare(
    ours: Client,
    theirs: Client,
    args: argparse.Namespace,
    questions: Sequence[tuple[str, str, dict[str, Any]]] = QUESTIONS,
) -> list[tuple[str, Figures, Figures | None]]:
    rows: list[tuple[str, Figures, Figures | None]] = []
    for name, query, variables in questions:
        asked = {**variables, "asOf": ON.isoformat()} if "$asOf" in query else variables
        a, b = ours.post(query, asked), theirs.post(query, asked)
        if a != b:
            print(f"{name}: the answers differ, not timed")
            print(" namgraph:", json.dumps(a, ensure_ascii=False)[:400])
            print(" library: ", json.dumps(b, ensure_ascii=False)[:400])
            continue
        for _ in range(5):  # warm both (JIT, plan caches)
            ours.post(query, asked), theirs.post(query, asked)
        mine: list[float] = []
        peer: list[float] = []
        heavy = (name, query, variables) in HA_NOI
        for _ in range(args.heavy_repeat if heavy else args.repeat):  # in turns: same machine
            mine.append(timed(ours.post, query, asked))
            peer.append(timed(theirs.post, query, asked))
        rows.append(
            (
                name,
                Figures(
                    statistics.median(mine),
                    p99(mine),
                    throughput(ours.url, query, asked, args.clients, args.seconds),
                ),
                Figures(
                    statistics.median(peer),
                    p99(peer),
                    throughput(theirs.url, query, asked, args.clients, args.seconds),
                ),
            )
        )
        print(f"  {name}: equal answers, timed", flush=True)
    return rows


@dataclass
class Overhead:
    """One question over HTTP against what it costs without the API: on Neo4j the statement
    namgraph's store runs, sent with the driver (``raw``), and the store method; on the
    embedded store the store method in the bench's own process."""

    name: str
    neo4j_http: float
    raw: float | None
    neo4j_store: float | None
    embedded_http: float
    embedded_store: float | None


def overheads(
    ours: Client, embedded: Client, neo4j: Neo4jStore, memory: MemoryStore, repeat: int
) -> list[Overhead]:
    """The API's share of each question's time (median ms), on both stores: the issue's
    targets are HTTP at most 1.3 times the raw statement (or the store method) plus 1 ms."""
    group = "28801.01.01"
    cases: list[tuple[str, str, dict[str, Any], Callable[..., Any] | None, Any]] = [
        ("empty request { __typename }", TYPENAME, {}, None, None),
        (
            "chain above household group 28801.01.01",
            CHAIN,
            {"unit": group},
            lambda s: s.chain(group, ON),
            raw_query(neo4j, neo4j_cypher.CHAIN, ON, code=group),
        ),
    ]
    for unit in ("831", "83"):
        cases.append(
            (
                f"coverage of {unit}",
                COVERAGE,
                {"unit": unit},
                lambda s, unit=unit: s.coverage(unit, ON),
                raw_query(neo4j, neo4j_cypher.COVERAGE, ON, codes=[unit]),
            )
        )
    found = []
    for name, query, variables, method, raw in cases:
        asked = {**variables, "asOf": ON.isoformat()} if "$asOf" in query else variables
        if ours.post(query, asked) != embedded.post(query, asked):
            print(f"{name}: the two stores answer differently, not timed")
            continue

        def median(ask: Callable[..., Any], *args: Any) -> float:
            for _ in range(5):
                ask(*args)
            return statistics.median(timed(ask, *args) for _ in range(repeat))

        found.append(
            Overhead(
                name,
                median(ours.post, query, asked),
                median(raw) if raw else None,
                median(method, neo4j) if method else None,
                median(embedded.post, query, asked),
                median(method, memory) if method else None,
            )
        )
    return found


def print_overheads(found: list[Overhead]) -> None:
    def ms(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    def ratio(http: float, under: float | None) -> str:
        return f"{http / under:.2f}x" if under else "-"

    print()
    print(
        "| question, p50 ms | Neo4j: HTTP | raw statement | store method | HTTP / raw "
        "| embedded: HTTP | store method | HTTP / method |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for o in found:
        print(
            f"| {o.name} | {ms(o.neo4j_http)} | {ms(o.raw)} | {ms(o.neo4j_store)} "
            f"| {ratio(o.neo4j_http, o.raw)} | {ms(o.embedded_http)} | {ms(o.embedded_store)} "
            f"| {ratio(o.embedded_http, o.embedded_store)} |"
        )


def print_rows(rows: list[tuple[str, Figures, Figures | None]], clients: int) -> None:
    print()
    print(
        f"| question | namgraph p50 / p99 ms | library p50 / p99 ms | namgraph / library (p50) "
        f"| req/s, {clients} clients: namgraph / library |"
    )
    print("|---|---|---|---|---|")
    for name, mine, peer in rows:
        theirs = f"{peer.median_ms:.1f} / {peer.p99_ms:.1f}" if peer else "-"
        ratio = f"{mine.median_ms / peer.median_ms:.2f}x" if peer else "-"
        rates = (
            f"{mine.per_second:.0f} / {peer.per_second:.0f}"
            if peer and peer.per_second
            else (f"{mine.per_second:.0f} / -" if mine.per_second else "-")
        )
        print(
            f"| {name} | {mine.median_ms:.1f} / {mine.p99_ms:.1f} | {theirs} | {ratio} | {rates} |"
        )


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
