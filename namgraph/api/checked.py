"""Query texts already parsed are not parsed again, and texts already found valid are not
validated again.

GraphQL validation walks the whole query with every rule of the specification (plus the
server's depth, alias and introspection rules): for a short query it is most of what the API
spends on a request. Those rules depend only on the query text and the schema, and one schema
is made per server with fixed settings, so a text that passed them once passes them again.
Dashboards send the same few texts over and over.

Parsing is a tenth of a small question's time; a text that parsed once (under the same token
limit, which is part of the key) gives the same document, kept for the last 512 texts.

Rules that depend on the request (the cost rule reads the request's variables, see
:mod:`namgraph.api.limits`) carry ``per_request = True`` and run on every request. Such a rule
looks at operation definitions only (``enter_operation_definition``), so for a known text it is
called on each operation directly, without walking the whole document with the schema's type
information (which cost a tenth of a small question). Only texts that passed are remembered,
at most ``size`` of them (least recently used go first), under the language of the request as
well, so no message is ever given in another language; a text that failed is validated in full
again each time.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    ValidationContext,
    validate,
)
from strawberry.extensions import ParserCache, SchemaExtension

from graph.i18n import language

__all__ = ["KnownParsed", "KnownValid"]


class KnownParsed(ParserCache):
    """Strawberry's parser cache, except that a text that does not parse is left to strawberry
    to parse again: its error then reaches the answer as any syntax error does (with its code),
    where the cache's own would have escaped the request."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            # a syntax error, too many tokens, too deep: parsed again, and refused with its
            # code, by strawberry
            with contextlib.suppress(Exception):
                context.graphql_document = self.cached_parse_document(
                    context.query, **context.parse_options
                )
        yield


class _Known:
    """The texts that passed, shared by the requests of one schema (thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._texts: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: tuple[str, str]) -> bool:
        with self._lock:
            if key not in self._texts:
                return False
            self._texts.move_to_end(key)
            return True

    def add(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._texts[key] = None
            self._texts.move_to_end(key)
            while len(self._texts) > self.size:
                self._texts.popitem(last=False)


class KnownValid(SchemaExtension):
    """Skip the fixed validation rules for a text that passed them before on this schema."""

    def __init__(self, known: _Known) -> None:
        self.known = known

    @classmethod
    def factory(cls, size: int) -> Callable[[], KnownValid]:
        """One extension per request, all sharing one memory of valid texts."""
        known = _Known(size)
        return lambda: cls(known)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        text, document = context.query, context.graphql_document
        key = (text, language()) if text is not None and self.known.size > 0 else None
        fixed = context.pre_execution_errors is None
        if key is not None and document is not None and fixed and key in self.known:
            varying = [r for r in context.validation_rules if getattr(r, "per_request", False)]
            context.pre_execution_errors = per_request(context.schema._schema, document, varying)
            key = None  # known already
        yield
        if key is not None and fixed and context.pre_execution_errors == []:
            self.known.add(key)


def per_request(
    schema: GraphQLSchema, document: DocumentNode, rules: Sequence[type[ASTValidationRule]]
) -> list[GraphQLError]:
    """The errors of the per-request rules on a known-valid document: a rule that looks at
    operation definitions only is shown each of them; any other is run by graphql's own
    validation, which walks the whole document."""
    if not all(_operations_only(rule) for rule in rules):
        return validate(schema, document, rules)
    errors: list[GraphQLError] = []
    context = ValidationContext(schema, document, TypeInfo(schema), errors.append)
    for rule in rules:
        visitor: Any = rule(context)
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                visitor.enter_operation_definition(definition)
    return errors


def _operations_only(rule: type[ASTValidationRule]) -> bool:
    handlers = {name for name in dir(rule) if name.startswith(("enter", "leave"))}
    return handlers == {"enter_operation_definition"}
