"""Scoped validation is the scoped subset of whole-graph validation, never more, and names
nothing the scope hides: a property over scopes drawn at random, on both stores."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.model import Assignment, Violation
from graph.scope import scope_problem
from graph.stores.port import ChangeSet, GraphStore
from graph.validate import HIDDEN, validate_store
from tests.access_world import Seen, codes_in
from tests.conftest import ON, TwoProvinces


def key(v: Violation) -> tuple[str, str, str]:
    return (v.rule, str(v.severity), v.subject)


def visible(seen: Seen, store: GraphStore, subject: str) -> bool:
    kind, _, k = subject.partition(":")
    if kind == "unit":
        return k in seen.units
    if kind == "cadre":
        return k in seen.cadres
    a = store.assignment(k)
    return a is not None and a.unit in seen.units


def with_findings(store: GraphStore) -> GraphStore:
    """Wrong data across scopes: a province cadre carrying communes of several districts
    (max-per-cadre), and a district cadre supporting hamlets of another district
    (jurisdiction, whose message names the cadre's home district)."""
    communes = [u.code for d in ("829", "831", "832") for u in store.children(d, ON)[:2]]
    hamlets = [u.code for u in store.children(communes[0], ON)[:2]]  # in district 829
    added = [
        Assignment(f"extra-{i}", "83-0001", code, "support", date(2023, 1, 1))
        for i, code in enumerate(communes)
    ]
    added += [
        Assignment(f"stray-{i}", "831-0001", code, "support", date(2023, 1, 1))
        for i, code in enumerate(hamlets)
    ]
    store.apply(ChangeSet(assignments=added))
    return store


def test_scoped_validation_is_the_scoped_subset_of_the_whole(two: TwoProvinces) -> None:
    store = with_findings(two.store())
    whole = validate_store(store, ON)
    assert {"jurisdiction", "max-per-cadre"} <= {v.rule for v in whole}
    roots = sorted(
        u.code
        for u in store.subtree()
        if u.level in ("province", "district", "commune")
        and scope_problem(store.policy_on(ON), u, u.code) is None
    )
    # a finding the whole graph has, in a scope: a province cadre carrying too many units
    assert roots

    @settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.sampled_from(roots))
    def check(root: str) -> None:
        seen = Seen.of(store, root)
        hidden = {u.code for u in store.subtree()} - seen.units
        scoped = validate_store(store.scoped(root), ON)
        expected = {key(v) for v in whole if visible(seen, store, v.subject)}
        assert {key(v) for v in scoped} == expected
        for v in scoped:
            assert not codes_in(v.message) & hidden, (root, v.message)

    check()


def test_a_finding_names_what_the_scope_hides_as_hidden(two: TwoProvinces) -> None:
    store = with_findings(two.store())
    found = validate_store(store.scoped("829"), ON)
    stray = [v for v in found if v.rule == "jurisdiction" and "stray-" in v.subject]
    assert len(stray) == 2
    # the cadre works in 831, which the officer of 829 cannot see
    assert all(HIDDEN in v.message and "831" not in codes_in(v.message) for v in stray)
    whole = [v for v in validate_store(store, ON) if "stray-" in v.subject]
    assert all("831" in codes_in(v.message) for v in whole)
