"""Text rules shared by every part of namgraph.

Every text that enters the graph is normalised to Unicode NFC, so that a name typed on a
keyboard that produces decomposed characters (NFD) is the same name. Search folds diacritics
so that "Chau Thanh" finds "Châu Thành".

>>> import unicodedata
>>> nfc(unicodedata.normalize("NFD", "Bến Tre")) == "Bến Tre"
True
>>> fold("Huyện Châu Thành  ")
'huyen chau thanh'
>>> fold("Đồng Tháp")
'dong thap'
"""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache
from typing import Any

__all__ = ["field_text", "fold", "nfc"]

_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC with surrounding white space removed."""
    return unicodedata.normalize("NFC", text).strip()


@lru_cache(maxsize=262_144)
def fold(text: str) -> str:
    """Return a search key: lower case, no diacritics, single spaces."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def field_text(value: Any) -> str:
    """A value as a field of a file: nothing for None, ``true``/``false``, a date as ISO 8601,
    anything else as ``str()`` gives it.

    >>> [field_text(v) for v in (None, True, date(2025, 7, 1), 3)]
    ['', 'true', '2025-07-01', '3']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
