"""Every word the reports show: titles, column headers, reasons and page texts.

They are message ids (English), marked for the catalogs with ``N_`` and translated when a
report is written, so a report speaks the reader's language (Vietnamese by default). Headers
that name the same thing as an input file's column use the same Vietnamese words there
(``Mã đơn vị``, ``Mã cán bộ``, ...)."""

from __future__ import annotations

from collections.abc import Mapping

from graph.answers import GapReason
from graph.i18n import N_, _, language
from graph.policy import Named, Policy

# --- what each report is (page header, sheet tabs) -------------------------------------------
GAPS_TITLE = N_("Units not covered")
COVERAGE_TITLE = N_("Coverage of the area")
COVERAGE_SHEET = N_("Coverage")
WORKLOAD_TITLE = N_("Cadres' workload")
WORKLOAD_SHEET = N_("Workload")

# --- columns ---------------------------------------------------------------------------------
UNIT_CODE = N_("Unit code")
UNIT_NAME = N_("Unit name")
LEVEL_ID = N_("Level id")
LEVEL = N_("Level")
PARENT_CODE = N_("Parent unit code")
PARENT_NAME = N_("Parent unit name")
REASON_ID = N_("Reason id")
REASON = N_("Reason")
BROKEN_AT = N_("Chain broken at unit")
AS_OF = N_("As of")

#: Per level of a coverage row; ``{level}`` is the level's label from the policy.
LEVEL_UNITS = N_("{level}: units")
LEVEL_COVERED = N_("{level}: covered")
LEVEL_RATIO = N_("{level}: ratio")
HOUSEHOLDS = N_("Households")
HOUSEHOLDS_REACHED = N_("Households reached")
HOUSEHOLDS_RATIO = N_("Share of households reached")

CADRE_ID = N_("Cadre id")
CADRE_NAME = N_("Cadre's full name")
CADRE_TITLES = N_("Titles")
HOME_CODE = N_("Home unit code")
HOME_NAME = N_("Home unit")
UNITS_HELD = N_("Units supported")
MAX_UNITS = N_("Maximum by the rules")
HOUSEHOLDS_HELD = N_("Households supported")
OVERLOADED = N_("Overloaded")

# --- values ----------------------------------------------------------------------------------
YES = N_("Yes")
#: Why a unit is listed as a gap.
REASONS: dict[GapReason, str] = {
    GapReason.NO_SUPPORTER: N_("No cadre assigned to support it"),
    GapReason.SUPPORTER_ENDED: N_("Its supporter's assignment has ended"),
    GapReason.SUPPORTER_RETIRED: N_("Its supporter has retired"),
    GapReason.SUPPORTER_TRANSFERRED: N_("Its supporter has been transferred"),
    GapReason.SUPPORTER_LEAVING: N_("Its supporter is leaving"),
    GapReason.SUPPORTER_ABSENT: N_("Its supporter was not present in the period"),
    GapReason.CHAIN_BROKEN_ABOVE: N_("The chain is broken above it"),
}

# --- printed pages (Excel's header and footer codes: &P the page, &N the pages) ---------------
PAGE_DATE = N_("As of {date}")
PAGE_NUMBER = N_("Page &P/&N")


# --- names of the policy's levels, titles and roles, and of statuses --------------------------
def level_name(policy: Policy, level_id: str) -> str:
    """A level as people call it: the policy's label in Vietnamese (``Xã``); in English the
    level's id in words (``household group``)."""
    if language() != "vi":
        return level_id.replace("_", " ")
    return policy.level(level_id).label if policy.has_level(level_id) else level_id


def _named(table: Mapping[str, Named], key: str) -> str:
    if language() != "vi":
        return key.replace("_", " ")
    return table[key].label if key in table else key


def title_name(policy: Policy, title_id: str) -> str:
    return _named(policy.titles, title_id)


def role_name(policy: Policy, role_id: str) -> str:
    return _named(policy.roles, role_id)


STATUSES: dict[str, str] = {
    "active": N_("active"),
    "transferred": N_("transferred"),
    "retired": N_("retired"),
}


def status_name(status: object) -> str:
    """A cadre's status in words; ``-`` for none."""
    if status is None:
        return "-"
    return _(STATUSES.get(str(status), str(status)))


def reason_name(reason: GapReason) -> str:
    """Why a unit is a gap, in words."""
    return _(REASONS.get(reason, str(reason)))
