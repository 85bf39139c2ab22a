"""How much one input file may hold: rows, and for a workbook the bytes it unpacks to.

Uploads to the API get small caps, the command line (files an administrator chose) larger ones;
both are settable. A file past a cap is refused while it is read, before it is all in memory.

===============================  ======================================  ==================
variable                         meaning                                 default
===============================  ======================================  ==================
``NAM_UPLOAD_MAX_ROWS``          rows of an uploaded reshuffle file      200,000
``NAM_UPLOAD_MAX_UNPACKED``      bytes an uploaded workbook unpacks to   50 MiB
``NAM_LOAD_MAX_ROWS``            rows of a file given to ``nam``         2,000,000
``NAM_LOAD_MAX_UNPACKED``        bytes such a workbook unpacks to        1 GiB
===============================  ======================================  ==================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Caps"]

MIB = 1024 * 1024


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").replace("_", "").strip()
    return int(value) if value.isdigit() else default


@dataclass(frozen=True)
class Caps:
    rows: int = 2_000_000
    unpacked_bytes: int = 1024 * MIB
    #: Variables that set these caps, named in the problem that a cap was passed.
    rows_setting: str = "NAM_LOAD_MAX_ROWS"
    unpacked_setting: str = "NAM_LOAD_MAX_UNPACKED"

    @classmethod
    def for_command_line(cls, env: Mapping[str, str] | None = None) -> Caps:
        env = os.environ if env is None else env
        return cls(
            rows=_int(env, "NAM_LOAD_MAX_ROWS", cls.rows),
            unpacked_bytes=_int(env, "NAM_LOAD_MAX_UNPACKED", cls.unpacked_bytes),
        )

    @classmethod
    def for_uploads(cls, env: Mapping[str, str] | None = None) -> Caps:
        env = os.environ if env is None else env
        return cls(
            rows=_int(env, "NAM_UPLOAD_MAX_ROWS", 200_000),
            unpacked_bytes=_int(env, "NAM_UPLOAD_MAX_UNPACKED", 50 * MIB),
            rows_setting="NAM_UPLOAD_MAX_ROWS",
            unpacked_setting="NAM_UPLOAD_MAX_UNPACKED",
        )
