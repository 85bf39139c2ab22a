"""Errors that dashboards can act on: each carries a code and says what to do."""

from __future__ import annotations

from enum import StrEnum

from graphql import GraphQLError

from graph.i18n import _

__all__ = ["Code", "bad_input", "forbidden", "not_found", "store_unavailable"]


class Code(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    BAD_INPUT = "BAD_INPUT"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
    STALE_PLAN = "STALE_PLAN"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    TOO_LARGE = "TOO_LARGE"
    TIMEOUT = "TIMEOUT"
    BUSY = "BUSY"
    INTERNAL = "INTERNAL"


def error(code: Code, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": str(code)})


def not_found(kind: str, key: str) -> GraphQLError:
    if kind == "unit":
        text = _("no unit {key}; search(text:) finds codes by name")
    elif kind == "cadre":
        text = _("no cadre {key}; search(text:) finds cadres by name")
    elif kind == "plan":
        text = _("no plan {key}; planReshuffle(file:) makes one")
    else:
        text = _("no {kind} {key}; check the id")
    return error(Code.NOT_FOUND, text.format(kind=kind, key=repr(key)))


def bad_input(message: str) -> GraphQLError:
    return error(Code.BAD_INPUT, message)


def forbidden(message: str) -> GraphQLError:
    return error(Code.FORBIDDEN, message)


def store_unavailable(detail: str) -> GraphQLError:
    return error(
        Code.STORE_UNAVAILABLE,
        _("the graph store cannot answer now ({detail}); retry shortly").format(detail=detail),
    )
