"""The audit trail: every write and every refused access, one JSON line each.

Lines go to the log (standard error, as ``"msg": "audit"``) and, when
``NAM_AUDIT_LOG`` names a file, are appended to it as well. Each line says who asked (token id,
role, scope), what they asked and what happened; never a token or a secret.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from namgraph.api.auth import Principal
from namgraph.api.logs import log, request_id

__all__ = ["Audit"]


class Audit:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, event: str, principal: Principal | None, outcome: str, **asked: Any) -> None:
        line: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
            "outcome": outcome,
            "request_id": request_id.get(),
            "token": principal.token_id if principal else None,
            "subject": principal.subject if principal else None,
            "role": str(principal.role) if principal else None,
            "scope": principal.scope if principal else None,
            **asked,
        }
        log("audit", **{k: v for k, v in line.items() if k not in ("ts", "request_id")})
        if self.path is not None:
            text = json.dumps(line, ensure_ascii=False, default=str)
            with self._lock, self.path.open("a", encoding="utf-8") as handle:
                handle.write(text + "\n")
