"""The two stores give the same coverage, gaps and reach for questions drawn at random, and the
coverage of a dashboard's units asked together is that of each asked alone.

Each store answers with its own algorithm (networkx tables on one side, one Cypher statement
per question on the other), and each has been rewritten for speed; this is what keeps speed
from being bought with wrong answers. The graph is Bến Tre on both maps (``merged_dir``:
the three-tier list of 2023, then the two-tier map of 1 July 2025 with Bến Tre's hamlets
under Vĩnh Long's communes). A question draws a date from 2023 to 2026, a unit of any level
(alive on that date or not), and a set of cadres to leave out, as a what-if does."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from graph.answers import Coverage, Gap, Reach
from graph.stores.memory import MemoryStore
from graph.stores.port import GraphStore, NotFound, StoreError
from tests.conftest import Neo4jBenTre

FIRST = date(2023, 5, 1)
DAYS = (date(2026, 12, 31) - FIRST).days
QUESTIONS = 40


def _coverage(c: Coverage) -> object:
    return (c.unit.code, c.levels, c.households, c.households_reached)


def _gaps(gaps: list[Gap]) -> object:
    return [(g.unit.code, g.reason, g.broken_at) for g in gaps]


def _reach(r: Reach) -> object:
    return (
        r.cadre.id,
        r.status,
        sorted(u.code for u in r.direct),
        r.levels,
        r.households,
        _gaps(list(r.breaks)),
    )


def _answer(ask: object, *args: object) -> object:
    """The store's answer, or the kind of error it refused the question with."""
    try:
        return ask(*args)  # type: ignore[operator]
    except (NotFound, StoreError, ValueError) as exc:
        return ("refused", type(exc).__name__)


def test_coverage_gaps_and_reach_agree_between_the_stores(
    merged_dir: Path, neo4j_merged: Neo4jBenTre
) -> None:
    memory = MemoryStore.open(merged_dir)
    neo4j: GraphStore = neo4j_merged.checkout()
    units = sorted(
        {u.code: u for top in ("83", "86") for u in memory.subtree(top)}.values(),
        key=lambda u: u.code,
    )
    cadres = sorted({a.cadre for a in memory.assignments_to([u.code for u in units])})
    draw = random.Random(559)
    for n in range(QUESTIONS):
        on = FIRST + timedelta(days=draw.randrange(DAYS))
        alive = [u for u in units if u.exists_on(on)]
        # Mostly units of the day, now and then one that had ended or not yet begun; the
        # province, a district or a commune a third of the time (they have gaps of each level).
        pool = alive if draw.random() < 0.9 else units
        if n % 3 == 0:
            pool = [u for u in pool if u.level in ("province", "district", "commune")]
        root = draw.choice(pool)
        without = frozenset(draw.sample(cadres, draw.choice([0, 1, 5, 40])))
        cadre = draw.choice(cadres)
        case = f"question {n}: unit {root.code}, {on}, without {sorted(without)}"
        mine = _answer(memory.coverage, root.code, on, without)
        theirs = _answer(neo4j.coverage, root.code, on, without)
        assert _project(mine, _coverage) == _project(theirs, _coverage), case
        levels = [lvl.id for lvl in memory.policy_on(on).levels]
        below = levels[levels.index(root.level) :] if root.level in levels else levels
        for level in below:
            mine = _answer(memory.gaps, root.code, level, on, without)
            theirs = _answer(neo4j.gaps, root.code, level, on, without)
            assert _project(mine, _gaps) == _project(theirs, _gaps), f"{case}, {level}"
        mine = _answer(memory.reach, cadre, on)
        theirs = _answer(neo4j.reach, cadre, on)
        assert _project(mine, _reach) == _project(theirs, _reach), f"cadre {cadre}, {on}"
        # a dashboard's units: the root (alive that day or not: an ended parent's children
        # may still hang from it), its children, theirs
        nested, level = [root.code], [root.code]
        for _depth in range(2):
            found = memory.children_of(level, on)
            level = [u.code for code in level for u in found.get(code, [])]
            nested += level
        alone = {code: _coverage(memory.coverage_of([code], on)[code]) for code in nested}
        for store in (memory, neo4j):
            together = store.coverage_within(nested, on)
            assert {c: _coverage(v) for c, v in together.items()} == alone, case


def _project(answer: object, shape: object) -> object:
    if isinstance(answer, tuple) and answer[:1] == ("refused",):
        return answer
    return shape(answer)  # type: ignore[operator]
