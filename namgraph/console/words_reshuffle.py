"""The words of the console's reshuffle view (see :mod:`namgraph.console.words`): the template,
the upload of a reshuffle file, its plan (preview, problems), applying it, and the history."""

from __future__ import annotations

from graph.i18n import N_

WORDS: dict[str, str] = {
    "rsIntro": N_(
        "Upload a reshuffle file to see what it would change before anything is written: "
        "coverage before and after, the units that would lose their supporter and who could "
        "take them over."
    ),
    # the template
    "rsTemplateHeading": N_("Template"),
    "rsTemplateHelp": N_(
        "One row per change: the action, the cadre's code, the unit's code, the role, the "
        "effective date and the decision. Keep the headers as they are; the example row shows "
        "how to fill in a row."
    ),
    "rsTemplateXlsx": N_("Download the Excel template"),
    "rsTemplateCsv": N_("Download the CSV template"),
    # the upload
    "rsUploadHeading": N_("Upload a file to preview"),
    "rsFile": N_("Reshuffle file (CSV or Excel)"),
    "rsFileHelp": N_("Uploading writes nothing: the file becomes a plan to check first."),
    "rsOn": N_("Effective date (if the file gives none)"),
    "rsOnHelp": N_(
        "Leave it empty when the file has its dates; a date given here must be the date of "
        "every row."
    ),
    "rsDecision": N_("Decision (if the file gives none)"),
    "rsDecisionExample": N_("e.g. 12-QĐ/TU"),
    "rsMoreOptions": N_("More options"),
    "rsScope": N_("Unit of a full roster"),
    "rsScopeHelp": N_(
        "Only for a file without the action column, listing every cadre of one unit: that "
        "unit's code. Leave it empty for a list of changes."
    ),
    "rsSheet": N_("Sheet (for a workbook with several)"),
    "rsPreview": N_("Preview"),
    "rsUploading": N_("Uploading {file} and making the plan…"),
    "rsNoFile": N_("Choose a file first."),
    "rsReadOnly": N_(
        "Your role ({role}) may read plans and the history, but not plan or apply reshuffles."
    ),
    # the plan
    "rsPlanHeading": N_("Plan {id}"),
    "rsPlanId": N_("Plan"),
    "rsFileName": N_("File"),
    "rsKind": N_("Kind of file"),
    "rsKindChanges": N_("a list of changes"),
    "rsKindRoster": N_("the full roster of {unit}"),
    "rsEffective": N_("Effective date"),
    "rsDecisionName": N_("Decision"),
    "rsMade": N_("Made"),
    "rsMadeValue": N_("{when}, by {who}"),
    "rsSummaryHeading": N_("What it changes"),
    "rsEnded": N_("Assignments ended"),
    "rsStarted": N_("Assignments started"),
    "rsContinued": N_("Assignments kept"),
    "rsStatusChanges": N_("Status changes"),
    "rsErrors": N_("Errors"),
    "rsWarnings": N_("Warnings"),
    "rsErrorsHeading": N_("Errors to fix before it can be applied ({count})"),
    "rsWarningsHeading": N_("Warnings ({count})"),
    "rsRow": N_("Row"),
    "rsColumn": N_("Column"),
    "rsWhatToFix": N_("What to fix"),
    "rsProblemCode": N_("Code"),
    "rsWholeFile": N_("whole file"),
    "rsNotApplicable": N_(
        "This plan has errors and cannot be applied: fix the file and upload it again."
    ),
    "rsRefusedFile": N_("The file could not be read as a reshuffle ({count} errors)."),
    "rsCoverageOf": N_("Coverage of {unit} on {date}"),
    "rsBefore": N_("Before"),
    "rsAfter": N_("After"),
    "rsChange": N_("Change"),
    "rsCoveredOf": N_("{covered} of {units}"),
    "rsLostHeading": N_("Units that lose their supporter ({count})"),
    "rsNoLoss": N_("No unit loses its supporter."),
    "rsCandidates": N_("Who could take over"),
    "rsNoCandidates": N_("No active cadre of the right level in the area"),
    "rsCandidateLoad": N_("supports {units} of at most {max} units, {households} households"),
    "rsCandidateFree": N_("supports {units} units, {households} households"),
    "rsBrokenHeading": N_("Units whose chain the plan breaks above them"),
    "rsGainedHeading": N_("Units that gain a supporter ({count})"),
    "rsChangesHeading": N_("Every change, one by one"),
    "rsCadre": N_("Cadre"),
    "rsRole": N_("Role"),
    "rsSince": N_("From"),
    "rsUntil": N_("No longer in force from"),
    "rsStatusBefore": N_("Status before"),
    "rsStatusAfter": N_("Status after"),
    # applying
    "rsApplyHeading": N_("Apply the plan"),
    "rsApply": N_("Apply this plan…"),
    "rsConfirmHeading": N_("Apply plan {id}?"),
    "rsConfirmText": N_(
        "From {date}, decision {decision}: {ended} assignments end, {started} start and "
        "{statuses} statuses change. This writes to the graph at once."
    ),
    "rsConfirm": N_("Apply now"),
    "rsCancel": N_("Cancel"),
    "rsApplying": N_("Applying plan {id}…"),
    "rsAppliedHeading": N_("Plan {id} applied"),
    "rsAppliedText": N_(
        "{ended} assignments ended, {started} started and {statuses} statuses changed, from {date}."
    ),
    "rsNothingWritten": N_("Nothing was written: the graph already held everything the plan says."),
    "rsCoverageNow": N_("Coverage of {unit} on {date}, asked again after applying"),
    "rsForeseen": N_("Foreseen"),
    "rsNow": N_("Now"),
    "rsAlreadyApplied": N_("This plan was applied on {when} by {who}."),
    "rsMayNotApply": N_("Your role may not apply plans."),
    "rsStale": N_(
        "The graph has changed since this plan was made: {message} Upload the file again to "
        "make a new plan."
    ),
    "rsRefused": N_("The server refused: {message} ({code})"),
    "rsPlanMissing": N_("No plan {id} is kept, or it is not in your area."),
    # the history
    "rsHistoryHeading": N_("Reshuffles applied, newest first"),
    "rsHistoryNone": N_("No reshuffle has been applied yet."),
    "rsAppliedAt": N_("Applied"),
    "rsAppliedBy": N_("By"),
    "rsCounts": N_("Ended, started, statuses"),
}
