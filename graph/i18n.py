"""The language the product speaks: gettext message catalogs, and numbers and dates written
the way the reader's language writes them.

Messages are written in English in the source (``_("...")``) and translated by the catalogs
in ``graph/locales/`` (domain ``namgraph``, compiled by Babel: ``make messages``). Vietnamese
is the default; English is ``NAM_LANG=en`` (or ``nam --lang en``, or an API request's
``Accept-Language``). The language is held per thread and per task (a context variable), so
two API requests in two languages do not mix.

Ids, numbers and dates in machine output (``--json``, GraphQL, CSV) are never translated or
formatted; these functions are for what people read.

>>> with use("vi"):
...     number(400419), percent(0.9912), day(date(2022, 8, 26))
('400.419', '99,1%', '26/8/2022')
>>> with use("en"):
...     number(400419), percent(0.9912), day(date(2022, 8, 26))
('400,419', '99.1%', '2022-08-26')
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

__all__ = [
    "DEFAULT",
    "DOMAIN",
    "LANGUAGES",
    "LOCALES",
    "N_",
    "_",
    "day",
    "from_accept_language",
    "known",
    "language",
    "ngettext",
    "number",
    "percent",
    "set_language",
    "use",
]

DOMAIN = "namgraph"
LOCALES = Path(__file__).parent / "locales"
#: The languages the product speaks; the first is the default.
LANGUAGES = ("vi", "en")
DEFAULT = LANGUAGES[0]

_current: ContextVar[str | None] = ContextVar("namgraph_language", default=None)


def known(lang: str | None) -> str | None:
    """``vi``, ``vi-VN``, ``vi_VN.UTF-8``, ``EN`` -> ``vi`` / ``en``; None for others."""
    if not lang:
        return None
    base = re.split(r"[-_.@]", lang.strip().lower(), maxsplit=1)[0]
    return base if base in LANGUAGES else None


def language() -> str:
    """The language of what is being written now: the one set for this thread or task, else
    ``NAM_LANG``, else Vietnamese."""
    return _current.get() or known(os.environ.get("NAM_LANG")) or DEFAULT


def set_language(lang: str) -> str:
    """Speak ``lang`` from now on in this thread or task; return the language chosen."""
    chosen = known(lang)
    if chosen is None:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    _current.set(chosen)
    return chosen


@contextmanager
def use(lang: str) -> Iterator[str]:
    """Speak ``lang`` inside the block."""
    chosen = known(lang)
    if chosen is None:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def from_accept_language(header: str | None) -> str:
    """The language an HTTP ``Accept-Language`` header asks for, by its q-values; when it is
    absent or names none we speak, the server's own (``NAM_LANG``, else Vietnamese).

    >>> from_accept_language("en-US,en;q=0.9,vi;q=0.8")
    'en'
    >>> from_accept_language("fr, vi;q=0.5")
    'vi'
    """
    best: tuple[float, str] | None = None
    for part in (header or "")[:1000].split(","):
        name, _sep, params = part.partition(";")
        lang = known(name)
        if lang is None:
            continue
        q = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                q = float(match.group(1))
            except ValueError:
                q = 0.0
        if q > 0 and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best else (known(os.environ.get("NAM_LANG")) or DEFAULT)


@cache
def _catalog(lang: str) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, LOCALES, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language."""
    return _catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, in the current language."""
    return _catalog(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it yet (module constants)."""
    return message


def _locale() -> str:
    return "vi" if language() == "vi" else "en"


def number(value: int | float) -> str:
    """An integer or decimal as the reader writes it: 400.419 in Vietnamese, 400,419 in
    English."""
    return format_decimal(value, locale=_locale())


def percent(ratio: float | None, digits: int = 1) -> str:
    """A ratio as a percentage with ``digits`` decimals (99,1% in Vietnamese); ``-`` when
    there is nothing to divide."""
    if ratio is None:
        return "-"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(ratio, pattern, locale=_locale())


def day(value: date | None) -> str:
    """A date as the reader writes it: 26/8/2022 in Vietnamese, ISO in English; ``-`` for
    none."""
    if value is None:
        return "-"
    if language() == "vi":
        return format_date(value, "d/M/yyyy", locale="vi")
    return value.isoformat()
