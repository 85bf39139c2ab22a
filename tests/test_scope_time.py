"""Scope across time, on both stores: a token for a unit that ended sees its subtree up to the
end and nothing after; a token for a new unit sees, before the merge date, what the merges put
into it; every question is scoped on its own date.

The graph is Bến Tre (83) of 2023, the national list of 2025-10-18 from 1 July 2025 and an
illustrative merge file (83 and its districts into Vĩnh Long, 86; its ended communes into
communes of 86). The oracle works out, on the whole graph in memory and by the parents of each
day, which units a scope holds on that day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from graph.dates import today
from graph.stores.memory import MemoryStore
from graph.stores.port import GraphStore, NotFound
from namgraph.api.auth import Keyring, Role
from namgraph.api.settings import Settings
from tests.access_world import codes_in, strings
from tests.conftest import ON, REFORM
from tests.test_api import Server

BEFORE = REFORM - timedelta(days=1)
DAYS = (ON, BEFORE, REFORM, today())
ENDED, NEW, ELSEWHERE = "83", "86", "79"  # Bến Tre, Vĩnh Long, Hồ Chí Minh City


class Oracle:
    """Which units lie in a scope on a day, from the parents of that day on the whole graph."""

    def __init__(self, data: Path) -> None:
        self.store = MemoryStore.open(data)
        self.codes = sorted(u.code for u in self.store.subtree())

    @cache  # noqa: B019 - one oracle per session
    def chain(self, code: str, day: date) -> tuple[str, ...]:
        unit = self.store.unit(code)
        if unit is None or not unit.exists_on(day):
            return ()
        return (code, *(a.code for a in self.store.ancestors(code, day)))

    @cache  # noqa: B019
    def holds(self, root: str, code: str, day: date) -> bool:
        for link in self.chain(code, day):
            if link == root:
                return True
            unit = self.store.unit(link)
            assert unit is not None
            if any(s.on > day and self.holds(root, s.code, s.on) for s in unit.successors):
                return True  # a merge later put this unit into the scope
        return False

    def on(self, root: str, day: date) -> set[str]:
        return {code for code in self.codes if self.holds(root, code, day)}

    def ever(self, root: str) -> set[str]:
        return set().union(*(self.on(root, day) for day in DAYS))


@pytest.fixture(scope="session")
def oracle(merged_dir: Path) -> Oracle:
    return Oracle(merged_dir)


def group_of(oracle: Oracle) -> str:
    """A household group of Bến Tre that hangs from a commune of 86 after the reform."""
    return min(
        code
        for code in oracle.on(ENDED, BEFORE)
        if (u := oracle.store.unit(code)) is not None
        and u.level == "household_group"
        and oracle.holds(NEW, code, REFORM)
    )


@pytest.mark.parametrize("root", [ENDED, NEW, ELSEWHERE])
def test_a_scoped_view_holds_each_unit_on_its_days_in_the_scope(
    merged: GraphStore, oracle: Oracle, root: str
) -> None:
    view = merged.scoped(root)
    seen = view.units(oracle.codes)
    for day in DAYS:
        expected = oracle.on(root, day)
        assert {c for c, u in seen.items() if u.exists_on(day)} == expected, day
    assert set(seen) == oracle.ever(root) | {root}
    if root == ENDED:  # nothing after the end: not a unit, not an assignment
        assert oracle.on(ENDED, REFORM) == set() and all(u.ended for u in seen.values())
        assignments = [a for group in view.assignments_at(list(seen)).values() for a in group]
        assert assignments and all(a.since < REFORM for a in assignments)
    if root == NEW:  # Bến Tre before the merge date is in the new province's scope
        assert oracle.on(ENDED, BEFORE) <= set(seen)
    if root == ELSEWHERE:
        assert not set(seen) & oracle.ever(ENDED)


def test_questions_are_scoped_on_their_own_date(merged: GraphStore, oracle: Oracle) -> None:
    group = group_of(oracle)
    whole = merged
    ended, new, elsewhere = (merged.scoped(code) for code in (ENDED, NEW, ELSEWHERE))
    # before the merge, the ended province's token and the new province's see the same as all
    for view in (ended, new):
        assert view.coverage(ENDED, BEFORE) == whole.coverage(ENDED, BEFORE)
        assert [link.unit.code for link in view.chain(group, BEFORE)] == [
            link.unit.code for link in whole.chain(group, BEFORE)
        ]
    # after it, the group is no longer the ended province's
    with pytest.raises(NotFound):
        ended.chain(group, REFORM)
    with pytest.raises(NotFound):
        ended.coverage(group, REFORM)
    assert [link.unit.code for link in new.chain(group, REFORM)] == [
        link.unit.code for link in whole.chain(group, REFORM)
    ]
    # a province the merges did not touch sees nothing of Bến Tre on any day
    for day in (BEFORE, REFORM):
        with pytest.raises(NotFound):
            elsewhere.coverage(group, day)
    # a cadre's reach on a date counts only what the scope holds that day
    cadre = min(a.cadre for a in whole.assignments(unit=group))
    mine, all_of = ended.reach(cadre, BEFORE), whole.reach(cadre, BEFORE)
    assert [u.code for u in mine.direct] == [u.code for u in all_of.direct]  # shown cut to
    assert (mine.levels, mine.households) == (all_of.levels, all_of.households)  # its days
    after = ended.reach(cadre, REFORM)
    assert whole.reach(cadre, REFORM).direct and not after.direct


# --- through the API, with real tokens --------------------------------------------------------


@pytest.fixture
def tokens_api(merged: GraphStore, tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    keyring = Keyring.open(tmp_path / "auth.json")
    expires = datetime.now(UTC) + timedelta(days=1)
    tokens = {
        code: keyring.issue(Role.ANALYST, code, expires, f"test {code}")[0]
        for code in (ENDED, NEW, ELSEWHERE)
    }
    settings = Settings(auth_file=tmp_path / "auth.json", audit_log=tmp_path / "audit.log")
    with Server(merged, settings) as server:
        yield server, tokens


def ask(server: Server, token: str, query: str) -> dict[str, Any]:
    response = server.client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


COVERAGE = 'query {{ coverage(unit: "{code}", asOf: "{day}") {{ households householdsReached }} }}'
UNIT = """query {{ unit(code: "{code}"{day}) {{ code name validFrom validTo parent {{ code }}
  ancestors {{ code }} versions {{ name validFrom validTo parent {{ code }} }}
  successors {{ code on unit {{ code }} }} predecessors {{ code }} }} }}"""


def test_tokens_across_the_merge_date(
    tokens_api: tuple[Server, dict[str, str]], merged: GraphStore, oracle: Oracle
) -> None:
    server, tokens = tokens_api
    group = group_of(oracle)
    whole = merged.coverage(ENDED, BEFORE)
    # the new province's token sees Bến Tre the day before the merge
    seen = ask(server, tokens[NEW], COVERAGE.format(code=ENDED, day=BEFORE))["data"]["coverage"]
    assert (seen["households"], seen["householdsReached"]) == (
        whole.households,
        whole.households_reached,
    )
    # another province's token: exactly like a code that does not exist
    for day in (BEFORE, REFORM):
        out = ask(server, tokens[ELSEWHERE], COVERAGE.format(code=group, day=day))
        missing = ask(server, tokens[ELSEWHERE], COVERAGE.format(code="9" * len(group), day=day))
        assert json.dumps(out).replace(group, "<K>") == json.dumps(missing).replace(
            "9" * len(group), "<K>"
        )
    # the ended province's token: the group is gone from its scope on the merge date
    out = ask(server, tokens[ENDED], COVERAGE.format(code=group, day=REFORM))
    assert out["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert f"outside your scope ({ENDED}) from {REFORM}" in out["errors"][0]["message"]
    # and nothing it is shown, on any day, names a unit that was never in its scope
    hidden = set(oracle.codes) - oracle.ever(ENDED) - {ENDED}
    commune = [a.code for a in merged.ancestors(group, REFORM)][-2]  # of Bến Tre, now in 86
    assert NEW in hidden and commune not in hidden
    queries = [UNIT.format(code=group, day=""), UNIT.format(code=group, day=f', asOf: "{REFORM}"')]
    queries += [UNIT.format(code=code, day="") for code in (commune, ENDED)]
    queries += [
        f'query {{ chain(unit: "{group}", asOf: "{day}") {{ unit {{ code }} }} }}'
        for day in (BEFORE, REFORM)
    ]
    stranger = next(u for u in merged.children(NEW, REFORM) if u.code in hidden)
    queries.append(f'query {{ search(text: "{stranger.name}", first: 200) {{ __typename }} }}')
    answers = [(query, ask(server, tokens[ENDED], query)) for query in queries]
    for query, body in answers:  # each asked something real: an answer, or a coded refusal
        codes = {e["extensions"]["code"] for e in body.get("errors", [])}
        assert body.get("data") or codes == {"NOT_FOUND"}, (query, body)
    leaks = [
        (query, text)
        for query, body in answers
        for text in strings(body)
        if codes_in(text) & hidden
    ]
    assert not leaks, leaks[:3]
    shown = ask(server, tokens[ENDED], UNIT.format(code=group, day=""))["data"]["unit"]
    assert shown["validTo"] == REFORM.isoformat()  # to this token, it left on the merge date
