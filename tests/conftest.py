"""Fixtures: Bến Tre from the real administrative list with a generated roster."""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from graph.memory_store import MemoryStore
from loaders.admin import plan_admin
from loaders.generate import generate
from loaders.plan import apply_plan, make_plan

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ROOT / "data" / "admin" / "vn-admin-2023-05-07.csv"
ON = date(2023, 5, 1)


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
def store(data_dir: Path) -> MemoryStore:
    return MemoryStore.open(data_dir)


Nam = Callable[..., Result]


@pytest.fixture
def nam(data_dir: Path) -> Nam:
    """Run the ``nam`` command line on the private data directory."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["--data", str(data_dir), *args], catch_exceptions=False)

    return run


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
