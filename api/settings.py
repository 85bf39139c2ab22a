"""API settings from the environment, with the limits that protect the store."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Settings"]


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class Settings:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_cost: int = 250_000
    max_page: int = 500
    default_page: int = 100
    introspection: bool = True
    max_upload_bytes: int = 8 * 1024 * 1024

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            max_depth=_int("NAM_MAX_DEPTH", cls.max_depth),
            max_aliases=_int("NAM_MAX_ALIASES", cls.max_aliases),
            max_tokens=_int("NAM_MAX_TOKENS", cls.max_tokens),
            max_cost=_int("NAM_MAX_COST", cls.max_cost),
            max_page=_int("NAM_MAX_PAGE", cls.max_page),
            default_page=_int("NAM_DEFAULT_PAGE", cls.default_page),
            max_upload_bytes=_int("NAM_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            introspection=os.environ.get("NAM_INTROSPECTION", "on").lower()
            not in ("off", "0", "false"),
        )
