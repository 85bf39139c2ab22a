"""The bench's reference server (bench/peer.py) is made from the Neo4j store's own Cypher: a
change to that Cypher that the reference cannot follow fails here, not in a bench run."""

from __future__ import annotations

import pytest

from bench.peer import _peer, type_defs


def test_the_reference_type_definitions_are_made_from_the_store_s_cypher() -> None:
    text = type_defs()
    for field in ("coverage(asOf: Date)", "chain(unit: ID!", "supporters(asOf: Date)"):
        assert field in text
    assert "$on" not in text  # every date is the field's own asOf argument


def test_a_parameter_the_reference_cannot_give_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\$nosuch"):
        _peer("MATCH (u) WHERE u.code = $nosuch RETURN u")
