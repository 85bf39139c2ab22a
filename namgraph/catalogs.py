"""The message catalogs: which messages the product has, and keeping the translations whole.

Every message is found in one of three places:

- the source of ``graph``, ``loaders`` and ``namgraph``, as ``_("...")``, ``N_("...")`` or
  ``ngettext("...", "...", n)`` (Babel's extractor);
- the help texts of the ``nam`` commands and options (click keeps them; walked here);
- click's own words ("Usage:", "Show this message and exit.", its errors).

``python -m namgraph.catalogs update`` (``make messages``) merges them into every language's
``.po`` file, keeping the translations, and compiles the ``.mo`` files the product reads.
``python -m namgraph.catalogs check`` lists what a catalog lacks; a test runs the same check.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from graph.i18n import DOMAIN, LANGUAGES, LOCALES

__all__ = ["check", "messages", "po_path", "update"]

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("graph", "loaders", "namgraph")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
#: Languages with a catalog: English is the source language.
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")

Key = str | tuple[str, str]

#: click's words that its extractor cannot see (they are called inside an f-string).
CLICK_HIDDEN = ("Usage:",)


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _extract(directory: Path, label: str) -> Iterable[tuple[Key, str]]:
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(directory), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            parts = tuple(m for m in message if m)
            key: Key = parts[0] if len(parts) == 1 else (parts[0], parts[1])
        else:
            key = message
        if key:
            yield key, f"{label}/{filename}:{lineno}"


def _help_texts() -> Iterable[tuple[Key, str]]:
    from namgraph.cli.commands import ORIGINAL_HELP, walk
    from namgraph.cli.main import main

    for path, obj in walk(main):
        for field, text in ORIGINAL_HELP(obj).items():
            if text:
                yield text, f"nam {path} ({field})"


def messages() -> dict[Key, list[str]]:
    """Every message the product can show, with where it comes from."""
    found: dict[Key, list[str]] = {}
    sources = [(ROOT / p, p) for p in PACKAGES]
    sources.append((Path(click.__file__).parent, "click"))
    for directory, label in sources:
        for key, where in _extract(directory, label):
            found.setdefault(key, []).append(where)
    for key in CLICK_HIDDEN:
        found.setdefault(key, []).append("click/formatting.py")
    for key, where in _help_texts():
        found.setdefault(key, []).append(where)
    return found


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{[^{}]*\}|%\(?\w*\)?[sdr]", text))


def check(lang: str) -> list[str]:
    """What ``lang``'s catalog lacks or gets wrong, one line each; empty when it is whole."""
    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    problems: list[str] = []
    for key, where in sorted(messages().items(), key=lambda kv: str(kv[0])):
        msg = catalog.get(key)
        text = key[0] if isinstance(key, tuple) else key
        if msg is None:
            problems.append(f"{lang}: no entry for {text!r} ({where[0]})")
            continue
        raw = msg.string
        strings: tuple[str, ...] = tuple(raw) if isinstance(raw, (tuple, list)) else (raw or "",)
        if msg.fuzzy or not all(strings):
            problems.append(f"{lang}: no translation of {text!r} ({where[0]})")
            continue
        ids = key if isinstance(key, tuple) else (key,)
        wanted = set().union(*(_placeholders(i) for i in ids))
        for s in strings:
            if _placeholders(s) != wanted:
                problems.append(
                    f"{lang}: {text!r} has {sorted(wanted)} but its translation "
                    f"{s!r} has {sorted(_placeholders(s))}"
                )
    mo = po_path(lang).with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != _compiled(catalog):
        problems.append(f"{lang}: {mo} is not compiled from its .po: run make messages")
    return problems


def _compiled(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def update() -> None:
    """Merge every message into each catalog (keeping translations) and compile it."""
    template = Catalog(domain=DOMAIN, project="namgraph", charset="utf-8")
    for key, where in messages().items():
        template.add(key, locations=[(w, 0) for w in where[:3]])
    for lang in TRANSLATED:
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang, domain=DOMAIN)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="namgraph", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, ignore_obsolete=True)
        with path.open("rb") as f:
            written = read_po(f, locale=lang, domain=DOMAIN)
        path.with_suffix(".mo").write_bytes(_compiled(written))


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
        argv = ["check"]
    if argv[:1] == ["check"]:
        problems = [p for lang in TRANSLATED for p in check(lang)]
        for p in problems:
            print(p)
        print(f"{len(problems)} problems in {len(TRANSLATED)} catalogs")
        return 1 if problems else 0
    print("usage: python -m namgraph.catalogs update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
