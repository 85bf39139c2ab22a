"""What a caller's role allows, checked in the resolvers, with the audit trail of refusals.

What a caller's *scope* allows is not checked here: the store they are given is scoped
(:mod:`graph.scope`), so whatever lies outside it is simply not there."""

from __future__ import annotations

from strawberry.types import Info

from graph.i18n import _
from namgraph.api.auth import Principal
from namgraph.api.context import Context
from namgraph.api.errors import forbidden

__all__ = ["made_by", "require_writer", "unseen"]

Ctx = Info[Context, None]


def require_writer(info: Ctx, field: str) -> None:
    """Refuse a write (before anything is read or written) unless the role may write."""
    principal = info.context.principal
    if principal.can_write:
        return
    message = _(
        "a {role} token may only read; {field} needs a loader or province_admin token"
    ).format(role=principal.role, field=field)
    info.context.audit("refused", principal, "FORBIDDEN", field=field, reason=message)
    raise forbidden(message)


def made_by(principal: Principal) -> str:
    """Who made or applied a plan, as its record keeps it."""
    return f"{principal.subject} (token {principal.token_id}, {principal.role})"


async def unseen(info: Ctx, kind: str, key: str) -> None:
    """Put on the audit trail a code or id that the caller asked for and their scope hides.

    The caller's answer is the one for a code that does not exist; only the trail tells the
    two apart, by asking the whole store."""
    context = info.context
    if context.principal.scope is None or context.base is context.store:
        return
    base = context.base
    lookups = {"unit": base.unit, "cadre": base.cadre, "plan": base.plan_document}
    lookup = lookups.get(kind)
    if lookup is None or await context.call(lookup, key) is None:
        return
    context.audit(
        "refused", context.principal, "OUT_OF_SCOPE", field=info.field_name, kind=kind, key=key
    )
