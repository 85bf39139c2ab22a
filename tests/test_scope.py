"""Scoped store views, on both stores: inside its scope a view answers as the whole store does;
outside it, as if nothing were there; writes through it stay inside."""

from __future__ import annotations

from datetime import date

import pytest

from graph.model import Assignment, Cadre, Unit
from graph.scope import OutOfScope, scope_problem
from graph.stores.port import ChangeSet, GraphStore, NotFound
from tests.conftest import ON, TwoProvinces

DAY = date(2020, 1, 1)  # before the roster: plenty of gaps to compare


@pytest.fixture
def whole(two: TwoProvinces) -> GraphStore:
    return two.store()


def district_and_commune(store: GraphStore) -> tuple[str, str]:
    district = store.children("83", ON)[1].code
    return district, store.children(district, ON)[0].code


def test_inside_its_scope_a_view_answers_as_the_whole_store(whole: GraphStore) -> None:
    district, commune = district_and_commune(whole)
    for root in ("83", district, commune):
        view = whole.scoped(root)
        assert view.scope == root
        assert view.coverage(root, ON) == whole.coverage(root, ON)
        assert view.gaps(root, "household_group", DAY) == whole.gaps(root, "household_group", DAY)
        group = f"{commune}.01.01"
        whole_chain = whole.chain(group, ON)
        assert view.chain(group, ON) == whole_chain[: len(view.chain(group, ON))]
        assert view.chain(group, ON)[-1].unit.code == root  # the chain stops at the scope
        assert [u.code for u in view.subtree(root)] == [u.code for u in whole.subtree(root)]
        assert view.supporters([commune], ON) == whole.supporters([commune], ON)


def test_outside_its_scope_a_view_holds_nothing(whole: GraphStore) -> None:
    district, commune = district_and_commune(whole)
    view = whole.scoped(district)
    other = whole.children("83", ON)[0].code
    other_commune = whole.children(other, ON)[0].code
    assert view.unit("83") is None and view.unit(other_commune) is None
    assert view.units(["83", other, district]).keys() == {district}
    assert view.ancestors(commune) == [whole.unit(district)]
    assert view.children_of(["83", other], ON) == {}
    for ask in (
        lambda: view.coverage(other, ON),
        lambda: view.gaps(other, "commune", ON),
        lambda: view.chain(other_commune, ON),
        lambda: view.load(other, ON),
    ):
        with pytest.raises(NotFound):
            ask()
    outsiders = [c.id for c in whole.cadres_of([other])]
    assert outsiders and view.cadres(outsiders) == {}
    with pytest.raises(NotFound):
        view.reach(outsiders[0], ON)
    assert not any(view.assignments_of(outsiders).values())
    inside = {u.code for u in whole.subtree(district)}
    hits = view.search("Tổ 1", 500)
    assert hits and all(h.code in inside for h in hits if isinstance(h, Unit))
    seen = {c.id for c in whole.cadres_of(list(inside))}
    seen |= {a.cadre for group in whole.assignments_at(list(inside)).values() for a in group}
    assert all(h.id in seen for h in view.search("a", 500) if isinstance(h, Cadre))


def test_a_province_cadre_is_seen_only_through_what_they_do_in_the_scope(whole: GraphStore) -> None:
    district, commune = district_and_commune(whole)
    view = whole.scoped(district)
    (supporter,) = whole.supporters([commune], ON)[commune]
    cadre = supporter.cadre
    assert cadre.home_unit == "83"
    assert view.cadre(cadre.id) == cadre
    inside = {u.code for u in whole.subtree(district)}
    held = view.assignments(cadre=cadre.id)
    assert held and {a.unit for a in held} <= inside
    assert held == [a for a in whole.assignments(cadre=cadre.id) if a.unit in inside]
    reach = view.reach(cadre.id, ON)
    assert {u.code for u in reach.direct} <= inside


def test_assignments_with_their_units_are_the_two_asked_apart(whole: GraphStore) -> None:
    """One call for a cadre's assignments and their units (the API's cadre question), as the
    whole store and as a district's view see them."""
    district, commune = district_and_commune(whole)
    (supporter,) = whole.supporters([commune], ON)[commune]
    ids = [supporter.cadre.id, *(c.id for c in whole.cadres_of([district])), "nobody"]
    for store in (whole, whole.scoped(district)):
        found, units = store.assignments_and_units(ids)
        assert found == store.assignments_of(ids)
        codes = {a.unit for listed in found.values() for a in listed}
        assert len(codes) > 1 and dict(units) == dict(store.units(codes))
    inside = {u.code for u in whole.subtree(district)}
    outsiders = [c.id for c in whole.cadres_of([c.code for c in whole.children("83", ON)])]
    found, units = whole.scoped(district).assignments_and_units(outsiders)
    assert set(units) <= inside and all(a.unit in inside for v in found.values() for a in v)
    assert set(whole.assignments_and_units(outsiders)[1]) - inside  # the whole store's: more


def test_writes_through_a_view_stay_inside(whole: GraphStore) -> None:
    district, commune = district_and_commune(whole)
    other_commune = whole.children(whole.children("83", ON)[0].code, ON)[0].code
    view = whole.scoped(district)
    (supporter,) = whole.supporters([commune], ON)[commune]
    reaching = Assignment(
        "test-outside", supporter.cadre.id, other_commune, "support", date(2024, 1, 1)
    )
    with pytest.raises(OutOfScope, match="outside your scope"):
        view.apply(ChangeSet(assignments=[reaching]))
    assert whole.assignment("test-outside") is None
    inside = Assignment("test-inside", supporter.cadre.id, commune, "support", date(2024, 1, 1))
    view.apply(ChangeSet(assignments=[inside]))
    assert whole.assignment("test-inside") is not None


def test_a_scope_is_a_province_district_or_commune(whole: GraphStore) -> None:
    district, commune = district_and_commune(whole)
    for code in ("83", district, commune):
        assert scope_problem(whole.policy, whole.unit(code), code) is None
    hamlet = f"{commune}.01"
    problem = scope_problem(whole.policy, whole.unit(hamlet), hamlet)
    assert problem is not None and "province, district, commune" in problem
    assert scope_problem(whole.policy, None, "99999") == "no unit '99999' in the graph"
