"""The bench's own Neo4j server, started and stopped with the project script ``neo4j/neo4j.sh``.

It is a separate instance from the test server (17687/17474) and from ``make neo4j``
(7687/7474): its own directory ``.neo4j/bench`` (the cached classpath ``.neo4j/lib`` is shared),
its own ports and password. The bench starts it before the first scale and stops it after the
last, also when a scale fails; its data directory is removed afterwards unless asked to keep it,
since every run loads its graph afresh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BenchNeo4j", "missing_tools"]

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "neo4j" / "neo4j.sh"


def missing_tools() -> list[str]:
    """What the project script needs and this machine lacks (Java and Maven)."""
    return [tool for tool in ("java", "mvn") if shutil.which(tool) is None]


@dataclass
class BenchNeo4j:
    """One Neo4j instance under ``root``, driven by ``neo4j/neo4j.sh start|stop|status``."""

    root: Path = ROOT / ".neo4j" / "bench"
    lib: Path = ROOT / ".neo4j" / "lib"
    bolt_port: int = 27687
    http_port: int = 27474
    password: str = "namgraph-bench"
    heap: str = "4g"
    pagecache: str = "2g"
    user: str = "neo4j"
    database: str = "neo4j"
    started: bool = field(default=False, init=False)
    start_s: float | None = field(default=None, init=False)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "NEO4J_ROOT": str(self.root),
            "NEO4J_LIB": str(self.lib),
            "NEO4J_BOLT_PORT": str(self.bolt_port),
            "NEO4J_HTTP_PORT": str(self.http_port),
            "NEO4J_PASSWORD": self.password,
            "NEO4J_HEAP_SIZE": self.heap,
            "NEO4J_PAGECACHE_SIZE": self.pagecache,
        }

    def _script(self, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), command],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self) -> str:
        """Start the server (waits for Bolt and HTTP); the script's last words, or raise."""
        begin = time.perf_counter()
        done = self._script("start", timeout=600)
        self.started = True  # even a failed start may leave a JVM behind: stop() cleans up
        if done.returncode != 0:
            raise RuntimeError(
                f"neo4j/neo4j.sh start failed (exit {done.returncode}): "
                + (done.stderr.strip() or done.stdout.strip())[-2000:]
            )
        self.start_s = time.perf_counter() - begin
        return done.stdout.strip()

    def running(self) -> bool:
        return self._script("status", timeout=30).returncode == 0

    def stop(self) -> str:
        done = self._script("stop", timeout=180)
        self.started = False
        return (done.stderr.strip() or done.stdout.strip()).replace("\n", "; ")

    def remove_data(self) -> None:
        """Delete the databases (the next start creates them again, with the password)."""
        shutil.rmtree(self.data, ignore_errors=True)

    def log_tail(self, lines: int = 15) -> str:
        """The end of the server's own log and its JVM output, to explain a crash."""
        out: list[str] = []
        for name in ("neo4j.log", "neo4j.out"):
            path = self.root / "logs" / name
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                out += [f"--- {path} ---", *text[-lines:]]
        return "\n".join(out)
