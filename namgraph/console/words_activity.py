"""The console's words for what assigned cadres actually did (see :mod:`namgraph.console.words`):
active coverage beside the assigned coverage in the overview, and a cadre's yearly record
(phiếu đánh giá) on the cadre's page.

Most are the message ids the command line already shows for the same figures (``nam coverage
--active``, ``nam record``, ``nam report records``), so they read the same in both; the words
of the policy in force (its period, whether its figures are illustrative) come with the page as
the ``activity`` table (:func:`activity_table`)."""

from __future__ import annotations

from datetime import date

from graph.i18n import N_
from graph.stores.port import GraphStore

__all__ = ["WORDS", "activity_table"]

WORDS: dict[str, str] = {
    # the overview: active coverage beside the assigned
    "actCovered": N_("Covered (active)"),
    "actCoverage": N_("Active coverage"),
    "actNote": N_(
        "active: supporters present at a meeting or visit in the {months} months before {date}"
    ),
    "actIllustrative": N_("the policy's figures are illustrative"),
    # a cadre's yearly record
    "recHeading": N_("Yearly record {year}"),
    "recYear": N_("Year"),
    "recBadYear": N_("No yearly record for “{year}”: the year {shown} is shown."),
    "recCounted": N_("counted from {start} to {end} under policy {policy}"),
    "recFollowed": N_("Units followed"),
    "recDays": N_("Days followed"),
    "recReached": N_("Households reached at the end: {reached} of {households}"),
    "recAttended": N_("Meetings attended"),
    "recMissed": N_("Meetings missed"),
    "recMinimum": N_("Minimum meetings a year"),
    "recNoMinimum": N_("no minimum for the cadre's titles"),
    "recMeetsMinimum": N_("Minimum reached"),
    "recMet": N_("met"),
    "recNotMet": N_("not met"),
    "recReceived": N_("Petitions received"),
    "recPassedOn": N_("Petitions passed on"),
    "recInTime": N_("Answered in time"),
    "recLate": N_("Answered late"),
    "recOpen": N_("Still open"),
}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def activity_table(store: GraphStore) -> dict[str, object]:
    """What the scripts need of the policies' ``activity:`` sections: the first day a policy
    is in force (a yearly record starts no earlier), and for each policy from the day it comes
    into force (null: the first, from the beginning) its period in months and whether its
    figures are illustrative."""
    timeline = store.timeline
    first = timeline.entries[0][0] or timeline.first.valid_from
    return {
        "first": _iso(first),
        "periods": [
            {
                "from": _iso(start),
                "months": policy.activity.active_months,
                "illustrative": policy.activity.illustrative,
            }
            for start, _until, policy in timeline
        ],
    }
