"""Tables the cycle collector need not walk: the embedded store's per-generation tables.

Each write generation of the embedded store has its own copy of the graph's three top tables
(nodes, successors, predecessors: two million entries each at national scale) while readers
keep the previous generation's. Copying them takes about 0.2 s; but a new table is also young
to Python's cycle collector, which walks every entry of it at its next collection and again at
the one after: 0.35 s each at national scale, inside the write.

These tables (and the buckets of :mod:`shared_map`) are in no reference cycle: records,
attribute dicts and link tables point only downwards, never back at a table or at the graph.
So they are freed with the object that holds them: at once, by reference counting, when a
generation is dropped; or, when that generation's graph object sits in a cycle (networkx keeps
the edge views it was asked for, and they point back at the graph), when the collector frees
that graph object, whose own walk is short. Either way the collector never walks the tables'
entries. They are taken off the collector's list after each fork (``PyObject_GC_UnTrack``, the documented C API, as
CPython does itself for dicts that cannot hold a cycle). Anything they hold stays tracked; an
insert tracks a table again, so this is done after the fork's changes are in.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable
from typing import Any

_untrack = ctypes.pythonapi.PyObject_GC_UnTrack
_untrack.argtypes = [ctypes.py_object]
_untrack.restype = None


def untrack(tables: Iterable[dict[Any, Any]]) -> None:
    """Take ``tables`` off the cycle collector's list (they stay valid, and are freed when
    what holds them is). Only plain dicts are accepted; a cycle through one of them would
    never be collected, and the store's tables hold nothing that points back at them."""
    for table in tables:
        if type(table) is not dict:
            raise TypeError(f"only plain dicts are untracked, not {type(table).__name__}")
        _untrack(table)
