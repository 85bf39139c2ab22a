"""Refuse a query that would cost too much before it runs.

The cost of a query is estimated from the schema: every field costs 1, and the selections
under a list field count once per item the list may return (its ``first`` argument, or the
configured page size). Nested lists multiply. A query over the limit is refused with the code
``QUERY_TOO_COMPLEX`` and never reaches the store.
"""

from __future__ import annotations

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
)

__all__ = ["cost_rule"]

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


def cost_rule(max_cost: int, default_page: int) -> type[ValidationRule]:
    class CostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            schema = self.context.schema
            root = {
                "query": schema.query_type,
                "mutation": schema.mutation_type,
                "subscription": schema.subscription_type,
            }[node.operation.value]
            if root is None:
                return
            cost = _selection_cost(self.context, root, node.selection_set, default_page, set())
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"this query could cost {cost} field reads, more than the limit of "
                        f"{max_cost}; ask for fewer nested lists or smaller pages (first:)",
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": max_cost},
                    )
                )

    return CostRule


def _selection_cost(
    context: ValidationContext,
    parent: Any,
    selection_set: SelectionSetNode | None,
    default_page: int,
    seen: set[str],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(context, parent, selection, default_page, seen)
        elif isinstance(selection, InlineFragmentNode):
            target = parent
            if selection.type_condition is not None:
                target = context.schema.get_type(selection.type_condition.name.value) or parent
            total += _selection_cost(context, target, selection.selection_set, default_page, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is None or name in seen:
                continue
            target = context.schema.get_type(fragment.type_condition.name.value) or parent
            total += _selection_cost(
                context, target, fragment.selection_set, default_page, seen | {name}
            )
    return total


def _field_cost(
    context: ValidationContext, parent: Any, node: FieldNode, default_page: int, seen: set[str]
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
    below = _selection_cost(context, inner, node.selection_set, default_page, seen)
    if not is_list:
        return 1 + below
    size = SMALL_LISTS.get(name, default_page)
    for argument in node.arguments or ():
        if argument.name.value == "first" and isinstance(argument.value, IntValueNode):
            size = int(argument.value.value)
    return 1 + max(size, 1) * below
