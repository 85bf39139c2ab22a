"""The per-request rules of a known-valid text (namgraph.api.checked.per_request) give exactly
the errors graphql's own validation gives, whether they look at operations only (shown each
operation directly) or at more (validated by walking the document)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, ValidationRule, parse, validate

from namgraph.api.checked import per_request
from namgraph.api.limits import cost_rule
from namgraph.api.schema import make_schema

QUERY = (
    'query($n: Int) { a: search(text: "x", first: $n) { __typename } ...F } '
    'fragment F on Query { b: search(text: "y", first: $n) { __typename } }'
)


class EveryField(ValidationRule):
    """A per-request rule that looks at every field: validated the long way."""

    per_request = True

    def enter_field(self, node: Any, *_args: Any) -> None:
        if node.name.value == "search":
            self.report_error(GraphQLError(f"search as {node.alias.value}", node))


def messages(errors: list[GraphQLError]) -> list[str]:
    return [error.message for error in errors]


def test_per_request_rules_give_what_validation_gives() -> None:
    schema = make_schema()._schema
    document = parse(QUERY)
    for n, refused in ((5, False), (10**6, True)):
        rules = [cost_rule(1000, 100, {"n": n})]
        ours, theirs = per_request(schema, document, rules), validate(schema, document, rules)
        assert messages(ours) == messages(theirs)
        assert bool(ours) is refused
    rules = [EveryField]
    assert messages(per_request(schema, document, rules)) == ["search as a", "search as b"]
    assert messages(validate(schema, document, rules)) == ["search as a", "search as b"]
    assert per_request(schema, document, []) == []
