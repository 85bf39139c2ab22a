"""A store wrapper that counts calls: each call of a store method is one round trip.

>>> from graph.stores.memory import MemoryStore
>>> from graph.policy import load_policy
>>> store = CountingStore(MemoryStore(load_policy()))
>>> store.unit("83") is None, store.calls
(True, 1)
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from typing import Any

from graph.stores.port import GraphStore

__all__ = ["CountingStore"]


class CountingStore:
    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.policy = inner.policy
        self.by_method: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return sum(self.by_method.values())

    def reset(self) -> None:
        with self._lock:
            self.by_method.clear()

    def pinned(self) -> CountingStore:
        """The inner store pinned, its calls counted here too."""
        twin = CountingStore(self.inner.pinned())
        twin.by_method, twin._lock = self.by_method, self._lock
        return twin

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        local = ("refresh", "stale", "seen_revision", "scoped", "policy_on")  # no round trip
        if not callable(target) or name.startswith("_") or name in local:
            return target

        @functools.wraps(target)  # named as the method (namgraph.api.kept knows it by name)
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.by_method[name] += 1
            return target(*args, **kwargs)

        return counted
