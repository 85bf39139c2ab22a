"""A map whose copy shares its contents: the embedded store's assignments by id.

Each write generation of the embedded store has its own index of assignments by id (1.2
million at national scale) while readers keep the previous generation's. A ``dict`` copy of it
allocates and fills 50 MiB on every write. A :class:`SharedMap` keeps its entries in buckets of
about 32: a copy copies the list of buckets, and a bucket is copied when first written to
through either map, so a write of a thousand assignments copies a thousand small buckets.

The buckets are in no reference cycle, so they are kept off the cycle collector's list
(:func:`untrack`), like the store's other per-generation tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import TypeVar

from graph.stores.untracked import untrack

K = TypeVar("K")
V = TypeVar("V")

#: Buckets of an empty map, how full a bucket gets (on average) before the buckets are
#: multiplied, and by how much.
FIRST_BUCKETS = 16
PER_BUCKET = 32
GROWTH = 16


class SharedMap(MutableMapping[K, V]):
    """A mutable mapping; :meth:`copy` is cheap, and the copy and the original are
    independent (changing one never changes the other)."""

    __slots__ = ("_buckets", "_mask", "_owned", "_size")

    def __init__(self, entries: Mapping[K, V] | None = None) -> None:
        count = FIRST_BUCKETS
        while entries and len(entries) > PER_BUCKET * count:
            count *= GROWTH
        self._buckets: list[dict[K, V]] = [{} for _ in range(count)]
        self._mask = count - 1
        self._owned: set[int] | None = None  # None: every bucket is this map's own
        self._size = 0
        if entries:
            buckets, mask = self._buckets, self._mask
            for key, value in entries.items():
                buckets[hash(key) & mask][key] = value
            self._size = len(entries)
        untrack(self._buckets)

    def copy(self) -> SharedMap[K, V]:
        other: SharedMap[K, V] = SharedMap.__new__(SharedMap)
        other._buckets = list(self._buckets)
        other._mask = self._mask
        other._owned = set()
        other._size = self._size
        self._owned = set()  # the buckets are shared now: the original copies them too
        return other

    __copy__ = copy  # copy.copy too: never an alias of the buckets this map may write

    def __reduce__(self) -> tuple[type[SharedMap[K, V]], tuple[dict[K, V]]]:
        return (SharedMap, (dict(self.items()),))  # buckets follow hashes: rebuilt on load

    def untrack_own(self) -> None:
        """Take the buckets this map wrote off the cycle collector's list (a write tracks
        them)."""
        own = self._buckets if self._owned is None else [self._buckets[i] for i in self._owned]
        untrack(own)

    def _own(self, index: int) -> dict[K, V]:
        bucket = self._buckets[index]
        if self._owned is not None and index not in self._owned:
            bucket = dict(bucket)
            self._buckets[index] = bucket
            self._owned.add(index)
        return bucket

    def _grow(self) -> None:
        entries = dict(self.items())
        self.__init__(entries)  # type: ignore[misc]

    def __getitem__(self, key: K) -> V:
        return self._buckets[hash(key) & self._mask][key]

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        return self._buckets[hash(key) & self._mask].get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets[hash(key) & self._mask]

    def __setitem__(self, key: K, value: V) -> None:
        bucket = self._own(hash(key) & self._mask)
        if key not in bucket:
            self._size += 1
        bucket[key] = value
        if self._size > PER_BUCKET * len(self._buckets):
            self._grow()

    def __delitem__(self, key: K) -> None:
        del self._own(hash(key) & self._mask)[key]
        self._size -= 1

    def __iter__(self) -> Iterator[K]:
        for bucket in self._buckets:
            yield from bucket

    def __len__(self) -> int:
        return self._size

    def items(self) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        for bucket in self._buckets:
            yield from bucket.items()

    def values(self) -> Iterator[V]:  # type: ignore[override]
        for bucket in self._buckets:
            yield from bucket.values()


def shared_copy(entries: MutableMapping[K, V]) -> SharedMap[K, V]:
    """A copy of ``entries`` to change: cheap when ``entries`` is a shared map already."""
    return entries.copy() if isinstance(entries, SharedMap) else SharedMap(entries)
