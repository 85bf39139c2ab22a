"""Plain tables over one generation of the embedded store's graph, for the questions that walk
a whole subtree (coverage, gaps).

Walking networkx's views costs a few microseconds a step; a province's coverage takes tens of
thousands of steps. These tables hold, per unit, the units that ever hung from it with the days
they did, and the assignments to it with their cadres: what those questions read, as tuples.
They hold no answer, only the graph in another shape, and they are filled in lazily, a unit at a
time, the first time a question walks past it.

A write never changes a graph that readers hold: it makes a new one (see ``memory._fork``). So
the tables of a graph are right for as long as the graph lives, and they go with it (they are
kept by a weak reference to it).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from graph.model import Assignment, Cadre, Unit
from graph.policy import Rule

if TYPE_CHECKING:
    import networkx as nx

    Graph = nx.MultiDiGraph[Any]

__all__ = ["Child", "Support", "Tables", "tables"]

_NOBODY: frozenset[str] = frozenset()
_FIRST = date.min
_LAST = date.max


@dataclass(frozen=True, slots=True)
class Child:
    """A unit that hung from a parent, and the days it did: each ``[start, end)`` of a version
    whose parent that is (a unit exists on the days of its versions)."""

    unit: Unit
    spans: tuple[tuple[date, date], ...]

    def on(self, day: date) -> bool:
        return any(start <= day < end for start, end in self.spans)


@dataclass(frozen=True, slots=True)
class Support:
    """An assignment to a unit, with its cadre."""

    cadre: Cadre
    assignment: Assignment
    since: date
    until: date


class Tables:
    """The tables of one graph (see the module); use :func:`tables`."""

    def __init__(self, g: Graph) -> None:
        self._g = weakref.ref(g)
        self._children: dict[str, tuple[Child, ...]] = {}
        self._supports: dict[str, tuple[Support, ...]] = {}

    def _graph(self) -> Graph:
        g = self._g()
        assert g is not None, "tables outlived their graph"
        return g

    def children(self, code: str) -> tuple[Child, ...]:
        """Every unit that ever hung from ``code``, by code."""
        found = self._children.get(code)
        if found is None:
            found = self._children[code] = self._children_of(code)
        return found

    def children_on(self, code: str, on: date) -> list[Unit]:
        """The units hanging from ``code`` on ``on`` (undated records), by code."""
        found = self._children.get(code)
        if found is None:
            found = self.children(code)
        out = []
        for child in found:
            for start, end in child.spans:
                if start <= on < end:
                    out.append(child.unit)
                    break
        return out

    def supports(self, code: str) -> tuple[Support, ...]:
        """Every assignment ever made to ``code``, with its cadre."""
        found = self._supports.get(code)
        if found is None:
            found = self._supports[code] = self._supports_of(code)
        return found

    def covered(self, rule: Rule, unit: Unit, on: date, without: frozenset[str]) -> bool:
        """Whether a cadre active on ``on`` holds an assignment to ``unit`` in force that day
        that matches ``rule`` (the cadres in ``without`` left out, and the assignments it says
        do not count: ``memory_questions.Leaving``). The cheap tests come first: this runs once
        for every unit of a coverage pass."""
        if unit.level != rule.unit_level:
            return False
        found = self._supports.get(unit.code)
        if found is None:
            found = self.supports(unit.code)
        role = rule.role
        for support in found:
            if support.assignment.role != role or not support.since <= on < support.until:
                continue
            cadre = support.cadre
            if cadre.id in without or not cadre.active_on(on):
                continue
            absent: frozenset[str] = getattr(without, "absent", _NOBODY)
            if absent and support.assignment.id in absent:
                continue
            if rule.admits(cadre):
                return True
        return False

    def _children_of(self, code: str) -> tuple[Child, ...]:
        g = self._graph()
        if code not in g:
            return ()
        found: list[Child] = []
        for node in g.pred[code]:
            if not isinstance(node, str):
                continue
            unit: Unit | None = g.nodes[node].get("unit")
            if unit is None:
                continue
            spans = tuple(
                (v.valid_from or _FIRST, v.valid_to or _LAST)
                for v in unit.versions()
                if v.parent == code
            )
            if spans:
                found.append(Child(unit, spans))
        found.sort(key=lambda child: child.unit.code)
        return tuple(found)

    def _supports_of(self, code: str) -> tuple[Support, ...]:
        g = self._graph()
        if code not in g:
            return ()
        found: list[Support] = []
        for node, edges in g.pred[code].items():
            if isinstance(node, str):
                continue
            cadre: Cadre = g.nodes[node]["cadre"]
            for data in edges.values():
                a: Assignment | None = data.get("a")
                if a is not None:
                    found.append(Support(cadre, a, a.since, a.until or _LAST))
        return tuple(found)


_KEPT: weakref.WeakKeyDictionary[Any, Tables] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def tables(g: Graph) -> Tables:
    """The tables of ``g``, made the first time they are asked for. Two threads filling in the
    same unit at once both write the same tuple: the tables need no lock of their own."""
    found = _KEPT.get(g)
    if found is None:
        with _LOCK:
            found = _KEPT.get(g)
            if found is None:
                found = _KEPT[g] = Tables(g)
    return found
