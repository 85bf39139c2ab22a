"""The words of the console's printable report (see :mod:`namgraph.console.words`)."""

from __future__ import annotations

from graph.i18n import N_

WORDS: dict[str, str] = {
    "reportHeading": N_("Report"),
}
