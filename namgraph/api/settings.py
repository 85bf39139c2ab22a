"""API settings from the environment, with the limits that protect the store.

==========================  ===================================================  ================
variable                    meaning                                              default
==========================  ===================================================  ================
``NAM_DEMO``                ``on``: demo mode, anonymous callers see everything  off
``NAM_AUTH_FILE``           the keyring of issued tokens and API keys            data/auth.json
``NAM_AUDIT_LOG``           also append audit lines to this file                 (log only)
``NAM_RATE_PER_MINUTE``     requests per token per minute                        600
``NAM_QUERY_TIMEOUT``       seconds a store question may take                    20
``NAM_MAX_DEPTH``           query depth                                          12
``NAM_MAX_ALIASES``         aliases per query                                    30
``NAM_MAX_TOKENS``          tokens per query document                            4000
``NAM_MAX_COST``            estimated field reads per query                      250000
``NAM_MAX_PAGE``            largest ``first:``                                   500
``NAM_DEFAULT_PAGE``        ``first:`` when not given                            100
``NAM_MAX_UPLOAD_BYTES``    largest request body (reshuffle uploads)             8 MiB
``NAM_UPLOAD_MAX_ROWS``     rows of an uploaded reshuffle file                   200,000
``NAM_UPLOAD_MAX_UNPACKED`` bytes an uploaded workbook may unpack to             50 MiB
``NAM_INTROSPECTION``       ``off`` turns schema introspection off               on
``NAM_ALLOWED_ORIGINS``     origins a browser may call from (comma-separated)    the server's
``NAM_TRUSTED_PROXIES``     reverse proxies whose ``X-Forwarded-For`` names the  none
                            client (addresses or networks, comma-separated)
``NAM_ANSWER_CACHE``        answers kept until the next write (0: none; see      512
                            ``namgraph.api.kept``)
``NAM_TZ``                  the time zone of "today", the date of a request      Asia/Ho_Chi_Minh
                            that names none (``query @asOf(date: ...)``)
==========================  ===================================================  ================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from graph.dates import zone
from loaders.caps import Caps

__all__ = ["Settings"]

#: The caps of an upload when the environment sets none.
UPLOAD_CAPS = Caps.for_uploads({})


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _on(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if not value:
        return default
    return value.lower() not in ("off", "0", "false", "no")


@dataclass(frozen=True)
class Settings:
    demo: bool = False
    auth_file: Path | None = None
    audit_log: Path | None = None
    rate_per_minute: int = 600
    query_timeout: float = 20.0
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_cost: int = 250_000
    max_page: int = 500
    default_page: int = 100
    introspection: bool = True
    max_upload_bytes: int = 8 * 1024 * 1024
    upload_caps: Caps = UPLOAD_CAPS
    #: Origins a browser may send requests from; empty: only the server's own.
    allowed_origins: tuple[str, ...] = ()
    #: Reverse proxies (addresses or networks) whose X-Forwarded-For header names the client;
    #: from anyone else the header is ignored. Anonymous callers are rate limited per client.
    trusted_proxies: tuple[str, ...] = ()
    #: Heavy questions running at once (see namgraph.api.lanes), and how long one waits for its turn.
    heavy_lanes: int = 1
    heavy_wait: float = 10.0
    #: Answers kept until the graph changes (namgraph.api.kept); 0 keeps none.
    answer_cache: int = 512

    @classmethod
    def from_env(cls, data_dir: Path | None = None, demo: bool | None = None) -> Settings:
        zone()  # a NAM_TZ that is not a time zone stops the server before it answers anything
        auth = os.environ.get("NAM_AUTH_FILE")
        audit = os.environ.get("NAM_AUDIT_LOG")
        return cls(
            demo=_on("NAM_DEMO", cls.demo) if demo is None else demo,
            auth_file=Path(auth) if auth else (data_dir / "auth.json" if data_dir else None),
            audit_log=Path(audit) if audit else None,
            rate_per_minute=_int("NAM_RATE_PER_MINUTE", cls.rate_per_minute),
            query_timeout=float(os.environ.get("NAM_QUERY_TIMEOUT") or cls.query_timeout),
            max_depth=_int("NAM_MAX_DEPTH", cls.max_depth),
            max_aliases=_int("NAM_MAX_ALIASES", cls.max_aliases),
            max_tokens=_int("NAM_MAX_TOKENS", cls.max_tokens),
            max_cost=_int("NAM_MAX_COST", cls.max_cost),
            max_page=_int("NAM_MAX_PAGE", cls.max_page),
            heavy_lanes=_int("NAM_HEAVY_LANES", cls.heavy_lanes),
            heavy_wait=float(os.environ.get("NAM_HEAVY_WAIT") or cls.heavy_wait),
            default_page=_int("NAM_DEFAULT_PAGE", cls.default_page),
            answer_cache=_int("NAM_ANSWER_CACHE", cls.answer_cache),
            max_upload_bytes=_int("NAM_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            introspection=_on("NAM_INTROSPECTION", cls.introspection),
            upload_caps=Caps.for_uploads(),
            allowed_origins=tuple(
                origin.strip().rstrip("/").lower()
                for origin in os.environ.get("NAM_ALLOWED_ORIGINS", "").split(",")
                if origin.strip()
            ),
            trusted_proxies=tuple(
                proxy.strip()
                for proxy in os.environ.get("NAM_TRUSTED_PROXIES", "").split(",")
                if proxy.strip()
            ),
        )
