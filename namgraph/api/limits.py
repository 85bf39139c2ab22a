"""Refuse a query that would cost too much before it runs.

The cost of a query is estimated from the schema: every field costs 1, and the selections
under a list field count once per item the list may return (its ``first`` argument, written in
the query or given as a variable, or the configured page size). A connection's ``first``
(``gaps(first: 100) { edges { ... } }``) sizes its ``edges``. Nested lists multiply; the sums
stop growing just past the limit, so no query, however nested, makes a number too large to
report. A query over the limit is refused with the code ``QUERY_TOO_COMPLEX`` and never reaches
the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from graph.i18n import _

__all__ = ["CostLimit", "cost_rule"]

#: Fields whose list is a page of their parent connection: sized by the connection's ``first``.
PAGE_FIELDS = ("edges", "nodes")

#: Lists whose length is bounded by the policy or by nature rather than by a page size
#: (``children``: the most units directly below one unit, e.g. communes of a district).
SMALL_LISTS = {
    "children": 40,
    "levels": 8,
    "ancestors": 8,
    "chain": 8,
    "supporters": 4,
    "titles": 4,
    "breaks": 20,
    "direct": 20,
    "candidates": 5,
    "cadres": 20,
    "preview": 4,  # one scope per plan, or one per province a plan touches
    "newlyBrokenBelow": 8,
    "statuses": 8,
}


def _unwrap(kind: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        if isinstance(kind, GraphQLList):
            is_list = True
        kind = kind.of_type
    return kind, is_list


@dataclass(frozen=True)
class _Estimate:
    context: ValidationContext
    default_page: int
    ceiling: int  # the limit plus one: no sum goes past it
    variables: Mapping[str, object]

    def first(self, node: FieldNode) -> int | None:
        """The ``first`` argument of ``node``, written out or from a variable."""
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return given
        return None


def cost_rule(
    max_cost: int, default_page: int, variables: Mapping[str, object] | None = None
) -> type[ValidationRule]:
    class CostRule(ValidationRule):
        per_request = True  # reads the request's variables (namgraph.api.checked)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            schema = self.context.schema
            root = {
                "query": schema.query_type,
                "mutation": schema.mutation_type,
                "subscription": schema.subscription_type,
            }[node.operation.value]
            if root is None:
                return
            given = dict(_defaults(node))
            given.update(variables or {})
            estimate = _Estimate(self.context, default_page, max_cost + 1, given)
            cost = _selection_cost(estimate, root, node.selection_set, set(), None)
            if cost > max_cost:
                said = (
                    _("more than {n}").format(n=max_cost) if cost >= estimate.ceiling else str(cost)
                )
                self.report_error(
                    GraphQLError(
                        _(
                            "this query could cost {cost} field reads, more than the limit of "
                            "{limit}; ask for fewer nested lists or smaller pages (first:)"
                        ).format(cost=said, limit=max_cost),
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": max_cost},
                    )
                )

    return CostRule


class CostLimit(SchemaExtension):
    """The cost rule of one operation, which knows the operation's variables."""

    def __init__(self, max_cost: int, default_page: int) -> None:
        self.max_cost = max_cost
        self.default_page = default_page

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        variables = context.variables if isinstance(context.variables, dict) else {}
        rule = cost_rule(self.max_cost, self.default_page, variables)
        context.validation_rules = (*context.validation_rules, rule)
        yield


def _defaults(node: OperationDefinitionNode) -> Iterator[tuple[str, object]]:
    for definition in node.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            yield definition.variable.name.value, int(definition.default_value.value)


def _selection_cost(
    estimate: _Estimate,
    parent: Any,
    selection_set: SelectionSetNode | None,
    seen: set[str],
    page: int | None,
) -> int:
    if selection_set is None:
        return 0
    context = estimate.context
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(estimate, parent, selection, seen, page)
        elif isinstance(selection, InlineFragmentNode):
            target = parent
            if selection.type_condition is not None:
                target = context.schema.get_type(selection.type_condition.name.value) or parent
            total += _selection_cost(estimate, target, selection.selection_set, seen, page)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is None or name in seen:
                continue
            target = context.schema.get_type(fragment.type_condition.name.value) or parent
            total += _selection_cost(estimate, target, fragment.selection_set, seen | {name}, page)
        total = min(total, estimate.ceiling)
    return total


def _field_cost(
    estimate: _Estimate, parent: Any, node: FieldNode, seen: set[str], page: int | None
) -> int:
    name = node.name.value
    if isinstance(parent, GraphQLUnionType):
        types = list(parent.types)
    elif isinstance(parent, GraphQLObjectType):
        types = [parent]
    else:
        return 1
    field = next((t.fields[name] for t in types if name in t.fields), None)
    if field is None:
        return 1
    inner, is_list = _unwrap(field.type)
    first = estimate.first(node)
    if not is_list:
        # a connection: its ``first`` sizes the page of edges below it
        below = _selection_cost(estimate, inner, node.selection_set, seen, first)
        return min(1 + below, estimate.ceiling)
    below = _selection_cost(estimate, inner, node.selection_set, seen, None)
    size = SMALL_LISTS.get(name, estimate.default_page)
    if page is not None and name in PAGE_FIELDS:
        size = page
    if first is not None:
        size = first
    return min(1 + max(size, 1) * below, estimate.ceiling)
