"""The words of the console's printable report (see :mod:`namgraph.console.words`).

The report is laid out as a Party board's report (Hướng dẫn 36-HD/VPTW): the issuing body's
name is one of the ``rpCommittee*`` words with the unit's name in it, chosen by the unit's level
and kind (views/report.js, ``issuer``), and the script writes it in capitals."""

from __future__ import annotations

from graph.i18n import N_

WORDS: dict[str, str] = {
    "rpHeading": N_("Report: {name}"),
    "rpWaiting": N_("Preparing the report…"),
    "rpPrint": N_("Print the report"),
    "rpPrintHint": N_(
        "A4: first the whole unit, then each unit one level down on a page of its own."
    ),
    # the issuing body, top left
    "rpCommitteeProvince": N_("{name} Provincial Party Committee"),
    "rpCommitteeCity": N_("{name} City Party Committee"),
    "rpCommitteeDistrict": N_("{name} District Party Committee"),
    "rpCommitteeUrban": N_("{name} Urban District Party Committee"),
    "rpCommitteeTown": N_("{name} Town Party Committee"),
    "rpCommitteeOther": N_("Party Committee of {name}"),
    "rpBoard": N_("Organisation Commission"),
    # top right, the place and date, the title
    "rpParty": N_("Communist Party of Vietnam"),
    "rpPlaceDate": N_("{place}, {day}/{month}/{year}"),
    "rpTitle": N_("Report"),
    "rpSubject": N_("The assignment of cadres to follow the localities of {name}"),
    "rpAsOf": N_("as of {date}"),
    # the parts
    "rpGeneral": N_("The overall picture"),
    "rpByUnit": N_("Unit by unit"),
    "rpUnitMeta": N_("{level}, code {code}"),
    "rpCoverageHeading": N_("Coverage per level"),
    "rpBelowHeading": N_("The units one level down"),
    "rpGapsHeading": N_("Gaps: units without a supporter"),
    "rpCadresHeading": N_("The cadres responsible"),
    # table headers and cells
    "rpNumber": N_("No."),
    "rpFullName": N_("Full name"),
    "rpTitles": N_("Title"),
    "rpRole": N_("Role"),
    "rpReason": N_("Reason"),
    "rpUncovered": N_("Without a supporter"),
    "rpBrokenAbove": N_("Chain broken above"),
    "rpNoGaps": N_("None: every unit here has a supporter."),
    "rpUnlisted": N_("No supporter counts on this date"),
    "rpNoChildren": N_("No units below on this date."),
    "rpNotListed": N_(
        "{count} more units at the level {level} have no supporter and are not listed: the "
        "report lists at most {max} per level (the Gaps view lists them all)."
    ),
    "rpCadresLeftOut": N_(
        "The supporters of the units two levels down are left out: too many for one request. "
        "The report of each unit one level down lists them."
    ),
    "rpChildrenLeftOut": N_("Only the first {count} of the {total} units one level down are here."),
}
