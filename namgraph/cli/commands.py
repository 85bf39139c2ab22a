"""``nam`` in the user's language: the root command picks the language before anything is
parsed, and every help text is translated from the catalogs when it is shown.

The help texts stay English in the source (a command's docstring, an option's ``help=``);
:func:`localise` puts the translation in their place, keeping the English to translate again.
Click's own words ("Usage:", its errors) come from the same catalog through the standard
``gettext`` domain that click reads.
"""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from graph.i18n import DEFAULT, DOMAIN, LOCALES, _, known, use

__all__ = ["ORIGINAL_HELP", "NamGroup", "localise", "speaking", "walk"]

_FIELDS = ("help", "short_help", "epilog", "show_default")
_SAVED = "_nam_english_help"


def ORIGINAL_HELP(obj: Any) -> dict[str, str | None]:
    """The English help texts of a command or option, as the source writes them."""
    saved: dict[str, str | None] | None = getattr(obj, _SAVED, None)
    if saved is None:
        saved = {f: getattr(obj, f) for f in _FIELDS if isinstance(getattr(obj, f, None), str)}
        setattr(obj, _SAVED, saved)
    return saved


def walk(command: click.Command, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every command, group and option under ``command``, with the command path to it."""
    yield path or command.name or "", command
    for param in command.params:
        if isinstance(param, click.Option):
            yield f"{path} {param.name}".strip(), param
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, f"{path} {name}".strip())


def localise(root: click.Command) -> None:
    """Put the current language's help texts in every command and option under ``root``."""
    for _path, obj in walk(root):
        for field, text in ORIGINAL_HELP(obj).items():
            if text:
                setattr(obj, field, _(text))
        if isinstance(obj, click.Command):
            obj._help_option = None  # click keeps its --help option, with its words: made anew


def _asked(args: Sequence[str]) -> str | None:
    """The value of ``--lang`` among the root command's arguments, if given."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


@contextmanager
def speaking(lang: str, root: click.Command) -> Iterator[str]:
    """Speak ``lang`` for one run of the command line: the product's messages, the help texts
    and click's; the language spoken before comes back afterwards (a program that runs ``nam``
    in its own process, as the tests do, keeps its own)."""
    earlier = os.environ.get("LANGUAGE")
    with use(lang) as chosen:
        # click translates its own words with the standard gettext domain and reads the
        # language as gettext does, from LANGUAGE.
        gettext.bindtextdomain(DOMAIN, str(LOCALES))
        gettext.textdomain(DOMAIN)
        os.environ["LANGUAGE"] = chosen
        localise(root)
        try:
            yield chosen
        finally:
            if earlier is None:
                os.environ.pop("LANGUAGE", None)
            else:
                os.environ["LANGUAGE"] = earlier


class NamGroup(click.Group):
    """The root ``nam`` command: chooses the language (``--lang``, else ``NAM_LANG``, else
    Vietnamese) before parsing, so that even ``nam --help`` and parse errors speak it."""

    def main(self, args: Sequence[str] | None = None, *a: Any, **kw: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        asked = [x for x in (_asked(argv), os.environ.get("NAM_LANG")) if known(x)]
        with speaking(known(asked[0]) or DEFAULT if asked else DEFAULT, self):
            return super().main(argv, *a, **kw)
