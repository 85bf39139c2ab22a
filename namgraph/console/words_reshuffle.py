"""The words of the console's reshuffle view (see :mod:`namgraph.console.words`)."""

from __future__ import annotations

from graph.i18n import N_

WORDS: dict[str, str] = {
    "reshuffleHeading": N_("Reshuffles"),
}
