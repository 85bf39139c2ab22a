"""Fixtures: Bến Tre from the real administrative list with a generated roster, on either store.

The conformance suite: every test that asks for ``store`` runs once on the embedded networkx
store and once on a real Neo4j server, and must get the same answers. ``make test`` starts the
project's own Neo4j test server (``neo4j/neo4j.sh``, Bolt on 127.0.0.1:17687, its own data
directory), whose database these tests empty and fill; they never touch another server. Where
no test server runs, the Neo4j half is skipped, except with ``CI=true``, where that fails.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from graph.stores.config import dump
from graph.stores.memory import DB_FILE, POLICY_FILE, MemoryStore, later_policy_files
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import ChangeSet, GraphStore, StoreError
from loaders.admin import plan_admin
from loaders.generate import generate
from loaders.illustrative import illustrative_merges, merges_csv
from loaders.merges import plan_merges
from loaders.plan import apply_plan, make_plan
from namgraph.cli.main import main
from neo4j import Driver

# The suite speaks English, the catalogs' source language: its assertions quote the messages
# as the source writes them. Tests of the Vietnamese default choose the language themselves
# (tests/test_language.py).
os.environ["NAM_LANG"] = "en"

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ROOT / "data" / "admin" / "vn-admin-2023-05-07.csv"
ADMIN_2025 = ROOT / "data" / "admin" / "vn-admin-2025-10-18.csv"
ON = date(2023, 5, 1)
REFORM = date(2025, 7, 1)  # two-tier local government
RESOLUTION = "Nghị quyết 202/2025/QH15"


def _neo4j_uri() -> str:
    """The Neo4j test server of this test process. ``make test`` runs the tests in two worker
    processes (pytest-xdist), each with a test server of its own: Bolt on 17687 for the first
    (and for a run without workers), 17697 for the second. ``NAM_TEST_NEO4J_URI`` names
    others, one per worker, separated by commas."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    named = os.environ.get("NAM_TEST_NEO4J_URI")
    if named:
        uris = [uri.strip() for uri in named.split(",") if uri.strip()]
        return uris[worker % len(uris)]
    return f"bolt://127.0.0.1:{17687 + 10 * worker}"


NEO4J_URI = _neo4j_uri()
NEO4J_USER = os.environ.get("NAM_TEST_NEO4J_USER", "neo4j")
NEO4J_PASSWORD = os.environ.get("NAM_TEST_NEO4J_PASSWORD", "namgraph-test")
NEO4J_DATABASE = "neo4j"


def build(data: Path, province: str = "83", policy: str = "ben-tre-559", seed: int = 1) -> Path:
    store = MemoryStore.init(data, policy)
    apply_plan(store, plan_admin(store, ADMIN, province))
    roster = generate(store, province, seed)
    apply_plan(store, make_plan(store, roster.units, roster.cadres, roster.assignments, on=ON))
    return data


@pytest.fixture(scope="session")
def ben_tre_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("ben-tre") / "nam")


@pytest.fixture
def data_dir(ben_tre_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the generated Bến Tre data directory."""
    target = tmp_path / "nam"
    shutil.copytree(ben_tre_dir, target)
    return target


@pytest.fixture
def memory_store(data_dir: Path) -> MemoryStore:
    return MemoryStore.open(data_dir)


# --- Neo4j -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def neo4j_driver() -> Iterator[Driver]:
    try:
        driver = Neo4jStore.connect(NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD)
    except StoreError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the Neo4j test server is unreachable: {exc}")
        pytest.skip(f"no Neo4j test server at {NEO4J_URI} (`make test` starts one): {exc}")
    yield driver
    driver.close()


class Neo4jBenTre:
    """The generated Bến Tre province in the Neo4j test database, reloaded after a test
    that wrote to it.

    Every write bumps the store's generation; a reload also leaves a token of its own on the
    meta node, so a database dropped and set up again by a test (``nam export neo4j
    --replace``), whose generation may start over at the same number, is told apart too."""

    def __init__(self, driver: Driver, source: Path) -> None:
        self.driver = driver
        self.policy = str(source / POLICY_FILE)
        self.records = dump(MemoryStore.open(source))
        self.later = later_policies(source)
        self.loaded: tuple[int, str] | None = None

    def checkout(self) -> Neo4jStore:
        if self.loaded is None or self.current() != self.loaded:
            Neo4jStore.drop(self.driver, NEO4J_DATABASE)
            fresh = Neo4jStore.init(self.driver, NEO4J_DATABASE, self.policy)
            for start, policy in self.later:
                fresh.set_policy(policy, start)
            fresh.apply(self.records)
            token = uuid.uuid4().hex
            self.driver.execute_query(
                "MATCH (m:NamgraphMeta {key: 'schema'}) SET m.test_fixture = $token",
                token=token,
                database_=NEO4J_DATABASE,
            )
            self.loaded = self.current()
        return Neo4jStore.open(self.driver, NEO4J_DATABASE)

    def current(self) -> tuple[int, str]:
        records, _, _ = self.driver.execute_query(
            "MATCH (m:NamgraphMeta {key: 'schema'}) "
            "RETURN coalesce(m.generation, 0) AS generation, coalesce(m.test_fixture, '') AS token",
            database_=NEO4J_DATABASE,
        )
        if not records:
            return (-1, "")
        return (int(records[0]["generation"]), str(records[0]["token"]))


def later_policies(data: Path) -> list[tuple[date, str]]:
    """The policies a data directory's timeline puts in force after the first, with dates."""
    return [(start, str(file)) for start, file in later_policy_files(data)]


@pytest.fixture(scope="session")
def mapped_dir(tmp_path_factory: pytest.TempPathFactory, ben_tre_dir: Path) -> Path:
    """Generated Bến Tre of 2023, then the two-tier policy and the national list of
    2025-10-18 in force from 1 July 2025 (Bến Tre ends; Vĩnh Long, 86, begins)."""
    target = tmp_path_factory.mktemp("mapped") / "nam"
    shutil.copytree(ben_tre_dir, target)
    store = MemoryStore.open(target)
    store.set_policy("two-tier-2025", REFORM)
    apply_plan(store, plan_admin(store, ADMIN_2025, None, REFORM, RESOLUTION))
    return target


@pytest.fixture(scope="session")
def merged_dir(tmp_path_factory: pytest.TempPathFactory, mapped_dir: Path) -> Path:
    """``mapped_dir`` with an illustrative merge file for Bến Tre loaded: its hamlets hang
    from communes of Vĩnh Long from 1 July 2025."""
    target = tmp_path_factory.mktemp("merged") / "nam"
    shutil.copytree(mapped_dir, target)
    store = MemoryStore.open(target)
    rows = illustrative_merges(store, REFORM, "83")
    merges = target.parent / "merges.csv"
    merges.write_text(merges_csv(rows), encoding="utf-8")
    apply_plan(store, plan_merges(store, merges))
    return target


@pytest.fixture(scope="session")
def neo4j_merged(neo4j_driver: Driver, merged_dir: Path) -> Neo4jBenTre:
    return Neo4jBenTre(neo4j_driver, merged_dir)


def on_store(kind: str, data: Path, request: pytest.FixtureRequest, neo4j: str) -> GraphStore:
    """The graph of the data directory ``data`` on the store ``kind``: the directory itself,
    or the Neo4j test database loaded from it by the session fixture named ``neo4j``."""
    if kind == "memory":
        return MemoryStore.open(data)
    loaded: Neo4jBenTre = request.getfixturevalue(neo4j)
    return loaded.checkout()


@pytest.fixture
def merged(store_kind: str, merged_dir: Path, request: pytest.FixtureRequest) -> GraphStore:
    """The graph of ``merged_dir`` on the store under test, for questions (do not write)."""
    return on_store(store_kind, merged_dir, request, "neo4j_merged")


@pytest.fixture(scope="session")
def neo4j_mapped(neo4j_driver: Driver, mapped_dir: Path) -> Neo4jBenTre:
    return Neo4jBenTre(neo4j_driver, mapped_dir)


@pytest.fixture
def mapped(store_kind: str, mapped_dir: Path, request: pytest.FixtureRequest) -> GraphStore:
    """The graph of ``mapped_dir`` on the store under test, for questions (do not write)."""
    return on_store(store_kind, mapped_dir, request, "neo4j_mapped")


@pytest.fixture(scope="session")
def neo4j_ben_tre(neo4j_driver: Driver, ben_tre_dir: Path) -> Neo4jBenTre:
    return Neo4jBenTre(neo4j_driver, ben_tre_dir)


@pytest.fixture(scope="session")
def two_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bến Tre and Đà Nẵng (48) in one graph: for tests of who may see which province."""
    data = build(tmp_path_factory.mktemp("two-provinces") / "nam")
    store = MemoryStore.open(data)
    apply_plan(store, plan_admin(store, ADMIN, "48"))
    roster = generate(store, "48", 1)
    apply_plan(store, make_plan(store, roster.units, roster.cadres, roster.assignments, on=ON))
    return data


@pytest.fixture(scope="session")
def neo4j_two(neo4j_driver: Driver, two_dir: Path) -> Neo4jBenTre:
    return Neo4jBenTre(neo4j_driver, two_dir)


# --- either store ------------------------------------------------------------------------------


class TwoProvinces:
    """A private copy of the two-province data directory, and its graph on the store under
    test (opened afresh by each call: the Neo4j database is reloaded if a test wrote to it)."""

    def __init__(
        self, store_kind: str, two_dir: Path, folder: Path, request: pytest.FixtureRequest
    ):
        self.kind = store_kind
        self.data = folder / "nam"
        self.folder = folder
        self.request = request
        shutil.copytree(two_dir, self.data)

    def store(self) -> GraphStore:
        if self.kind == "memory":
            return MemoryStore.open(self.data)
        neo4j_two: Neo4jBenTre = self.request.getfixturevalue("neo4j_two")
        return neo4j_two.checkout()


@pytest.fixture
def two(
    store_kind: str, two_dir: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> TwoProvinces:
    return TwoProvinces(store_kind, two_dir, tmp_path, request)


@pytest.fixture
def world(two: TwoProvinces) -> Iterator[Any]:
    """A server over the two provinces with a token for every role (tests/access_world.py)."""
    from tests.access_world import open_world

    yield from open_world(two.store(), two.data, two.folder)


@pytest.fixture(params=["memory", "neo4j"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def reopen(
    store_kind: str, data_dir: Path, request: pytest.FixtureRequest
) -> Callable[[], GraphStore]:
    """A fresh handle on the same store, as another process would open it."""
    if store_kind == "memory":
        return lambda: MemoryStore.open(data_dir)
    ben_tre: Neo4jBenTre = request.getfixturevalue("neo4j_ben_tre")
    return lambda: Neo4jStore.open(ben_tre.driver, NEO4J_DATABASE)


@pytest.fixture
def store(store_kind: str, data_dir: Path, request: pytest.FixtureRequest) -> GraphStore:
    """The generated Bến Tre province on the store under test."""
    return on_store(store_kind, data_dir, request, "neo4j_ben_tre")


def store_env(store_kind: str) -> dict[str, str]:
    if store_kind == "memory":
        return {"NAM_STORE": "memory"}
    return {
        "NAM_STORE": "neo4j",
        "NEO4J_URI": NEO4J_URI,
        "NEO4J_USER": NEO4J_USER,
        "NEO4J_PASSWORD": NEO4J_PASSWORD,
        "NEO4J_DATABASE": NEO4J_DATABASE,
    }


Nam = Callable[..., Result]


def runner(data_dir: Path, env: dict[str, str]) -> Nam:
    def run(*args: str) -> Result:
        return CliRunner(env=env).invoke(
            main, ["--data", str(data_dir), *args], catch_exceptions=False
        )

    return run


@pytest.fixture
def nam(store_kind: str, data_dir: Path, store: GraphStore) -> Nam:
    """The ``nam`` command line on the store under test."""
    return runner(data_dir, store_env(store_kind))


@pytest.fixture
def nam_memory(data_dir: Path) -> Nam:
    """The ``nam`` command line on the private memory data directory."""
    return runner(data_dir, store_env("memory"))


@pytest.fixture
def state(store_kind: str, data_dir: Path, store: GraphStore) -> Callable[[], object]:
    """A fingerprint of the store: equal before and after means nothing was written.

    Memory: every byte of the data directory. Neo4j: the write generation, which every write
    bumps in its own transaction, and the number of records of each kind."""
    if store_kind == "memory":
        return lambda: tree_digest(data_dir)
    assert isinstance(store, Neo4jStore)
    return lambda: (store.generation(), store.counts())


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the SHA-256 of its bytes; for the embedded store's
    SQLite database, of what it holds (its -wal and -shm files change as readers come and go,
    and a checkpoint moves pages between them without changing a record)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.endswith(("-wal", "-shm")):
            continue
        if path.name == DB_FILE:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                content = "\n".join(db.iterdump()).encode()
        else:
            content = path.read_bytes()
        out[str(path.relative_to(folder))] = hashlib.sha256(content).hexdigest()
    return out


# --- a real browser (Debian's Chromium driven by Playwright) ---------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_missing(reason: str) -> None:
    """Skip a browser test, except under ``CI=true``, where a missing browser fails."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for every browser test (each test module opens its own
    contexts). ``make test`` installs Chromium when run as root."""
    if not CHROMIUM.exists():
        browser_missing(f"no Chromium at {CHROMIUM} (as root: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


#: The console's timings measured by the browser tests (navigation timing, in ms), printed at
#: the end of the run: figures for the README, never asserted.
CONSOLE_TIMINGS: dict[str, float] = {}
_TIMING = "console timing"


def console_timings(request: pytest.FixtureRequest, timings: dict[str, float]) -> None:
    """Report the console's timings measured by a test (carried to the process that prints
    the summary, when the tests run in worker processes)."""
    request.node.user_properties.extend((_TIMING, (name, v)) for name, v in timings.items())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, value in report.user_properties:
        if key == _TIMING:
            name, ms = value
            CONSOLE_TIMINGS[name] = ms


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CONSOLE_TIMINGS:
        terminalreporter.section("console timings (ms after navigation start)")
        for name, value in CONSOLE_TIMINGS.items():
            terminalreporter.write_line(f"{name}: {value:.0f}")


@pytest.fixture(autouse=True)
def _forget_finished_apps() -> Iterator[None]:
    """Let every app a test made, and the store it serves, be freed when the test is done.

    FastAPI (0.165) keeps each endpoint function it has classified in three module-level LRU
    caches of 4,096 entries; the endpoints are closures over the app's store, so without this
    a run of the suite kept hundreds of stores alive (the pytest process grew past 9 GiB). A
    server runs one app for its whole life, so this matters to the tests only."""
    yield
    from fastapi.dependencies import models

    for name in (
        "_is_gen_callable_cached",
        "_is_async_gen_callable_cached",
        "_is_coroutine_callable_cached",
    ):
        cached = getattr(models, name, None)
        if cached is not None:
            cached.cache_clear()


def end_support(store: GraphStore, district: str = "831") -> str:
    """End, 30 days before ``ON``, the support of the first commune of ``district`` (a gap on
    ``ON``, everything below it cut off); that commune's code."""
    commune = store.children(district, ON)[0].code
    ended = [
        dataclasses.replace(a, until=ON - timedelta(days=30))
        for a in store.assignments(unit=commune)
        if a.in_force_on(ON)
    ]
    assert ended
    store.apply(ChangeSet(assignments=ended))
    return commune


def unsupported_copy(ben_tre: Path, target: Path, district: str = "831") -> tuple[MemoryStore, str]:
    """A private copy of Bến Tre in which the first commune of ``district`` has lost its
    support (:func:`end_support`); the store and that commune's code."""
    shutil.copytree(ben_tre, target)
    store = MemoryStore.open(target)
    return store, end_support(store, district)
