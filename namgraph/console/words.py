"""Every word the console's scripts show, as message ids (English) translated on the server
when the page is rendered, so the page speaks the reader's language and the scripts carry no
text of their own. Each view's words are a table here; the reshuffle and report views keep
theirs in :mod:`namgraph.console.words_reshuffle` and :mod:`namgraph.console.words_report`, and
active coverage and the yearly record theirs in :mod:`namgraph.console.words_activity`.

A word with ``{name}`` placeholders is filled in by the script (``say(key, {name: ...})``)."""

from __future__ import annotations

from collections.abc import Mapping

from graph.answers import GapReason
from graph.i18n import N_, _
from graph.stores.port import GraphStore
from namgraph.console.words_activity import WORDS as ACTIVITY
from namgraph.console.words_activity import activity_table
from namgraph.console.words_report import WORDS as REPORT
from namgraph.console.words_reshuffle import WORDS as RESHUFFLE
from namgraph.reports.labels import REASONS, STATUSES, level_name, role_name, title_name

__all__ = ["VIEWS", "WORDS", "page_words"]

#: The views, in the order of the menu: route, label.
VIEWS: tuple[tuple[str, str], ...] = (
    ("overview", N_("Overview")),
    ("tree", N_("Unit tree")),
    ("gaps", N_("Gaps")),
    ("search", N_("Search")),
    ("reshuffle", N_("Reshuffles")),
    ("report", N_("Report")),
)

COMMON: dict[str, str] = {
    "loading": N_("Loading…"),
    "offline": N_("The server cannot be reached; check the connection and try again"),
    "failed": N_("The server refused the request (HTTP {status})"),
    "signIn": N_("Sign in"),
    "signOut": N_("Sign out"),
    "signedInAs": N_("Signed in as {role}, seeing {scope}"),
    "signedInAll": N_("Signed in as {role}, seeing every unit"),
    "needToken": N_("Paste your access token and sign in to see your area."),
    "badToken": N_("This token was not accepted: {message}"),
    "unit": N_("Unit"),
    "asOf": N_("As of"),
    "show": N_("Show"),
    "noUnit": N_("Choose a unit first."),
    "notFound": N_("No unit {code} is in your area."),
    "households": N_("Households"),
    "householdsReached": N_("Households reached"),
    "endToEnd": N_("End to end (households)"),
    "level": N_("Level"),
    "units": N_("Units"),
    "covered": N_("Covered"),
    "coverage": N_("Coverage"),
    "none": N_("none"),
    "supporters": N_("Supporters"),
    "noSupporter": N_("No supporter"),
    "phone": N_("Phone"),
    "since": N_("since {date}"),
    "until": N_("until {date}"),
    "ended": N_("Ended on {date}"),
    "successors": N_("Became: {names}"),
    "code": N_("Code"),
    "name": N_("Name"),
    "open": N_("Open"),
    "requests": N_("{count} requests"),
    "xlsx": N_("Download Excel"),
    "csv": N_("Download CSV"),
    "busy": N_("Preparing the file…"),
    "done": N_("Downloaded {name}"),
    "more": N_("Show more"),
    "skip": N_("Skip to the content"),
    "badDate": N_("“{date}” is not a date; showing today instead (write it as 2023-05-01)."),
    "noCadre": N_("No cadre {id} is in your area."),
    "levelOf": N_("level {level}"),
}

OVERVIEW: dict[str, str] = {
    "coverageHeading": N_("Coverage per level"),
    "trendHeading": N_("Coverage over the last 24 months"),
    "trendWaiting": N_("The 24-month trend is being computed…"),
    "trendCaption": N_("Share of households reached, month by month, {from} to {to}"),
    "trendTable": N_("Show the figures"),
    "trendNone": N_("The unit did not exist in any of these 24 months."),
    "worstHeading": N_("The ten worst-covered units one level down"),
    "noChildren": N_("No units below on this date."),
    "coverageXlsx": N_("Coverage (Excel)"),
    "coverageCsv": N_("Coverage (CSV)"),
    "workloadXlsx": N_("Supporters' workload (Excel)"),
}

TREE: dict[str, str] = {
    "treeHint": N_(
        "Arrow keys move through the tree; Right opens a unit, Left closes it, Enter shows "
        "its page."
    ),
    "expand": N_("Open {name}"),
    "ratio": N_("{ratio} covered"),
    "noData": N_("no households"),
}

GAPS: dict[str, str] = {
    "gapsHeading": N_("Gaps at the level {level}"),
    "gapsCount": N_("{count} units without an unbroken chain"),
    "noGaps": N_("No gaps: every unit at this level has an unbroken chain."),
    "reason": N_("Reason"),
    "allReasons": N_("All reasons"),
    "under": N_("Under"),
    "everywhere": N_("Everywhere in scope"),
    "candidates": N_("Who could take over"),
    "parent": N_("Part of"),
    "noCandidates": N_("No active cadre of the right level in the area"),
    "load": N_("{units} units, {households} households"),
    "brokenAt": N_("Broken at {code}"),
    "badReason": N_("No reason “{reason}”: all reasons are shown."),
}

UNIT: dict[str, str] = {
    "chainHeading": N_("The chain above"),
    "childrenHeading": N_("Units below"),
    "assignmentsHeading": N_("Everyone assigned"),
    "versions": N_("Names over time"),
}

CADRE: dict[str, str] = {
    "cadreHeading": N_("Cadre {name}"),
    "status": N_("Status"),
    "titlesLabel": N_("Titles"),
    "home": N_("Home unit"),
    "reachHeading": N_("What they reach"),
    "direct": N_("Units they support"),
    "loadHeading": N_("Load"),
    "overloaded": N_("Over the rule's limit of {max} units"),
    "breaksHeading": N_("Where the chain breaks below them"),
    "historyHeading": N_("History"),
    "role": N_("Role"),
    "from": N_("From"),
    "to": N_("To"),
    "decision": N_("Decision"),
}

SEARCH: dict[str, str] = {
    "searchLabel": N_("Name of a unit or cadre, with or without diacritics"),
    "searchButton": N_("Search"),
    "noHits": N_("Nothing found for “{text}”."),
    "cadre": N_("Cadre"),
}

#: A token's role as the console names it.
TOKEN_ROLES: dict[str, str] = {
    "province_admin": N_("province administrator"),
    "district_officer": N_("district officer"),
    "commune_officer": N_("commune officer"),
    "analyst": N_("analyst"),
    "loader": N_("data loader"),
}

#: The names the page carries besides the words, each a table of its own.
TABLES = frozenset(
    {"views", "levels", "titles", "roles", "tokenRoles", "reasons", "statuses", "activity"}
)

#: Every table the page carries.
WORDS: tuple[Mapping[str, str], ...] = (
    COMMON,
    OVERVIEW,
    TREE,
    GAPS,
    UNIT,
    CADRE,
    SEARCH,
    RESHUFFLE,
    REPORT,
    ACTIVITY,
)


def page_words(store: GraphStore) -> dict[str, object]:
    """The words of every view, translated; plus the names of levels, titles, roles, gap
    reasons and statuses, from every policy the store has held (later ones win), and what the
    policies say of activity (:func:`~namgraph.console.words_activity.activity_table`)."""
    out: dict[str, object] = {}
    for table in WORDS:
        for key, msgid in table.items():
            if key in out or key in TABLES:
                raise ValueError(f"the console word {key!r} is defined twice")
            out[key] = _(msgid)
    out["views"] = {route: _(label) for route, label in VIEWS}
    levels: dict[str, str] = {}
    titles: dict[str, str] = {}
    roles: dict[str, str] = {}
    for _start, _end, policy in store.timeline:
        levels.update((level.id, level_name(policy, level.id)) for level in policy.levels)
        titles.update((title, title_name(policy, title)) for title in policy.titles)
        roles.update((role, role_name(policy, role)) for role in policy.roles)
    out["levels"] = levels
    out["titles"] = titles
    out["roles"] = roles
    out["reasons"] = {reason.name: _(REASONS[reason]) for reason in GapReason}
    out["tokenRoles"] = {role: _(text) for role, text in TOKEN_ROLES.items()}
    out["statuses"] = {status.upper(): _(text) for status, text in STATUSES.items()}
    out["activity"] = activity_table(store)
    return out
